"""Serving package files and their PEP 658 metadata from storage, with Range support.

pip and uv read a wheel's central directory by Range requests before deciding to download
it, so single ranges are answered with 206. Files never change once written (their path
holds their sha256), so they are cacheable for a year.

The database, not storage, says what is published: storage also holds bytes that never were
(an upload refused or rolled back after its bytes were written) or no longer are (a deleted
file whose bytes outlive their row), and a content-addressed path is easy to guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, cast

from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, StreamingHttpResponse
from django.views.decorators.http import require_safe

from warden.packaging.models import ProjectStatus

CHUNK = 256 * 1024
_PATH = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}/[A-Za-z0-9_][^/\x00]*")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# TUF clients fetch targets by hash-prefixed names (`<dir>/<sha256>.<name>`). A distribution
# filename never starts with 64 hex digits and a dot (the project name is followed by `-`).
_PREFIXED = re.compile(r"([0-9a-f]{64})\.(.+)")


def _chunks(fh: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        fh.close()


def _range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) for a single satisfiable range; None to send it all.
    Multiple ranges get the whole file, which RFC 9110 allows."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        suffix = int(last)
        if suffix == 0:
            raise ValueError("empty suffix range")
        return (max(0, size - suffix), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ValueError("unsatisfiable")
    return (start, end)


def row_fetch(sql: str, params: Sequence[str]) -> tuple[Any, ...] | None:
    """The first row of one query on the default connection, for the read path."""
    # One retry: a persistent connection the database closed (restart, idle timeout)
    # fails once and is replaced. The fast path never runs Django's request signals, which
    # would otherwise have dropped it.
    for attempt in (1, 2):
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
            return tuple(row) if row else None
        except DatabaseError:
            connection.close()
            if attempt == 2:
                raise
    return None


# One lookup by File.path (unique, so indexed); the joins follow primary keys. The same
# rule as File.objects.offered(), in SQL for speed: PEP 792, a quarantined project or
# release offers no file for download, not even at a URL someone kept; nor does a file
# held for screening. A test checks the two agree.
_FILE_SQL = (
    "SELECT f.metadata_sha256 FROM packaging_file f"
    " JOIN packaging_release r ON r.id = f.release_id"
    " JOIN packaging_project p ON p.id = r.project_id"
    " WHERE f.path = %s AND p.status <> %s AND NOT f.held AND NOT r.quarantined"
)


def file_locate(path: str) -> tuple[str, int, dict[str, str]] | None:
    """(storage name, size, headers) for a download path, or None if there is no such
    file. The path must have the shape we write, which keeps requests inside `packages/`,
    and a committed File row must name it (and, for `.metadata`, record PEP 658 metadata):
    bytes in storage alone are never served. A hash-prefixed name is served only when its
    prefix is the sha256 of what it names."""
    head, _, last = path.rpartition("/")
    prefixed = _PREFIXED.fullmatch(last)
    claimed = None
    if prefixed is not None:
        claimed, path = prefixed.group(1), f"{head}/{prefixed.group(2)}"
    metadata = path.endswith(".metadata")
    file_path = path.removesuffix(".metadata") if metadata else path
    if not _PATH.fullmatch(file_path):
        return None
    row = row_fetch(_FILE_SQL, [file_path, ProjectStatus.QUARANTINED.value])
    if row is None or (metadata and row[0] is None):
        return None
    if claimed is not None and claimed != (row[0] if metadata else file_path.split("/")[2]):
        return None
    name = f"packages/{path}"
    try:
        size = default_storage.size(name)
    except FileNotFoundError:
        return None
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "Accept-Ranges": "bytes",
        "ETag": f'"{file_path.split("/")[2][:48]}{"m" if metadata else "f"}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Type": "text/plain; charset=utf-8" if metadata else "application/octet-stream",
    }
    return name, size, headers


def package_file_fast(environ: dict[str, Any], start_response: Callable[..., Any],
                      ) -> Iterable[bytes] | None:
    """The common download (a whole file, no conditions) without Django's machinery, handed
    to the server's `wsgi.file_wrapper` (sendfile where the storage is a local file).
    Anything else, ranges and conditional requests included, returns None for the view."""
    if "HTTP_RANGE" in environ or "HTTP_IF_NONE_MATCH" in environ or \
            environ.get("QUERY_STRING"):
        return None
    located = file_locate(environ["PATH_INFO"].removeprefix("/packages/"))
    if located is None:
        return None
    name, size, headers = located
    headers["Content-Length"] = str(size)
    start_response("200 OK", list(headers.items()))
    if environ["REQUEST_METHOD"] == "HEAD":
        return []
    fh = default_storage.open(name, "rb")
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is not None:
        return cast("Iterable[bytes]", wrapper(fh, CHUNK))
    return _chunks(fh, 0, size)


@require_safe
def package_file(request: HttpRequest, path: str) -> HttpResponse | StreamingHttpResponse:
    located = file_locate(path)
    if located is None:
        return HttpResponseNotFound("404 Not Found\n", content_type="text/plain")
    name, size, headers = located
    content_type = headers.pop("Content-Type")
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return HttpResponse(status=304, headers=headers)
    start, end, status = 0, size - 1, 200
    range_header = request.headers.get("Range")
    if range_header and size > 0:
        try:
            chosen = _range(range_header, size)
        except ValueError:
            return HttpResponse(status=416, headers={"Content-Range": f"bytes */{size}"})
        if chosen is not None:
            start, end = chosen
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    length = end - start + 1 if size else 0
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return HttpResponse(status=status, headers=headers, content_type=content_type)
    fh = default_storage.open(name, "rb")
    response = StreamingHttpResponse(_chunks(fh, start, length), status=status,
                                     content_type=content_type, headers=headers)
    return response
