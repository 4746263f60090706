"""The signer: the one process that publishes pages and signs them (PEP 458).

A cycle: take a batch of pending changes, render each touched page once
(`packaging.publisher`), work out which targets appeared, changed or left, sign each touched
bin once, then the snapshot, then the timestamp. Every metadata file is written to storage
under a new version before anything points at it; one transaction then makes the batch
current: the pages, the targets, the role versions and timestamp.json together. A crash
(kill -9) anywhere before that commit leaves clients on the previous consistent state, and
the pending changes still pending, so the next cycle does the work again.

Online roles are signed again before they expire, also when nothing changes. Nothing here
runs inside an upload: uploads only leave pending changes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from securesystemslib.signer import Signer
from tuf.api.metadata import (
    SuccinctRoles,
)

from warden.lib.parallel import io_map
from warden.lib.storage import durable_once
from warden.packaging.publisher import Batch, PageSet, batch_commit, batch_prepare
from warden.tuf import repository as repo
from warden.tuf.keys import signer_for
from warden.tuf.models import Obsolete, Role, SignerLease, Staged, State, Target

log = logging.getLogger("warden.tuf.signer")

LEASE = timedelta(seconds=15)
# An idle signer renews its lease this often, not every cycle: on SQLite each renewal is a
# write. The commit's own check (the fence) is what keeps two signers apart.
LEASE_RENEW = timedelta(seconds=5)
# Writing a chunk of files takes well under this; with less left, renew before writing.
LEASE_MARGIN = timedelta(seconds=5)
# Bins refreshed per cycle when only their expiry is due, so a refresh of many bins does
# not hold back the changes queued behind it.
REFRESH_CHUNK = 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T = TypeVar("T")


class LeaseLost(Exception):
    """Another signer holds the lease: this one must not publish."""


def lease_take(*, holder: str, now: datetime) -> bool:
    """Take or renew the signer lease: one conditional update, so of two signers racing
    for an expired lease exactly one wins, on SQLite and PostgreSQL alike."""
    taken = SignerLease.objects.filter(pk=1).filter(
        Q(holder=holder) | Q(expires__lte=now)).update(holder=holder, expires=now + LEASE)
    if taken:
        return True
    if not SignerLease.objects.filter(pk=1).exists():
        SignerLease.objects.get_or_create(pk=1, defaults={"holder": "", "expires": _EPOCH})
        return lease_take(holder=holder, now=now)
    return False


def lease_release(*, holder: str) -> None:
    SignerLease.objects.filter(pk=1, holder=holder).update(expires=_EPOCH)


@dataclass
class Online:
    """What signing needs, loaded from the current offline metadata and the online key."""

    signer: Signer
    bins: SuccinctRoles
    offline: tuple[int, int, int]  # root, targets and bins versions it was loaded from


@dataclass
class Diff:
    upserts: dict[str, Target] = field(default_factory=dict)
    removes: dict[str, int] = field(default_factory=dict)  # path -> bin

    def bins(self) -> set[int]:
        return {t.bin for t in self.upserts.values()} | set(self.removes.values())


@dataclass(frozen=True)
class Signed:
    """What a cycle signed and wrote, for its commit to make current."""

    diff: Diff
    expires: datetime
    bins: dict[int, int]  # bin number -> its new version
    snapshot_version: int
    timestamp_version: int
    timestamp: bytes


def offline_versions() -> tuple[int, int, int]:
    """The root, targets and bins versions to sign under (staged ones first)."""
    return (repo.current_version(repo.ROOT), repo.current_version(repo.TARGETS),
            repo.current_version(repo.BINS))


def _desired(page: PageSet, roles: SuccinctRoles, known: dict[str, Target]) -> list[Target]:
    def target(path: str, sha256: str, size: int | None) -> Target:
        if size is None:  # a metadata file: its size is in storage (or known already)
            old = known.get(path)
            size = old.size if old is not None and old.sha256 == sha256 else \
                default_storage.size(path)
        return Target(path=path, sha256=sha256, size=size, page_key=page.key,
                      bin=repo.bin_number(roles, path))

    prefix = f"simple/{page.key}/" if page.key else "simple/"
    wanted = [target(prefix + "index.html", page.html_sha256, len(page.html)),
              target(prefix + "index.json", page.json_sha256, len(page.json))]
    for ref in page.files:
        wanted.append(target(f"packages/{ref.path}", ref.sha256, ref.size))
        if ref.metadata_sha256:
            wanted.append(target(f"packages/{ref.path}.metadata", ref.metadata_sha256, None))
    return wanted


def targets_diff(batch: Batch, roles: SuccinctRoles) -> Diff:
    """What the batch changes in the set of signed targets: its pages' targets against
    the ones the current metadata names for the same pages."""
    known: dict[str, Target] = {
        t.path: t for t in Target.objects.filter(page_key__in=list(batch.pages))}
    diff = Diff()
    wanted: set[str] = set()
    for page in batch.pages.values():
        if page is None:
            continue
        for t in _desired(page, roles, known):
            wanted.add(t.path)
            old = known.get(t.path)
            if old is None or (old.sha256, old.size) != (t.sha256, t.size):
                diff.upserts[t.path] = t
    for path, old in known.items():
        if path not in wanted:
            diff.removes[path] = old.bin
    return diff


def _chunks(items: list[T], size: int = 500) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Publisher:
    """One signer's state between cycles: the lease it holds and the versions it wrote
    (it is the only writer, so its memory stays true while it holds the lease)."""

    def __init__(self, *, holder: str, online: Online | None) -> None:
        self.holder = holder
        self.online = online
        self.bins: dict[int, tuple[int, datetime]] = {}
        self.names: list[str] = []
        self.signed_under: tuple[int, int, int] | None = None
        self.stamps_expire = self.earliest = _EPOCH
        self.loaded = False
        self.renewed = _EPOCH

    def _load(self) -> None:
        self.bins = {}
        if self.online is not None:
            roles = self.online.bins
            self.names = [repo.bin_name(roles, n) for n in range(roles.number_of_bins)]
            numbers = {name: n for n, name in enumerate(self.names)}
            for name, version, expires in Role.objects.filter(
                    name__startswith=roles.name_prefix + "-").values_list(
                    "name", "version", "expires"):
                if name in numbers:
                    self.bins[numbers[name]] = (version, expires)
            state = State.objects.filter(pk=1).values_list("offline", flat=True).first()
            self.signed_under = _offline_versions_parse(state)
            self.stamps_expire = min(Role.objects.filter(
                name__in=[repo.SNAPSHOT, repo.TIMESTAMP]).values_list("expires", flat=True),
                default=_EPOCH)
            self.earliest = min((exp for _, exp in self.bins.values()), default=_EPOCH)
        self.loaded = True

    def cycle(self, *, now: datetime | None = None, limit: int = 1000) -> int:
        """One publish; returns how many pending changes it covered (0: maybe a refresh,
        maybe nothing to do). Raises LeaseLost when another signer holds the lease."""
        now = now or datetime.now(UTC)
        if not self.loaded or not timedelta(0) <= now - self.renewed < LEASE_RENEW:
            if not lease_take(holder=self.holder, now=now):
                self.loaded = False
                raise LeaseLost
            self.renewed = now
        first = not self.loaded
        if first:
            self._load()
        # Every file the commit will name is on disk before it.
        with durable_once():
            batch = batch_prepare(limit=limit, index_check=first)
            signed = self._sign(batch, now) if self.online is not None else None
        if signed is not None:
            self._commit(batch=batch, now=now, signed=signed)
        elif self.online is None and batch is not None:
            with transaction.atomic():
                self._lease_hold(now)
                batch_commit(batch)
        return len(batch.pending) if batch else 0

    def _lease_check(self, now: datetime) -> None:
        """Before writing files: a read while the lease has time left (on SQLite, a write
        would queue behind every upload's transaction), a renewal when it runs short."""
        if not SignerLease.objects.filter(pk=1, holder=self.holder,
                                          expires__gt=now + LEASE_MARGIN).exists():
            self._lease_hold(now)

    def _lease_hold(self, now: datetime) -> None:
        # Fencing: checked inside the commit, so a signer that stalled past its lease
        # (a long GC pause, a suspended VM) cannot publish over its successor.
        if not SignerLease.objects.filter(pk=1, holder=self.holder, expires__gt=now).update(
                expires=now + LEASE):
            self.loaded = False
            raise LeaseLost
        self.renewed = now

    def _refresh_due(self, now: datetime) -> tuple[list[int], bool]:
        """The bins to sign again because they expire soon (every bin, the first time or
        after new offline metadata), and whether snapshot and timestamp must be."""
        assert self.online is not None
        roles = self.online.bins
        if len(self.bins) < roles.number_of_bins or self.signed_under != self.online.offline:
            # First signing, or new offline metadata (perhaps a new online key): every
            # bin at once, so that no snapshot mixes bins of two keys.
            return list(range(roles.number_of_bins)), True
        horizon = now + repo.ONLINE_REFRESH
        if self.earliest > horizon:  # the common, idle case: nothing to look through
            return [], self.stamps_expire <= horizon
        due = sorted((n for n, (_, exp) in self.bins.items() if exp <= horizon),
                     key=lambda n: self.bins[n][1])[:REFRESH_CHUNK]
        return due, True

    def _bin_file(self, number: int, version: int, expires: datetime,
                  targets: dict[str, tuple[str, int]]) -> tuple[str, int, bytes]:
        assert self.online is not None
        signed = repo.online_signed("targets", version, expires, targets={
            path: {"length": size, "hashes": {"sha256": sha256}}
            for path, (sha256, size) in targets.items()})
        return (repo.bin_name(self.online.bins, number), version,
                repo.envelope_sign(signed, self.online.signer))

    def _sign(self, batch: Batch | None, now: datetime) -> Signed | None:
        """Sign and write what the batch (and the clock) requires; None if nothing."""
        assert self.online is not None
        roles = self.online.bins
        diff = targets_diff(batch, roles) if batch else Diff()
        refresh, stamps_due = self._refresh_due(now)
        touched = sorted(diff.bins() | set(refresh))
        if batch is None and not touched and not stamps_due:
            return None
        # Tuples, not model instances: a refresh of every bin reads a million rows.
        contents: dict[int, dict[str, tuple[str, int]]] = defaultdict(dict)
        for chunk in _chunks(touched):
            for path, sha256, size, number in Target.objects.filter(bin__in=chunk).values_list(
                    "path", "sha256", "size", "bin").iterator(chunk_size=5000):
                contents[number][path] = (sha256, size)
        for path, number in diff.removes.items():
            contents[number].pop(path, None)
        for path, t in diff.upserts.items():
            contents[t.bin][path] = (t.sha256, t.size)  # a path's bin never changes
        expires = repo.expiry(now, repo.ONLINE_LIFETIME)
        signed_bins = {n: self.bins.get(n, (0, _EPOCH))[0] + 1 for n in touched}
        # Files are written under the next versions' names before the commit. A signer
        # that lost its lease must stop before writing, or it could replace a file its
        # successor has already made current.
        self._lease_check(now)
        for chunk in _chunks(touched, 1000):
            files = [self._bin_file(n, signed_bins[n], expires, contents[n]) for n in chunk]
            io_map(lambda f: repo.metadata_write(*f), files)
            self._lease_check(now)
        versions = dict(Role.objects.filter(name__in=[repo.SNAPSHOT, repo.TIMESTAMP])
                        .values_list("name", "version"))
        _, versions[repo.TARGETS], versions[repo.BINS] = self.online.offline
        all_bins = {n: v for n, (v, _) in self.bins.items()} | signed_bins
        # The offline roles by hash too: a thief of the targets or bins key alone must not
        # be able to hand new clients other metadata under the current version number.
        meta = {f"{role}.json": repo.meta_pinned(role, versions[role])
                for role in (repo.TARGETS, repo.BINS)}
        meta |= {f"{name}.json": {"version": all_bins[n]}
                 for n, name in enumerate(self.names) if n in all_bins}
        snapshot_version = versions.get(repo.SNAPSHOT, 0) + 1
        snapshot = repo.envelope_sign(
            repo.online_signed("snapshot", snapshot_version, expires, meta=meta),
            self.online.signer)
        repo.metadata_write(repo.SNAPSHOT, snapshot_version, snapshot)
        timestamp_version = versions.get(repo.TIMESTAMP, 0) + 1
        # The snapshot's length lets clients fetch it whatever their default limit (2 MB
        # in python-tuf; 65,536 bins make a snapshot of 9 MB).
        timestamp = repo.envelope_sign(repo.online_signed(
            "timestamp", timestamp_version, expires,
            meta={"snapshot.json": repo.meta_of(snapshot_version, snapshot)}),
            self.online.signer)
        return Signed(diff=diff, expires=expires, bins=signed_bins,
                      snapshot_version=snapshot_version, timestamp_version=timestamp_version,
                      timestamp=timestamp)

    def _commit(self, *, batch: Batch | None, now: datetime, signed: Signed) -> None:
        assert self.online is not None
        diff, expires, signed_bins = signed.diff, signed.expires, signed.bins
        snapshot_version, timestamp_version = signed.snapshot_version, signed.timestamp_version
        timestamp = signed.timestamp
        superseded = [repo.metadata_name(self.names[n], self.bins[n][0])
                      for n in signed_bins if n in self.bins]
        if snapshot_version > 1:
            superseded.append(repo.metadata_name(repo.SNAPSHOT, snapshot_version - 1))
        with transaction.atomic():
            self._lease_hold(now)
            if batch is not None:
                batch_commit(batch)
            for paths in _chunks([*diff.removes, *diff.upserts]):
                Target.objects.filter(path__in=paths).delete()
            Target.objects.bulk_create(diff.upserts.values(), batch_size=500)
            for chunk in _chunks([self.names[n] for n in signed_bins]):
                Role.objects.filter(name__in=chunk).delete()
            Role.objects.bulk_create(
                [Role(name=self.names[n], version=v, expires=expires)
                 for n, v in signed_bins.items()], batch_size=500)
            for name, version in ((repo.SNAPSHOT, snapshot_version),
                                  (repo.TIMESTAMP, timestamp_version)):
                Role.objects.update_or_create(name=name, defaults={
                    "version": version, "expires": expires})
            # Imported offline versions become current now, with what was signed under
            # them (a newer import that arrived meanwhile waits for the next cycle).
            for name, version in zip(repo.OFFLINE_ROLES, self.online.offline, strict=True):
                staged = Staged.objects.filter(name=name, version=version).first()
                if staged is not None:
                    Role.objects.update_or_create(name=name, defaults={
                        "version": version, "expires": staged.expires})
                    staged.delete()
            State.objects.update_or_create(pk=1, defaults={
                "timestamp": timestamp, "published": now,
                "offline": _offline_key(self.online.offline)})
            Obsolete.objects.bulk_create([Obsolete(name=n, since=now) for n in superseded],
                                         batch_size=500)
        for number, version in signed_bins.items():
            self.bins[number] = (version, expires)
        self.signed_under = self.online.offline
        self.stamps_expire = expires
        self.earliest = min(exp for _, exp in self.bins.values())


def _offline_key(versions: tuple[int, int, int]) -> str:
    return ".".join(str(v) for v in versions)


def _offline_versions_parse(key: str | None) -> tuple[int, int, int] | None:
    parts = (key or "").split(".")
    return (int(parts[0]), int(parts[1]), int(parts[2])) if len(parts) == 3 else None


def obsolete_collect(*, now: datetime | None = None) -> int:
    """Delete metadata files superseded more than OBSOLETE_KEEP ago. Root files are never
    superseded: every N.root.json stays, since clients walk them in order."""
    now = now or datetime.now(UTC)
    rows = list(Obsolete.objects.filter(since__lte=now - repo.OBSOLETE_KEEP)
                .values_list("pk", "name")[:5000])
    for _, name in rows:
        if default_storage.exists(name):
            default_storage.delete(name)
    Obsolete.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return len(rows)


def online_load(*, key_file: Path | None, key_uri: str | None) -> Online:
    """The online key and bins as the current offline metadata define them; refuses a key
    that is not the one root trusts for timestamp and snapshot."""
    offline = offline_versions()
    root = repo.current_root()
    bins = repo.succinct(repo.current_bins())
    keyid = root.signed.roles[repo.TIMESTAMP].keyids[0]
    signer = signer_for(root.signed.keys[keyid], key_file=key_file, key_uri=key_uri)
    return Online(signer=signer, bins=bins, offline=offline)


def publisher_for(holder: str, current: Publisher | None) -> Publisher:
    """The publisher for the repository as it is now: unchanged while the offline metadata
    is, reloaded (online key, bins) when an import changed it."""
    if not settings.WARDEN_TUF or not repo.is_initialized():
        if current is None or current.online is not None:
            return Publisher(holder=holder, online=None)
        return current
    if current is not None and current.online is not None and \
            current.online.offline == offline_versions():
        return current
    online = online_load(key_file=settings.WARDEN_TUF_ONLINE_KEY_FILE,
                         key_uri=settings.WARDEN_TUF_ONLINE_KEY_URI)
    return Publisher(holder=holder, online=online)


def publish_all(publisher: Publisher, *, now: datetime | None = None) -> int:
    """Cycles until nothing is pending: what tests and `--sync` use."""
    total = 0
    while True:
        covered = publisher.cycle(now=now)
        total += covered
        if not covered:
            return total
