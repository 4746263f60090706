"""`warden check`: does what the database says agree with what storage holds?

The upload and the publisher are written so that a crash anywhere (kill -9, OOM, power cut)
leaves the index consistent (publish.py, publisher.py); this is how an operator, or the
crash tests, find out whether it did. It checks, streaming rows and storage listings so
that memory stays flat at a million files:

- every file row has its bytes (and a wheel its PEP 658 `.metadata`), of the row's size;
  with `verify_hashes` also of the row's sha256 (reads every byte: hours on a big S3
  bucket, so it is asked for, not the default);
- every current simple page (and the root index) is stored and its bytes match its
  content address (pages are small: always hashed), every file a project page offers has a
  row, no page is served for a project that is gone, and every project has a page or a
  pending change that will make one;
- no pending page change and no task is stuck (older than `stuck_after`).

Bytes under `packages/` that no row names (orphans: an upload that died between storage and
commit, or an interrupted write) are harmless, because nothing is served without a row; they
are noted, not counted as problems, and removed only with `repair`, and then only once
older than `stuck_after` (an upload in flight has stored its bytes but not committed yet).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db.models import Min
from django.utils import timezone

from warden.lib.tasks import tasks_requeue_abandoned, tasks_stuck
from warden.packaging.models import File, PendingChange, Project, SimplePage
from warden.packaging.pages import INDEX_KEY, page_path

CHUNK = 1024 * 1024
BATCH = 1000
PACKAGES = "packages/"


@dataclass(frozen=True)
class Finding:
    kind: str
    name: str
    detail: str


@dataclass
class Report:
    problems: list[Finding] = field(default_factory=list)
    # Harmless, reported for the operator: orphaned bytes.
    notes: list[Finding] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "checked": self.checked,
                "problems": [vars(p) for p in self.problems],
                "notes": [vars(n) for n in self.notes], "repaired": self.repaired}


def index_check(*, verify_hashes: bool = False, repair: bool = False,
                stuck_after: timedelta = timedelta(minutes=15)) -> Report:
    """Check the whole index; see the module's docstring. `repair` removes old orphans and
    requeues stuck tasks; it never touches a row or a published object."""
    report = Report()
    cutoff = timezone.now() - stuck_after
    _files_check(report, verify_hashes=verify_hashes)
    _orphans_check(report, repair=repair, cutoff=cutoff)
    _pages_check(report)
    _pending_check(report, cutoff=cutoff, repair=repair)
    return report


def _files_check(report: Report, *, verify_hashes: bool) -> None:
    count = 0
    rows = File.objects.order_by("pk").values_list(
        "filename", "path", "size", "sha256", "metadata_sha256")
    for filename, path, size, sha256, metadata_sha256 in rows.iterator(chunk_size=BATCH):
        count += 1
        name = f"{PACKAGES}{path}"
        _object_check(report, kind="file", name=name, what=f"file {filename}", size=size,
                      sha256=sha256 if verify_hashes else None)
        if metadata_sha256:
            _object_check(report, kind="metadata", name=f"{name}.metadata",
                          what=f"PEP 658 metadata of {filename}", size=None,
                          sha256=metadata_sha256 if verify_hashes else None)
    report.checked["files"] = count


def _object_check(report: Report, *, kind: str, name: str, what: str, size: int | None,
                  sha256: str | None) -> bytes | None:
    """Check one stored object; returns its bytes when `sha256` asked for them to be read
    and they are small enough to keep (pages), else None."""
    if sha256 is None:
        try:
            found = default_storage.size(name)
        except Exception as exc:
            report.problems.append(_unreadable(kind, name, what, exc))
            return None
        if size is not None and found != size:
            report.problems.append(Finding(f"{kind}-size", name,
                                           f"{what}: {found} bytes, the row says {size}"))
        return None
    digest = hashlib.sha256()
    length = 0
    kept = bytearray()
    try:
        with default_storage.open(name, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                length += len(chunk)
                if kind == "page":
                    kept += chunk
    except Exception as exc:
        report.problems.append(_unreadable(kind, name, what, exc))
        return None
    if size is not None and length != size:
        report.problems.append(Finding(f"{kind}-size", name,
                                       f"{what}: {length} bytes, the row says {size}"))
    elif digest.hexdigest() != sha256:
        report.problems.append(Finding(f"{kind}-hash", name,
                                       f"{what}: sha256 {digest.hexdigest()}, "
                                       f"expected {sha256}"))
    else:
        return bytes(kept) if kind == "page" else None
    return None


def _unreadable(kind: str, name: str, what: str, exc: Exception) -> Finding:
    if isinstance(exc, FileNotFoundError):
        return Finding(f"{kind}-missing", name, f"{what}: not in storage")
    return Finding(f"{kind}-unreadable", name, f"{what}: {type(exc).__name__}: {exc}")


def _walk(prefix: str) -> Iterator[str]:
    """Every stored name under `prefix` (a directory name ending in /), depth first."""
    try:
        directories, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(files):
        yield f"{prefix}{name}"
    for directory in sorted(directories):
        yield from _walk(f"{prefix}{directory}/")


def _batches(names: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for name in names:
        batch.append(name)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _orphans_check(report: Report, *, repair: bool, cutoff: datetime) -> None:
    count = 0
    for batch in _batches(_walk(PACKAGES)):
        count += len(batch)
        paths = {name.removeprefix(PACKAGES).removesuffix(".metadata") for name in batch}
        rows = dict(File.objects.filter(path__in=paths).values_list("path",
                                                                    "metadata_sha256"))
        for name in batch:
            path = name.removeprefix(PACKAGES)
            if path in rows:
                continue
            if path.endswith(".metadata") and rows.get(path.removesuffix(".metadata")):
                continue
            report.notes.append(Finding("orphan", name,
                                        "stored bytes no row names (not served)"))
            if repair and default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                report.repaired.append(f"removed orphan {name}")
    report.checked["stored objects"] = count


def _pages_check(report: Report) -> None:
    count = 0
    for key, html_sha256, json_sha256 in SimplePage.objects.order_by("key").values_list(
            "key", "html_sha256", "json_sha256").iterator(chunk_size=BATCH):
        count += 1
        shown = "the root index" if key == INDEX_KEY else f"the page of {key}"
        for form, digest in (("HTML", html_sha256), ("JSON", json_sha256)):
            body = _object_check(report, kind="page", name=page_path(digest),
                                 what=f"{form} of {shown}", size=None, sha256=digest)
            # A page with a change pending may still offer a file deleted since: it is
            # about to be replaced (and the download already refuses the file).
            if body is not None and form == "JSON" and key != INDEX_KEY and \
                    not PendingChange.objects.filter(normalized_name=key).exists():
                _page_files_check(report, key=key, body=body)
    report.checked["pages"] = count
    gone = SimplePage.objects.exclude(key=INDEX_KEY).exclude(
        key__in=Project.objects.values("normalized_name"))
    for key in gone.values_list("key", flat=True).iterator(chunk_size=BATCH):
        report.problems.append(Finding("page-without-project", f"simple/{key}/",
                                       "a page is served for a project that does not exist"))
    unpublished = Project.objects.exclude(
        normalized_name__in=SimplePage.objects.values("key")).exclude(
        normalized_name__in=PendingChange.objects.values("normalized_name"))
    for name in unpublished.values_list("normalized_name", flat=True).iterator(
            chunk_size=BATCH):
        report.problems.append(Finding("project-unpublished", f"simple/{name}/",
                                       "no page and no pending change to make one"))


def _page_files_check(report: Report, *, key: str, body: bytes) -> None:
    """Every file the page offers has a row with the page's hash: nothing is offered for
    download that the index does not hold."""
    try:
        listed = {f["url"].removeprefix(f"../../{PACKAGES}"): f["hashes"]["sha256"]
                  for f in json.loads(body)["files"]}
    except (ValueError, KeyError, TypeError):
        report.problems.append(Finding("page-unreadable", f"simple/{key}/",
                                       "the JSON page does not parse"))
        return
    known = dict(File.objects.filter(path__in=listed).values_list("path", "sha256"))
    for path, sha256 in sorted(listed.items()):
        if known.get(path) != sha256:
            report.problems.append(Finding("page-file-unknown", f"simple/{key}/",
                                           f"offers {path}, which no file row holds"))


def _pending_check(report: Report, *, cutoff: datetime, repair: bool) -> None:
    stale = PendingChange.objects.filter(created__lt=cutoff)
    found = stale.aggregate(oldest=Min("created"))["oldest"]
    if found is not None:
        report.problems.append(Finding(
            "pending-stuck", "pending changes",
            f"{stale.count()} page change(s) waiting since {found.isoformat()}: is the "
            "signer (`warden signer`, or `warden serve`) running?"))
    report.checked["pending changes"] = PendingChange.objects.count()
    for pk, path, started in tasks_stuck(started_before=cutoff):
        report.problems.append(Finding(
            "task-stuck", pk, f"{path} running since {started.isoformat() if started else '?'}"
            " (its worker may have died; --repair requeues it)"))
    if repair:
        requeued = tasks_requeue_abandoned(started_before=cutoff)
        if requeued:
            report.repaired.append(f"requeued {requeued} stuck task(s)")
