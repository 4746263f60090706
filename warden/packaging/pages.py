"""Rendering simple pages once per change and publishing them as immutable objects.

A read of the simple API is the hot path of an index: every `pip install` asks for one page
per dependency. So pages are rendered here, when a project changes, and stored under the
sha256 of their bytes; a read is one indexed lookup plus bytes from a cache or storage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max

from warden.packaging.models import (
    File,
    IndexRenderRequest,
    JournalEntry,
    Project,
    ProjectStatus,
    SimplePage,
)
from warden.packaging.versions import version_key

API_VERSION = "1.4"
INDEX_KEY = ""


def page_path(digest: str) -> str:
    return f"simple/{digest[:2]}/{digest}"


def file_url(file: File) -> str:
    """Relative to `/simple/<name>/`, so an index served under a path prefix or another host
    name still links to its own files, and the page needs no knowledge of the host."""
    return f"../../packages/{file.path}"


def _upload_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _status_html(project: Project) -> str:
    lines = f'    <meta name="pypi:project-status" content="{escape(project.status)}">\n'
    if project.status_reason:
        lines += ('    <meta name="pypi:project-status-reason" '
                  f'content="{escape(project.status_reason)}">\n')
    return lines


def project_render(*, project: Project) -> tuple[bytes, bytes]:
    """The project's page as (PEP 503 HTML, PEP 691 JSON) bytes."""
    # PEP 792: a quarantined project offers no files to install.
    files = [] if project.status == ProjectStatus.QUARANTINED else list(
        File.objects.filter(release__project=project)
        .select_related("release")
        .order_by("release__created", "filename")
    )
    versions = sorted({f.release.version for f in files} |
                      set(project.releases.values_list("version", flat=True)),
                      key=version_key)
    files.sort(key=lambda f: (version_key(f.release.version), f.filename))
    anchors = []
    json_files = []
    for f in files:
        url = file_url(f)
        attrs = f'href="{escape(url)}#sha256={f.sha256}"'
        if f.requires_python:
            attrs += f' data-requires-python="{escape(f.requires_python)}"'
        if f.metadata_sha256:
            # Both spellings: PEP 714 renamed the attribute, older pips read the first.
            attrs += (f' data-dist-info-metadata="sha256={f.metadata_sha256}"'
                      f' data-core-metadata="sha256={f.metadata_sha256}"')
        if f.release.yanked:
            attrs += f' data-yanked="{escape(f.release.yanked_reason)}"'
        anchors.append(f"    <a {attrs}>{escape(f.filename)}</a><br>\n")
        entry: dict[str, object] = {
            "filename": f.filename,
            "url": url,
            "hashes": {"sha256": f.sha256},
            "requires-python": f.requires_python or None,
            "size": f.size,
            "upload-time": _upload_time(f.upload_time),
            "yanked": (f.release.yanked_reason or True) if f.release.yanked else False,
        }
        if f.metadata_sha256:
            entry["core-metadata"] = {"sha256": f.metadata_sha256}
            entry["dist-info-metadata"] = {"sha256": f.metadata_sha256}
        else:
            entry["core-metadata"] = False
        json_files.append(entry)
    name = escape(project.normalized_name)
    html = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"{_status_html(project)}"
        f"    <title>Links for {name}</title>\n  </head>\n  <body>\n"
        f"    <h1>Links for {name}</h1>\n{''.join(anchors)}  </body>\n</html>\n"
    )
    status: dict[str, str] = {"status": project.status}
    if project.status_reason:
        status["reason"] = project.status_reason
    payload = {
        "meta": {"api-version": API_VERSION, "_last-serial": project.last_serial},
        "name": project.normalized_name,
        "versions": versions,
        "files": json_files,
        "project-status": status,
    }
    return html.encode(), _json_bytes(payload)


def index_render(*, projects: Iterable[tuple[str, str]]) -> tuple[bytes, bytes]:
    """The root index from (name, normalized name) pairs."""
    pairs = sorted(projects, key=lambda p: p[1])
    anchors = "".join(
        f'    <a href="{escape(norm)}/">{escape(name)}</a><br>\n' for name, norm in pairs
    )
    html = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>Simple index</title>\n  </head>\n  <body>\n{anchors}  </body>\n</html>\n"
    )
    payload = {"meta": {"api-version": API_VERSION},
               "projects": [{"name": name} for name, _ in pairs]}
    return html.encode(), _json_bytes(payload)


def _json_bytes(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _store(body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    path = page_path(digest)
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(body))
    return digest


def page_publish(*, key: str, html: bytes, json_body: bytes, serial: int) -> SimplePage:
    """Store both bodies, then point the key at them, unless a render of a later serial got
    there first (renders run as tasks, and two workers can finish out of order). Bodies are
    written before the row, so a reader that sees the row always finds the bytes."""
    html_sha256, json_sha256 = _store(html), _store(json_body)
    with transaction.atomic():
        page = SimplePage.objects.select_for_update().filter(key=key).first()
        if page is None:
            try:
                with transaction.atomic():
                    return SimplePage.objects.create(key=key, html_sha256=html_sha256,
                                                     json_sha256=json_sha256, serial=serial)
            except IntegrityError:  # another render created it meanwhile
                page = SimplePage.objects.select_for_update().get(key=key)
        if page.serial > serial:
            return page
        page.html_sha256, page.json_sha256, page.serial = html_sha256, json_sha256, serial
        page.save(update_fields=["html_sha256", "json_sha256", "serial"])
    return page


def simple_project_render(*, normalized_name: str) -> None:
    """Publish the project's pages as they are now (no page if it no longer exists)."""
    project = Project.objects.filter(normalized_name=normalized_name).first()
    if project is None:
        SimplePage.objects.filter(key=normalized_name).delete()
        return
    if SimplePage.objects.filter(key=normalized_name, serial__gte=project.last_serial).exists():
        return  # a render of this change (or a later one) is already published
    html, json_body = project_render(project=project)
    page_publish(key=normalized_name, html=html, json_body=json_body,
                 serial=project.last_serial)


def simple_index_render() -> None:
    """Publish the root index if a change to the list of projects is not shown yet. One
    render covers every change committed before it began, so a burst of new projects costs
    one render, not one each."""
    with transaction.atomic():
        # Renders of the index run one at a time (the row's lock), so each one's snapshot is
        # newer than the page it replaces, whatever order the changes committed in.
        SimplePage.objects.get_or_create(key=INDEX_KEY, defaults={
            "html_sha256": "", "json_sha256": "", "serial": 0})
        page = SimplePage.objects.select_for_update().get(key=INDEX_KEY)
        # Requests first, then the projects: every request read here belongs to a committed
        # change, which the project list read after it therefore includes.
        covered = list(IndexRenderRequest.objects.values_list("pk", flat=True))
        if not covered and page.html_sha256:
            return
        latest = JournalEntry.objects.aggregate(latest=Max("pk"))["latest"] or 0
        pairs = Project.objects.exclude(status=ProjectStatus.QUARANTINED).values_list(
            "name", "normalized_name")
        html, json_body = index_render(projects=pairs)
        page.html_sha256, page.json_sha256 = _store(html), _store(json_body)
        page.serial = max(latest, page.serial)
        page.save(update_fields=["html_sha256", "json_sha256", "serial"])
        IndexRenderRequest.objects.filter(pk__in=covered).delete()


def simple_index_ensure() -> None:
    """The root index exists from the first start, before any project does."""
    if not SimplePage.objects.filter(key=INDEX_KEY).exclude(html_sha256="").exists():
        simple_index_render()

