"""The offline roles (root, targets, bins): drafting, signing by their holders, importing.

Offline keys never touch the server. A change to an offline role is a draft: the server
writes the unsigned next version (`draft_*`), each key holder signs it on their own machine
(`draft_sign`), and the server imports it (`draft_import`) once it verifies: a new root
must be signed by a threshold of the previous root's keys and of its own; targets by the
root's targets keys; bins by the targets role's delegation to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction
from securesystemslib.signer import Key, Signer
from tuf.api.exceptions import UnsignedMetadataError
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    Role,
    Root,
    SuccinctRoles,
    Targets,
)

from warden.packaging.models import PendingChange, Project
from warden.packaging.pages import INDEX_KEY
from warden.tuf import repository as repo
from warden.tuf.keys import key_generate, key_public_of, signer_from_file
from warden.tuf.models import Staged
from warden.tuf.repository import Meta


class DraftError(Exception):
    """A draft that cannot be imported, with the reason."""


@dataclass(frozen=True)
class Holders:
    """Who signs a role: their public keys and how many of them must."""

    keys: tuple[Key, ...]
    threshold: int

    def __post_init__(self) -> None:
        if not 1 <= self.threshold <= len(self.keys):
            raise DraftError(f"a threshold of {self.threshold} needs at least that many keys"
                             f" (have {len(self.keys)})")
        if len({k.keyid for k in self.keys}) != len(self.keys):
            raise DraftError("the same key is listed twice")


def _role(holders: Holders) -> Role:
    return Role([k.keyid for k in holders.keys], holders.threshold)


def draft_init(*, root: Holders, targets: Holders, bins: Holders, online: Key,
               bit_length: int, now: datetime) -> dict[str, Meta]:
    """Version 1 of root, targets and bins, unsigned."""
    expires = repo.expiry(now, repo.OFFLINE_LIFETIME)
    root_md = Metadata(Root(expires=expires, consistent_snapshot=True))
    for holders, name in ((root, repo.ROOT), (targets, repo.TARGETS)):
        for key in holders.keys:
            root_md.signed.add_key(key, name)
        root_md.signed.roles[name].threshold = holders.threshold
    for name in (repo.SNAPSHOT, repo.TIMESTAMP):
        root_md.signed.add_key(online, name)
    delegation = DelegatedRole(name=repo.BINS, keyids=[k.keyid for k in bins.keys],
                               threshold=bins.threshold, terminating=False,
                               paths=list(repo.BINS_PATHS))
    targets_md = Metadata(Targets(expires=expires, delegations=Delegations(
        keys={k.keyid: k for k in bins.keys}, roles={repo.BINS: delegation})))
    succinct = SuccinctRoles(keyids=[online.keyid], threshold=1, bit_length=bit_length,
                             name_prefix=repo.BIN_PREFIX)
    bins_md = Metadata(Targets(expires=expires, delegations=Delegations(
        keys={online.keyid: online}, succinct_roles=succinct)))
    return {repo.ROOT: root_md, repo.TARGETS: targets_md, repo.BINS: bins_md}


def draft_next(role: str, *, now: datetime) -> Meta:
    """The current version of an offline role as the next one, unsigned, a year from now:
    the starting point of every change (a refresh is this draft unchanged)."""
    md = repo.current(role)
    md.signatures.clear()
    md.signed.version += 1
    md.signed.expires = repo.expiry(now, repo.OFFLINE_LIFETIME)
    return md


def online_rotate(*, new: Key, now: datetime) -> dict[str, Meta]:
    """Drafts that move timestamp, snapshot and every bin to the new online key."""
    root = draft_next(repo.ROOT, now=now)
    bins = draft_next(repo.BINS, now=now)
    assert isinstance(root.signed, Root) and isinstance(bins.signed, Targets)
    for name in (repo.SNAPSHOT, repo.TIMESTAMP):
        for keyid in list(root.signed.roles[name].keyids):
            root.signed.revoke_key(keyid, name)
        root.signed.add_key(new, name)
    roles = repo.succinct(bins)
    assert bins.signed.delegations is not None and bins.signed.delegations.keys is not None
    for keyid in roles.keyids:
        bins.signed.delegations.keys.pop(keyid, None)
    bins.signed.delegations.keys[new.keyid] = new
    roles.keyids = [new.keyid]
    return {repo.ROOT: root, repo.BINS: bins}


def root_keys_change(*, add: tuple[Key, ...] = (), revoke: tuple[str, ...] = (),
                     threshold: int | None, now: datetime) -> Meta:
    root = draft_next(repo.ROOT, now=now)
    assert isinstance(root.signed, Root)
    for key in add:
        root.signed.add_key(key, repo.ROOT)
    for keyid in revoke:
        if keyid not in root.signed.roles[repo.ROOT].keyids:
            raise DraftError(f"{keyid[:16]}... is not a root key")
        root.signed.revoke_key(keyid, repo.ROOT)
    if threshold is not None:
        root.signed.roles[repo.ROOT].threshold = threshold
    role = root.signed.roles[repo.ROOT]
    if not 1 <= role.threshold <= len(role.keyids):
        raise DraftError(f"root threshold {role.threshold} with {len(role.keyids)} keys")
    return root


def draft_sign(md: Meta, signer: Signer) -> None:
    """Add one holder's signature (replacing an earlier one by the same key)."""
    md.sign(signer, append=True)


def _verify(delegator: Meta, role: str, md: Meta) -> None:
    try:
        delegator.verify_delegate(role, md)
    except UnsignedMetadataError as exc:
        raise DraftError(f"{role}: not signed by enough of its keys ({exc})") from exc


def draft_verify(drafts: dict[str, Meta]) -> None:
    """Refuse a set of drafts a client would refuse, before anything is published."""
    unknown = set(drafts) - set(repo.OFFLINE_ROLES)
    if unknown:
        raise DraftError(f"not an offline role: {', '.join(sorted(unknown))}")
    initial = not repo.is_initialized()
    if initial and set(drafts) != set(repo.OFFLINE_ROLES):
        raise DraftError("a new repository needs root, targets and bins together")
    now = datetime.now(UTC)
    for name, md in drafts.items():
        kind = Root if name == repo.ROOT else Targets
        if not isinstance(md.signed, kind):
            raise DraftError(f"{name}: not {kind.type} metadata")
        expected = 1 if initial else repo.current_version(name) + 1
        if md.signed.version != expected:
            raise DraftError(f"{name}: version {md.signed.version}, expected {expected}")
        if md.signed.is_expired(now):
            raise DraftError(f"{name}: expired {md.signed.expires:%Y-%m-%d}")
    root = drafts.get(repo.ROOT) or repo.current_root()
    if repo.ROOT in drafts:
        if not initial:
            _verify(repo.current_root(), repo.ROOT, root)  # the old root vouches
        _verify(root, repo.ROOT, root)  # and the new one's own keys
    targets = drafts.get(repo.TARGETS) or repo.current(repo.TARGETS)
    if repo.TARGETS in drafts or repo.ROOT in drafts:
        _verify(root, repo.TARGETS, targets)
    if repo.BINS in drafts or repo.TARGETS in drafts:
        bins = drafts.get(repo.BINS) or repo.current_bins()
        _verify(targets, repo.BINS, bins)
        if not initial:
            old = repo.succinct(repo.current_bins())
            if repo.succinct(bins).bit_length != old.bit_length:
                raise DraftError("the number of bins cannot change")
    online = {tuple(root.signed.roles[n].keyids) for n in (repo.SNAPSHOT, repo.TIMESTAMP)}
    bins_now = drafts.get(repo.BINS) or repo.current_bins()
    online.add(tuple(repo.succinct(bins_now).keyids))
    if len(online) != 1:
        raise DraftError("timestamp, snapshot and the bins must share one online key")
    if not root.signed.consistent_snapshot:
        raise DraftError("root: consistent_snapshot must be on")
    offline = set(root.signed.roles[repo.ROOT].keyids) | set(root.signed.roles[repo.TARGETS].keyids)
    if offline & set(next(iter(online))):
        raise DraftError("an offline role must not trust the online key")


def draft_import(drafts: dict[str, Meta]) -> None:
    """Stage verified drafts. The signer's next commit publishes them together with the
    online roles signed again under them (every bin, when the online key changed); until
    then clients see the previous state, which stays valid. A new repository also gets
    every existing page queued, so an index that ran without TUF is signed in full."""
    draft_verify(drafts)
    initial = not repo.is_initialized()
    for name, md in drafts.items():
        repo.metadata_write(name, md.signed.version, repo.metadata_bytes(md))
    with transaction.atomic():
        for name, md in drafts.items():
            Staged.objects.update_or_create(name=name, defaults={
                "version": md.signed.version, "expires": md.signed.expires})
        if initial:
            PendingChange.objects.bulk_create(
                [PendingChange(normalized_name=name) for name in
                 Project.objects.values_list("normalized_name", flat=True)] +
                [PendingChange(normalized_name=INDEX_KEY, index_changed=True)],
                batch_size=1000)


def embedded_init(*, keys_dir: Path, online_key_file: Path, bit_length: int,
                  now: datetime) -> None:
    """A repository for the embedded default, signed on this machine with one key per
    offline role kept in `keys_dir`. Every file and page is signed from the first upload;
    an operator who wants offline keys runs the ceremony (docs/tuf-operators.md) and
    rotates these out."""
    if online_key_file.exists():
        online = key_public_of(online_key_file)
    else:
        online = key_generate(online_key_file, passphrase=None)
    signers = {}
    for name in repo.OFFLINE_ROLES:
        path = keys_dir / f"{name}.pem"
        if not path.exists():
            key_generate(path, passphrase=None)
        signers[name] = signer_from_file(path)
    holders = {name: Holders(keys=(s.public_key,), threshold=1) for name, s in signers.items()}
    drafts = draft_init(root=holders[repo.ROOT], targets=holders[repo.TARGETS],
                        bins=holders[repo.BINS], online=online, bit_length=bit_length,
                        now=now)
    for name, md in drafts.items():
        draft_sign(md, signers[name])
    draft_import(drafts)
