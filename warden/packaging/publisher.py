"""The publisher's half that belongs to packaging: turning pending changes into pages.

One process publishes (the TUF signer, `warden.tuf.signer`, elected by a database lease), in
batches: `batch_prepare` reads the pending changes, renders each touched page once and
stores the bodies (immutable, content-addressed), outside any transaction; the signer signs
what the batch offers; then, in one short transaction, `batch_commit` points the pages at
their new bodies and removes the pending changes the batch covered. So what
`/simple/<name>/` serves changes in the same commit as the signed metadata that names it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max

from warden.lib.failpoints import failpoint
from warden.lib.parallel import io_map
from warden.packaging.models import JournalEntry, PendingChange, Project, Release, SimplePage
from warden.packaging.pages import (
    INDEX_KEY,
    index_pairs,
    index_render,
    page_store,
    project_render,
    projects_files,
)


@dataclass(frozen=True)
class FileRef:
    """A file a page offers, as the page links it: `packages/<path>`, and beside it
    `packages/<path>.metadata` when `metadata_sha256` is set (PEP 658)."""

    path: str
    sha256: str
    size: int
    metadata_sha256: str | None


@dataclass(frozen=True)
class PageSet:
    """A page's two representations as rendered, and the files they offer."""

    key: str
    html: bytes
    json: bytes
    html_sha256: str
    json_sha256: str
    serial: int
    files: tuple[FileRef, ...]


@dataclass(frozen=True)
class Batch:
    pending: tuple[int, ...]
    # Keyed by page key (a normalized name, or INDEX_KEY): None for a project gone.
    pages: dict[str, PageSet | None]


def _pageset(key: str, html: bytes, json_body: bytes, serial: int,
             files: tuple[FileRef, ...]) -> PageSet:
    return PageSet(key=key, html=html, json=json_body,
                   html_sha256=hashlib.sha256(html).hexdigest(),
                   json_sha256=hashlib.sha256(json_body).hexdigest(), serial=serial,
                   files=files)


def _projects_pages(names: list[str]) -> dict[str, PageSet | None]:
    """Each named project's pages (None for a project gone), in a few queries for the
    whole batch rather than a few per project."""
    pages: dict[str, PageSet | None] = dict.fromkeys(names)
    for start in range(0, len(names), 500):
        projects = list(Project.objects.filter(normalized_name__in=names[start:start + 500]))
        files = projects_files(projects=projects)
        versions: dict[int, list[str]] = defaultdict(list)
        for project_id, version in Release.objects.filter(
                project__in=projects).values_list("project_id", "version"):
            versions[project_id].append(version)
        for project in projects:
            offered = files[project.pk]
            html, json_body = project_render(project=project, files=offered,
                                             versions=versions[project.pk])
            refs = tuple(FileRef(path=f.path, sha256=f.sha256, size=f.size,
                                 metadata_sha256=f.metadata_sha256) for f in offered)
            pages[project.normalized_name] = _pageset(
                project.normalized_name, html, json_body, project.last_serial, refs)
    return pages


def _index_pages() -> PageSet:
    # The serial first: every change it counts committed before the list read after it.
    serial = JournalEntry.objects.aggregate(latest=Max("pk"))["latest"] or 0
    html, json_body = index_render(projects=index_pairs())
    return _pageset(INDEX_KEY, html, json_body, serial, ())


def batch_prepare(*, limit: int = 1000, index_check: bool = True) -> Batch | None:
    """Render what the oldest `limit` pending changes touched; None when there is nothing
    to do. The root index is included when a change asked for it, or (`index_check`) when
    it was never published: a publisher asks that once, not on every poll."""
    rows = list(PendingChange.objects.order_by("pk").values_list(
        "pk", "normalized_name", "index_changed")[:limit])
    touched = {name for _, name, _ in rows if name}
    index = any(changed for _, _, changed in rows) or (index_check and not SimplePage.objects
                                                        .filter(key=INDEX_KEY)
                                                        .exclude(html_sha256="").exists())
    if not rows and not touched and not index:
        return None
    pages = _projects_pages(sorted(touched))
    if index:
        pages[INDEX_KEY] = _index_pages()
    io_map(page_store, [body for page in pages.values() if page is not None
                        for body in (page.html, page.json)])
    failpoint("publish.rendered")
    return Batch(pending=tuple(pk for pk, _, _ in rows), pages=pages)


def batch_commit(batch: Batch) -> None:
    """Point the pages at the batch's bodies and drop the pending changes it covered. Call
    inside the publisher's commit transaction."""
    names = [key for key in batch.pages if key != INDEX_KEY]
    live = {name for start in range(0, len(names), 500)
            for name in Project.objects.filter(normalized_name__in=names[start:start + 500])
            .values_list("normalized_name", flat=True)}
    keys = list(batch.pages)
    for start in range(0, len(keys), 500):
        SimplePage.objects.filter(key__in=keys[start:start + 500]).delete()
    # A page gone, or deleted since the render, gets no row: its deletion's own pending
    # change follows in the next batch.
    SimplePage.objects.bulk_create(
        [SimplePage(key=key, html_sha256=page.html_sha256, json_sha256=page.json_sha256,
                    serial=page.serial)
         for key, page in batch.pages.items()
         if page is not None and (key == INDEX_KEY or key in live)], batch_size=500)
    for start in range(0, len(batch.pending), 500):
        PendingChange.objects.filter(pk__in=batch.pending[start:start + 500]).delete()
    failpoint("publish.committing")

