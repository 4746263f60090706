"""The read path (simple pages and whole-file downloads), served in front of Django.

Everything a simple page needs was decided when it was rendered, so the read needs none of
Django's request machinery: match the path, negotiate, one indexed lookup, bytes. Anything
unusual (a name to redirect, an unknown project, a bad Accept) falls through to the Django
views in `views.py`, which own the error pages.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection

from warden.packaging.pages import INDEX_KEY, page_path
from warden.packaging.simple.files import package_file_fast
from warden.packaging.simple.negotiate import negotiate

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_NORMALIZED = re.compile(r"/simple/([a-z0-9]+(?:-[a-z0-9]+)*)/")


class BodyCache:
    """Page bodies by digest. Bodies are immutable, so entries never go stale; the bound
    is on bytes so a few huge pages cannot push memory up without limit."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, digest: str) -> bytes:
        with self.lock:
            body = self.items.get(digest)
            if body is not None:
                self.items.move_to_end(digest)
                return body
        with default_storage.open(page_path(digest), "rb") as fh:
            body = fh.read()
        with self.lock:
            if digest not in self.items and len(body) <= self.max_bytes:
                self.items[digest] = body
                self.size += len(body)
                while self.size > self.max_bytes:
                    _, old = self.items.popitem(last=False)
                    self.size -= len(old)
        return body


_cache = BodyCache(max_bytes=64 * 1024 * 1024)
_SQL = "SELECT html_sha256, json_sha256, serial FROM packaging_simplepage WHERE key = %s"


def _lookup(key: str) -> tuple[str, str, int] | None:
    # One retry: a persistent connection the database closed (restart, idle timeout)
    # fails once and is replaced.
    for attempt in (1, 2):
        try:
            with connection.cursor() as cursor:
                cursor.execute(_SQL, [key])
                row = cursor.fetchone()
            return (row[0], row[1], row[2]) if row else None
        except DatabaseError:
            connection.close()
            if attempt == 2:
                raise
    return None


def _etag(digest: str, content_type: str) -> str:
    # Same bytes under text/html and the PEP 691 HTML type are two representations, so
    # they get two strong validators.
    suffix = "t" if content_type == "text/html" else "v"
    return f'"{digest[:48]}{suffix}"'


def _serve(environ: dict[str, Any], start_response: StartResponse) -> list[bytes] | None:
    path = environ.get("PATH_INFO", "")
    if path == "/simple/":
        key = INDEX_KEY
    else:
        match = _NORMALIZED.fullmatch(path)
        if match is None:
            return None
        key = match.group(1)
    query = environ.get("QUERY_STRING", "")
    format_param = None
    if query:
        params = parse_qs(query)
        if set(params) - {"format"}:
            return None
        format_param = params.get("format", [""])[-1]
    chosen = negotiate(accept=environ.get("HTTP_ACCEPT"), format_param=format_param)
    if chosen is None:
        return None
    row = _lookup(key)
    if row is None:
        return None
    fmt, content_type = chosen
    digest = row[0] if fmt == "html" else row[1]
    etag = _etag(digest, content_type)
    headers = [
        ("ETag", etag),
        ("Cache-Control", settings.WARDEN_SIMPLE_CACHE_CONTROL),
        ("Vary", "Accept"),
        ("X-Content-Type-Options", "nosniff"),
        # Simple pages need nothing but their own markup; a browser viewing one runs nothing.
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
        ("X-PyPI-Last-Serial", str(row[2])),
    ]
    inm = environ.get("HTTP_IF_NONE_MATCH")
    if inm and (inm.strip() == "*" or etag in (t.strip() for t in inm.split(","))):
        start_response("304 Not Modified", headers)
        return []
    body = _cache.get(digest)
    charset = "; charset=utf-8" if fmt == "html" else ""
    headers += [("Content-Type", content_type + charset), ("Content-Length", str(len(body)))]
    start_response("200 OK", headers)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def simple_fast_path(app: WSGIApp) -> WSGIApp:
    def wrapped(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            path = environ.get("PATH_INFO", "")
            served: Iterable[bytes] | None = None
            if path.startswith("/simple/"):
                served = _serve(environ, start_response)
            elif path.startswith("/packages/"):
                served = package_file_fast(environ, start_response)
            if served is not None:
                return served
        return app(environ, start_response)

    return wrapped
