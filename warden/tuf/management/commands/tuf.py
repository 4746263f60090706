"""`warden tuf`: the key ceremony and the repository's state.

Offline changes go through drafts: a command on the server writes the unsigned next
versions into a directory; each key holder copies it to their own machine and runs
`warden tuf sign` there; `warden tuf import` on the server verifies and publishes them.
docs/tuf-operators.md walks through each procedure.
"""

from __future__ import annotations

import getpass
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from securesystemslib.signer import Signer
from tuf.api.metadata import Metadata

from warden.packaging.models import PendingChange
from warden.tuf import repository as repo
from warden.tuf.keys import KeyError_, key_generate, public_read, signer_for, signer_from_file
from warden.tuf.models import Role, Staged, State
from warden.tuf.offline import (
    DraftError,
    Holders,
    draft_import,
    draft_init,
    draft_next,
    draft_sign,
    embedded_init,
    online_rotate,
    root_keys_change,
)
from warden.tuf.repository import Meta

ROLE_NAMES = ", ".join(repo.OFFLINE_ROLES)


def _passphrase(env: str | None, *, confirm: bool = False, prompt: str) -> bytes | None:
    if env:
        value = os.environ.get(env)
        if not value:
            raise CommandError(f"${env} is empty or not set")
        return value.encode()
    if not os.isatty(0):
        return None
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != first:
        raise CommandError("the two passphrases differ")
    return first.encode() or None


def drafts_read(directory: Path) -> dict[str, Meta]:
    drafts: dict[str, Meta] = {}
    for path in sorted(directory.glob("*.json")):
        if path.name.endswith(".pub.json"):
            continue  # a holder's public key, kept beside the drafts
        role = path.name.split(".")[1] if path.name.count(".") == 2 else ""
        if role not in repo.OFFLINE_ROLES:
            raise CommandError(f"{path.name}: expected <version>.<{ROLE_NAMES}>.json")
        try:
            drafts[role] = Metadata.from_file(str(path))
        except Exception as exc:  # any deserialisation error, shown with the file
            raise CommandError(f"{path}: not TUF metadata ({exc})") from exc
    if not drafts:
        raise CommandError(f"{directory} holds no drafts")
    return drafts


def drafts_write(directory: Path, drafts: dict[str, Meta]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for role, md in drafts.items():
        path = directory / f"{md.signed.version}.{role}.json"
        path.write_bytes(repo.metadata_bytes(md))
        written.append(path)
    return written


class Command(BaseCommand):
    help = "TUF repository: key ceremony, drafts of offline roles, status."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="versions, expiries, the pending backlog")
        sub.add_parser("root-hash", help="sha256 of every root version, for paper records")
        keygen = sub.add_parser("keygen", help="a new Ed25519 key (encrypted unless "
                                "--no-passphrase), its public half beside it")
        keygen.add_argument("path", type=Path)
        keygen.add_argument("--passphrase-env", metavar="VAR")
        keygen.add_argument("--no-passphrase", action="store_true",
                            help="for the online key, which the signer reads unattended")
        init = sub.add_parser("init", help="version 1 of the offline roles, as drafts")
        init.add_argument("--embedded", action="store_true",
                          help="generate every key on this machine and publish at once")
        init.add_argument("--drafts", type=Path)
        init.add_argument("--root-key", type=Path, action="append", default=[])
        init.add_argument("--root-threshold", type=int, default=2)
        init.add_argument("--targets-key", type=Path, action="append", default=[])
        init.add_argument("--targets-threshold", type=int, default=1)
        init.add_argument("--bins-key", type=Path, action="append", default=[])
        init.add_argument("--bins-threshold", type=int, default=1)
        init.add_argument("--online-key", type=Path, help="the online key's public file")
        init.add_argument("--bit-length", type=int, default=settings.WARDEN_TUF_BIT_LENGTH)
        sign = sub.add_parser("sign", help="add your signature to drafts (offline machine)")
        sign.add_argument("drafts", type=Path)
        key = sign.add_mutually_exclusive_group(required=True)
        key.add_argument("--key", type=Path, help="your encrypted key file")
        key.add_argument("--key-uri", help="a securesystemslib signer URI (hsm:, awskms:, "
                         "gcpkms:, azurekms:, ...); give --public too")
        sign.add_argument("--public", type=Path, help="the public key file for --key-uri")
        sign.add_argument("--passphrase-env", metavar="VAR")
        sign.add_argument("--role", action="append", choices=repo.OFFLINE_ROLES,
                          help="sign only these drafts (default: all in the directory)")
        imp = sub.add_parser("import", help="verify signed drafts and publish them")
        imp.add_argument("drafts", type=Path)
        refresh = sub.add_parser("refresh", help="next versions, a year from now")
        refresh.add_argument("roles", nargs="+", choices=repo.OFFLINE_ROLES)
        refresh.add_argument("--drafts", type=Path, required=True)
        rotate = sub.add_parser("rotate-online", help="drafts that trust a new online key")
        rotate.add_argument("--new-key", type=Path, required=True)
        rotate.add_argument("--drafts", type=Path, required=True)
        root_key = sub.add_parser("root-key", help="add or revoke root keys, set the threshold")
        root_key.add_argument("--add", type=Path, action="append", default=[])
        root_key.add_argument("--revoke", action="append", default=[], metavar="KEYID")
        root_key.add_argument("--threshold", type=int)
        root_key.add_argument("--drafts", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        try:
            getattr(self, f"do_{action}")(options)
        except (DraftError, KeyError_, repo.NotInitialized) as exc:
            raise CommandError(str(exc) or "the repository is not initialised") from exc

    def _say(self, text: str) -> None:
        self.stdout.write(text)

    def do_status(self, options: dict[str, Any]) -> None:
        if not repo.is_initialized():
            self._say("TUF: not initialised (warden tuf init)")
            return
        now = datetime.now(UTC)
        rows = {r.name: r for r in Role.objects.exclude(name__startswith=repo.BIN_PREFIX + "-")}
        for staged in Staged.objects.order_by("name"):
            self._say(f"{staged.name:<10} version {staged.version:<6} imported; the signer's "
                      "next publish makes it current")
        for name in (*repo.OFFLINE_ROLES, repo.SNAPSHOT, repo.TIMESTAMP):
            row = rows.get(name)
            if row is None:
                self._say(f"{name:<10} not signed yet")
                continue
            left = row.expires - now
            warn = ""
            if name in repo.OFFLINE_ROLES and left < repo.OFFLINE_WARNING:
                warn = "  WARNING: expires soon: run `warden tuf refresh`"
            span = f"{left.days} days" if left.days >= 2 else \
                f"{int(left.total_seconds() // 3600)} hours"
            self._say(f"{name:<10} version {row.version:<6} expires {row.expires:%Y-%m-%d %H:%M}"
                      f" UTC ({span}){warn}")
        root = repo.current_root().signed
        for name in (repo.ROOT, repo.TARGETS):
            role = root.roles[name]
            self._say(f"{name} keys ({role.threshold} of {len(role.keyids)}): "
                      + " ".join(role.keyids))
        bins = Role.objects.filter(name__startswith=repo.BIN_PREFIX + "-")
        self._say(f"bin-*      {bins.count()} hashed bins signed")
        state = State.objects.filter(pk=1).first()
        self._say("last publish " + (f"{state.published:%Y-%m-%d %H:%M:%S} UTC"
                                     if state else "never"))
        self._say(f"pending    {PendingChange.objects.count()} changes")

    def do_root_hash(self, options: dict[str, Any]) -> None:
        for version in range(1, repo.current_version(repo.ROOT) + 1):
            digest = hashlib.sha256(repo.metadata_read(repo.ROOT, version)).hexdigest()
            self._say(f"{version}.root.json sha256 {digest}")

    def do_keygen(self, options: dict[str, Any]) -> None:
        passphrase = None
        if not options["no_passphrase"]:
            passphrase = _passphrase(options["passphrase_env"], confirm=True,
                                     prompt="Passphrase for the new key: ")
            if passphrase is None:
                raise CommandError("an offline key needs a passphrase (--passphrase-env VAR, "
                                   "or a terminal), or say --no-passphrase")
        public = key_generate(options["path"], passphrase=passphrase)
        self._say(f"key {public.keyid} written to {options['path']} "
                  f"(public half: {options['path']}.pub.json)")

    def do_init(self, options: dict[str, Any]) -> None:
        if repo.is_initialized():
            raise CommandError("the repository is initialised already")
        now = datetime.now(UTC)
        if options["embedded"]:
            embedded_init(keys_dir=settings.DATA_DIR / "tuf-keys",
                          online_key_file=settings.WARDEN_TUF_ONLINE_KEY_FILE,
                          bit_length=options["bit_length"], now=now)
            self._say("TUF repository initialised with embedded keys in "
                      f"{settings.DATA_DIR / 'tuf-keys'}")
            return
        if options["drafts"] is None or options["online_key"] is None:
            raise CommandError("give --drafts DIR and --online-key PUBLIC_FILE (or --embedded)")

        def holders(role: str) -> Holders:
            keys = tuple(public_read(p) for p in options[f"{role}_key"])
            return Holders(keys=keys, threshold=options[f"{role}_threshold"])

        drafts = draft_init(root=holders("root"), targets=holders("targets"),
                            bins=holders("bins"), online=public_read(options["online_key"]),
                            bit_length=options["bit_length"], now=now)
        for path in drafts_write(options["drafts"], drafts):
            self._say(f"draft {path}")

    def do_sign(self, options: dict[str, Any]) -> None:
        drafts = drafts_read(options["drafts"])
        signer: Signer
        if options["key_uri"]:
            if options["public"] is None:
                raise CommandError("--key-uri needs --public (the key's .pub.json file)")
            signer = signer_for(public_read(options["public"]), key_file=None,
                                key_uri=options["key_uri"])
        else:
            passphrase = _passphrase(options["passphrase_env"], prompt="Passphrase: ")
            signer = signer_from_file(options["key"], passphrase=passphrase)
        chosen = options["role"] or list(drafts)
        for role in chosen:
            if role not in drafts:
                raise CommandError(f"no {role} draft in {options['drafts']}")
            draft_sign(drafts[role], signer)
        drafts_write(options["drafts"], {r: drafts[r] for r in chosen})
        self._say(f"signed {', '.join(chosen)} with key {signer.public_key.keyid}")

    def do_import(self, options: dict[str, Any]) -> None:
        drafts = drafts_read(options["drafts"])
        draft_import(drafts)
        for role, md in drafts.items():
            self._say(f"imported {md.signed.version}.{role}.json")
        self._say("The signer publishes it with the online roles signed under it in its "
                  "next run; clients see nothing of it before.")

    def do_refresh(self, options: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        drafts = {role: draft_next(role, now=now) for role in options["roles"]}
        for path in drafts_write(options["drafts"], drafts):
            self._say(f"draft {path}")

    def do_rotate_online(self, options: dict[str, Any]) -> None:
        drafts = online_rotate(new=public_read(options["new_key"]), now=datetime.now(UTC))
        for path in drafts_write(options["drafts"], drafts):
            self._say(f"draft {path}")

    def do_root_key(self, options: dict[str, Any]) -> None:
        draft = root_keys_change(add=tuple(public_read(p) for p in options["add"]),
                                 revoke=tuple(options["revoke"]),
                                 threshold=options["threshold"], now=datetime.now(UTC))
        for path in drafts_write(options["drafts"], {repo.ROOT: draft}):
            self._say(f"draft {path}")
