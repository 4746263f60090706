"""`warden token create|list|revoke`: API tokens from the command line (operators, CI).

`warden token revoke --leaked TOKEN_OR_ID` is staff acting on a leak found by other means than
a secret scanner: the same service as the scanners' endpoint (revoke, mail the owner, record
it as leaked)."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone
from packaging.utils import canonicalize_name

from warden.accounts.models import User
from warden.accounts.twofactor.policy import has_two_factor, two_factor_required
from warden.audit.origin import Origin
from warden.packaging.authorize import upload_token_mint
from warden.packaging.models import Project
from warden.tokens.format import LEGACY_TOKEN_PREFIX, TOKEN_PREFIX
from warden.tokens.leaks import token_revoke_leaked
from warden.tokens.models import RevokedReason, Token
from warden.tokens.services import (
    TokenError,
    duration_parse,
    token_list,
    token_minted_id,
    token_revoke,
)


def _when(moment: datetime | None, empty: str = "-") -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else empty


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token; prints only the token")
        create.add_argument("username")
        create.add_argument("--expires", metavar="DURATION",
                            help="lifetime such as 90m, 12h, 30d or 2w (default: no expiry)")
        create.add_argument("--project", action="append", default=[], metavar="NAME",
                            help="limit the token to this project (repeatable)")
        create.add_argument("--description", help="a name for the token (default: cli-<time>)")
        listing = sub.add_parser("list", help="list a user's tokens, newest first")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a token; it stops working at once")
        revoke.add_argument("token_id", metavar="TOKEN_OR_ID",
                            help="the token's id; with --leaked also the token itself, or - "
                                 "to read it from standard input (kept out of shell history)")
        revoke.add_argument("--leaked", action="store_true",
                            help="it was found in public: also mail its owner what to do and "
                                 "record it as leaked")
        revoke.add_argument("--url", default="",
                            help="with --leaked: where it was found, for the owner's mail")

    def handle(self, *args: Any, **options: Any) -> None:
        match options["action"]:
            case "create":
                self._create(options)
            case "list":
                self._list(options)
            case "revoke":
                self._revoke(options)

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user

    def _create(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        # The same rule as the token pages: where policy requires a second factor, nobody
        # mints a token for an account without one (its uploads would be refused anyway).
        if two_factor_required(user) and not has_two_factor(user):
            raise CommandError(
                f"User {user.username} has no two-factor authentication, which this index "
                "requires for API tokens. They can set it up on the Two-factor authentication "
                f"page ({reverse('mfa_index')}) after logging in; then create the token again.")
        now = timezone.now()
        expires = None
        if options["expires"]:
            try:
                expires = now + duration_parse(options["expires"])
            except (ValueError, OverflowError) as exc:
                raise CommandError(f"--expires: {exc}") from exc
        projects = []
        for name in options["project"]:
            project = Project.objects.filter(normalized_name=canonicalize_name(name)).first()
            if project is None:
                raise CommandError(f"No project named {name!r}.")
            projects.append(project)
        description = options["description"] or f"cli-{now:%Y%m%dT%H%M%SZ}"
        try:
            token, raw = upload_token_mint(user=user, description=description,
                                           projects=projects, expires=expires,
                                           origin=Origin.command("warden token create"))
        except TokenError as exc:
            raise CommandError(exc.message) from exc
        scope = ", ".join(p.normalized_name for p in projects) or "all of the user's projects"
        self.stderr.write(
            f"Created token {token.id} ({description!r}) for {user.username}; "
            f"scope: {scope}; expires: {_when(expires, 'never')}. "
            "It is shown only now; store it safely."
        )
        # stdout carries the token alone, so `TOKEN=$(warden token create ...)` works.
        self.stdout.write(raw)

    def _list(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        header = ("id", "description", "scope", "created", "expires", "last used", "revoked")
        rows = [header]
        for token in token_list(user=user):
            names = [c[1] for c in token.caveats if isinstance(c, list) and c[:1] == [1]]
            scope = ", ".join(n for group in names for n in group) or "all projects"
            rows.append((str(token.id), token.description, scope, _when(token.created),
                         _when(token.expires, "never"), _when(token.last_used),
                         _when(token.revoked)))
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths,
                                                                        strict=True)).rstrip())

    def _token_id(self, given: str, *, leaked: bool) -> uuid.UUID:
        if leaked and given == "-":
            given = sys.stdin.readline().strip()
        try:
            return uuid.UUID(given)
        except ValueError:
            if not leaked and given.startswith((TOKEN_PREFIX, LEGACY_TOKEN_PREFIX)):
                # Not echoed: it may be live.
                raise CommandError("That is a token, not a token id; to revoke a token found "
                                   "in public, add --leaked.") from None
            if not leaked:
                raise CommandError(f"{given!r} isn't a token id.") from None
        # A leaked token's own bytes: only one that is really ours (its signature checks)
        # names a row, never whatever id a string claims.
        try:
            return token_minted_id(raw=given)
        except TokenError as exc:
            raise CommandError(f"That is neither a token id nor a token of this index "
                               f"({exc.message})") from None

    def _revoke(self, options: dict[str, Any]) -> None:
        leaked = options["leaked"]
        if options["url"] and not leaked:
            raise CommandError("--url goes with --leaked.")
        token_id = self._token_id(options["token_id"], leaked=leaked)
        token = Token.objects.select_related("user").filter(pk=token_id).first()
        if token is None:
            raise CommandError(f"No token with id {token_id}.")
        if token.revoked is not None:
            as_leaked = " as leaked" if token.revoked_reason == RevokedReason.LEAKED else ""
            raise CommandError(f"Token {token_id} was already revoked{as_leaked} on "
                               f"{_when(token.revoked)}.")
        if leaked:
            token_revoke_leaked(token=token, url=options["url"],
                                origin=Origin.command("warden token revoke --leaked"))
            self.stderr.write(f"Revoked token {token_id} ({token.description!r}) of "
                              f"{token.user.username} as leaked; they are being mailed.")
            return
        token_revoke(token=token, origin=Origin.command("warden token revoke"))
        self.stderr.write(f"Revoked token {token_id} ({token.description!r}) "
                          f"of {token.user.username}.")
