"""Rendering simple pages, once per change, as immutable objects.

A read of the simple API is the hot path of an index: every `pip install` asks for one page
per dependency. So pages are rendered here, when a project changes (by the publisher,
`publisher.py`), and stored under the sha256 of their bytes; a read is one indexed lookup
plus bytes from a cache or storage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from warden.packaging.models import File, Project, ProjectStatus
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


def project_render(*, project: Project, files: list[File] | None = None,
                   versions: Iterable[str] | None = None) -> tuple[bytes, bytes]:
    """The project's page as (PEP 503 HTML, PEP 691 JSON) bytes. `files` (as
    `projects_files` gives them) and `versions` (every release's) are loaded when not given:
    the publisher loads them for a whole batch at once."""
    if files is None:
        files = projects_files(projects=[project])[project.pk]
    if versions is None:
        versions = project.releases.values_list("version", flat=True)
    versions = sorted({f.release.version for f in files} | set(versions), key=version_key)
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


def page_store(body: bytes) -> str:
    """Store a page body under its sha256 (once) and return the digest."""
    digest = hashlib.sha256(body).hexdigest()
    path = page_path(digest)
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(body))
    return digest


def projects_files(*, projects: Iterable[Project]) -> dict[int, list[File]]:
    """The files each project's page offers, in page order, by project id: one query."""
    offered: dict[int, list[File]] = {p.pk: [] for p in projects}
    # PEP 792: a quarantined project offers no files to install (`offered` filters).
    ids = [p.pk for p in projects if p.status != ProjectStatus.QUARANTINED]
    for f in File.objects.offered().filter(release__project_id__in=ids).select_related(
            "release"):
        offered[f.release.project_id].append(f)
    for files in offered.values():
        files.sort(key=lambda f: (version_key(f.release.version), f.filename))
    return offered


def index_pairs() -> list[tuple[str, str]]:
    """(name, normalized name) of every project the root index lists."""
    return list(Project.objects.exclude(status=ProjectStatus.QUARANTINED).values_list(
        "name", "normalized_name"))
