"""The read path (simple pages and whole-file downloads), served in front of Django.

Everything a simple page needs was decided when it was rendered, so the read needs none of
Django's request machinery: match the path, negotiate, one indexed lookup, bytes. Anything
unusual (a name to redirect, an unknown project, a bad Accept) falls through to the Django
views in `views.py`, which own the error pages and serve the same pages with the same
headers (`page_response`) when the fast path is not in front of them.

Skipping Django also skips its middleware, so whatever the middleware would do for these
responses is passed in as `headers` (warden.web.middleware.fast_path_headers, wired by
warden.wsgi; this layer cannot import the web layer): the headers to add, or None when the
request must go through Django after all (plain http that SecurityMiddleware redirects).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.core.files.storage import default_storage

from warden.packaging.pages import INDEX_KEY, page_path
from warden.packaging.simple.files import package_file_fast, row_fetch
from warden.packaging.simple.negotiate import Format, negotiate

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Headers = list[tuple[str, str]]
HeadersFor = Callable[[Mapping[str, Any]], Sequence[tuple[str, str]] | None]

_NORMALIZED = re.compile(r"/simple/([a-z0-9]+(?:-[a-z0-9]+)*)/")
# A page by the name TUF clients fetch it (its target path, hash-prefixed).
_BY_DIGEST = re.compile(r"/simple/(?:[a-z0-9]+(?:-[a-z0-9]+)*/)?([0-9a-f]{64})\.index\.(html|json)")
_DIGEST_TYPES = {"html": "text/html; charset=utf-8",
                 "json": "application/vnd.pypi.simple.v1+json"}


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
    row = row_fetch(_SQL, [key])
    return (row[0], row[1], row[2]) if row else None


def _etag(digest: str, content_type: str) -> str:
    # Same bytes under text/html and the PEP 691 HTML type are two representations, so
    # they get two strong validators.
    suffix = "t" if content_type == "text/html" else "v"
    return f'"{digest[:48]}{suffix}"'


def page_response(*, key: str, chosen: tuple[Format, str], if_none_match: str | None,
                  head: bool) -> tuple[str, Headers, bytes] | None:
    """(status line, headers, body) of simple page `key` in the negotiated format, or None
    if it has no page. Shared by the fast path and the Django views, so both answer alike."""
    row = _lookup(key)
    if row is None:
        return None
    fmt, content_type = chosen
    digest = row[0] if fmt == "html" else row[1]
    etag = _etag(digest, content_type)
    headers: Headers = [
        ("ETag", etag),
        # Never None: settings gives it a default (env_str's type cannot say so).
        ("Cache-Control", str(settings.WARDEN_SIMPLE_CACHE_CONTROL)),
        ("Vary", "Accept"),
        ("X-Content-Type-Options", "nosniff"),
        # Simple pages need nothing but their own markup; a browser viewing one runs nothing.
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
        ("X-PyPI-Last-Serial", str(row[2])),
    ]
    if if_none_match and (if_none_match.strip() == "*" or
                          etag in (t.strip() for t in if_none_match.split(","))):
        return "304 Not Modified", headers, b""
    body = _cache.get(digest)
    charset = "; charset=utf-8" if fmt == "html" else ""
    headers += [("Content-Type", content_type + charset), ("Content-Length", str(len(body)))]
    return "200 OK", headers, b"" if head else body


def digest_response(path: str, *, head: bool) -> tuple[str, Headers, bytes] | None:
    """A page body by its sha256, immutable: what a TUF client downloads as the target
    `simple/<name>/index.html` (or `.json`). Whatever it asked for, the client checks the
    bytes against the signed hash, so serving any stored body by its digest is safe."""
    match = _BY_DIGEST.fullmatch(path)
    if match is None:
        return None
    try:
        body = _cache.get(match.group(1))
    except FileNotFoundError:
        return None
    headers: Headers = [
        ("Content-Type", _DIGEST_TYPES[match.group(2)]),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "public, max-age=31536000, immutable"),
        ("ETag", f'"{match.group(1)[:48]}"'),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ]
    return "200 OK", headers, b"" if head else body


def _serve(environ: dict[str, Any], start_response: StartResponse) -> list[bytes] | None:
    path = environ.get("PATH_INFO", "")
    if path.endswith((".index.html", ".index.json")) and not environ.get("QUERY_STRING"):
        page = digest_response(path, head=environ.get("REQUEST_METHOD") == "HEAD")
        if page is None:
            return None
        start_response(page[0], page[1])
        return [page[2]] if page[2] else []
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
    page = page_response(key=key, chosen=chosen,
                         if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
                         head=environ.get("REQUEST_METHOD") == "HEAD")
    if page is None:
        return None
    status, headers, body = page
    start_response(status, headers)
    return [body] if body else []


def headers_add(headers: Headers, extra: Sequence[tuple[str, str]]) -> Headers:
    # What middleware does with setdefault: a header the response set itself wins (a
    # simple page's own, stricter CSP), and of two defaults for one name the first wins.
    present = {name.lower() for name, _ in headers}
    added = list(headers)
    for name, value in extra:
        if name.lower() not in present:
            present.add(name.lower())
            added.append((name, value))
    return added


def simple_fast_path(app: WSGIApp, *, headers: HeadersFor) -> WSGIApp:
    """`app` with simple pages and whole-file downloads answered in front of it. `headers`
    gives, per request, what `app`'s middleware would add to every response (or None to let
    `app` answer): required, because a fast path without it silently drops them."""

    def wrapped(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if not path.startswith(("/simple/", "/packages/")):
            return app(environ, start_response)
        extra = headers(environ)
        if extra is None:
            return app(environ, start_response)

        def respond(status: str, response_headers: Headers, exc_info: Any = None) -> Any:
            return start_response(status, headers_add(response_headers, extra), exc_info)

        served: Iterable[bytes] | None
        if path.startswith("/simple/"):
            served = _serve(environ, respond)
        else:
            served = package_file_fast(environ, respond)
        if served is not None:
            return served
        return app(environ, start_response)

    return wrapped
