"""Which signed target answers a request from pip, decided from the URL alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
HTML = "text/html; charset=utf-8"
BINARY = "application/octet-stream"

_JSON_TYPES = (SIMPLE_JSON, "application/vnd.pypi.simple.latest+json")
_HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.latest+html",
               "text/html", "text/*", "*/*")
# PEP 508 names, before normalisation.
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


@dataclass(frozen=True)
class Target:
    path: str  # the TUF target path, relative to the index root
    content_type: str


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class Refused:
    message: str


Route = Target | Redirect | Refused


def wants_json(accept: str | None) -> bool:
    """PEP 691 negotiation between the two page targets: JSON when the client rates it at
    least as high as any HTML type (pip sends JSON first, HTML with a lower q)."""
    best_json = best_html = 0.0
    for item in (accept or "").split(","):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        quality = _quality(params)
        if media in _JSON_TYPES:
            best_json = max(best_json, quality)
        elif media in _HTML_TYPES:
            best_html = max(best_html, quality)
    return best_json > 0 and best_json >= best_html


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def route(url: str, accept: str | None) -> Route:
    """The target answering `url` (a request path, with or without a query), or why none."""
    raw = urlsplit(url).path
    path = unquote(raw)
    page = "index.json" if wants_json(accept) else "index.html"
    page_type = SIMPLE_JSON if page == "index.json" else HTML
    if path == "/simple/":
        return Target(f"simple/{page}", page_type)
    if path.startswith("/simple/"):
        name, slash, rest = path.removeprefix("/simple/").partition("/")
        if not _NAME.fullmatch(name) or rest:
            return Refused(f"{path} is not a project page")
        if not slash:
            return Redirect(f"{raw}/")
        return Target(f"simple/{canonicalize_name(name)}/{page}", page_type)
    if path.startswith("/packages/"):
        parts = path.removeprefix("/").split("/")
        if any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts):
            return Refused(f"{path} is not a file of the index")
        return Target("/".join(parts), BINARY)
    return Refused(f"{path}: warden-install serves only /simple/ pages and /packages/ files")
