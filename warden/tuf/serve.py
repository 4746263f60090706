"""Serving TUF metadata at /tuf/, in front of Django (and by a Django view when the fast path
is not in front).

`/tuf/timestamp.json` is the only file that changes; it comes from the database row the
signer's commit writes. Every other file is `/tuf/<N>.<role>.json`, immutable, and served
only once a commit has made version N current (storage may hold a version written by a
publish that crashed before its commit; no client must ever see that one, and a CDN must
never cache it).
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from warden.packaging.simple.fast import HeadersFor, StartResponse, WSGIApp, headers_add
from warden.packaging.simple.files import row_fetch
from warden.tuf import repository as repo

_PATH = re.compile(r"/tuf/(?:(\d{1,10})\.(root|targets|bins|snapshot|bin-[0-9a-f]{1,8})|"
                   r"(timestamp))\.json")
_VERSION_SQL = "SELECT version FROM tuf_role WHERE name = %s"
_TIMESTAMP_SQL = "SELECT timestamp FROM tuf_state WHERE id = 1"
IMMUTABLE = "public, max-age=31536000, immutable"
Response = tuple[str, list[tuple[str, str]], bytes]


class _Cache:
    """Immutable metadata files by name, plain and gzipped, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self.items: OrderedDict[str, tuple[bytes, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, name: str, load: Any) -> tuple[bytes, bytes]:
        with self.lock:
            hit = self.items.get(name)
            if hit is not None:
                self.items.move_to_end(name)
                return hit
        body = load()
        entry = (body, gzip.compress(body, compresslevel=6, mtime=0))
        with self.lock:
            if name not in self.items:
                self.items[name] = entry
                self.size += len(entry[0]) + len(entry[1])
                while self.size > self.max_bytes:
                    _, (old, old_gz) = self.items.popitem(last=False)
                    self.size -= len(old) + len(old_gz)
        return entry


_cache = _Cache(max_bytes=64 * 1024 * 1024)


def _wants_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.split(","):
        token, _, params = part.strip().partition(";")
        if token.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def metadata_response(*, path: str, accept_encoding: str, if_none_match: str | None,
                      head: bool) -> Response | None:
    """(status line, headers, body) for a metadata path, or None if there is no such
    published file."""
    match = _PATH.fullmatch(path)
    if match is None:
        return None
    if match.group(3):
        row = row_fetch(_TIMESTAMP_SQL, [])
        if row is None:
            return None
        body = bytes(row[0])
        plain, packed = body, gzip.compress(body, compresslevel=6, mtime=0)
        cache_control = str(settings.WARDEN_TUF_TIMESTAMP_CACHE_CONTROL)
    else:
        version, role = int(match.group(1)), match.group(2)
        current = row_fetch(_VERSION_SQL, [role])
        if current is None or not 1 <= version <= current[0]:
            return None
        try:
            plain, packed = _cache.get(repo.metadata_name(role, version),
                                       lambda: repo.metadata_read(role, version))
        except FileNotFoundError:
            return None  # collected: a snapshot or bin superseded long ago
        cache_control = IMMUTABLE
    etag = f'"{hashlib.sha256(plain).hexdigest()[:48]}"'
    headers = [("Content-Type", "application/json"), ("Cache-Control", cache_control),
               ("ETag", etag), ("Vary", "Accept-Encoding"),
               ("X-Content-Type-Options", "nosniff")]
    if if_none_match and etag in (t.strip().removeprefix("W/") for t in if_none_match.split(",")):
        return "304 Not Modified", headers, b""
    body = plain
    if _wants_gzip(accept_encoding):
        body = packed
        headers.append(("Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(body))))
    return "200 OK", headers, b"" if head else body


def tuf_fast_path(app: WSGIApp, *, headers: HeadersFor) -> WSGIApp:
    """`app` with /tuf/ answered in front of it (`headers` as for the simple fast path)."""

    def wrapped(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/tuf/") or environ.get("REQUEST_METHOD") not in ("GET", "HEAD") \
                or environ.get("QUERY_STRING"):
            return app(environ, start_response)
        extra = headers(environ)
        if extra is None:
            return app(environ, start_response)
        answer = metadata_response(path=path,
                                   accept_encoding=environ.get("HTTP_ACCEPT_ENCODING", ""),
                                   if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
                                   head=environ["REQUEST_METHOD"] == "HEAD")
        if answer is None:
            return app(environ, start_response)
        status, response_headers, body = answer
        start_response(status, headers_add(response_headers, extra))
        return [body] if body else []

    return wrapped


@csrf_exempt  # read-only: without this a POST gets a CSRF 403 instead of 405
@require_safe
def metadata(request: HttpRequest, name: str) -> HttpResponse:
    answer = metadata_response(path=f"/tuf/{name}",
                               accept_encoding=request.headers.get("Accept-Encoding", ""),
                               if_none_match=request.headers.get("If-None-Match"),
                               head=request.method == "HEAD")
    if answer is None:
        # Never cached: the next root or role version is a 404 until the signer publishes
        # it, and a cached 404 would hide it from clients.
        return HttpResponseNotFound("404 Not Found: no such TUF metadata.\n",
                                    content_type="text/plain; charset=utf-8",
                                    headers={"Cache-Control": "no-store"})
    status, headers, body = answer
    response = HttpResponse(body, status=int(status.split()[0]))
    for key, value in headers:
        response.headers[key] = value
    return response
