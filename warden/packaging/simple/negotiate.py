"""PEP 691 content negotiation for the simple API."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

Format = Literal["html", "json"]

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"

# What each media type we accept answers with: (our body, the Content-Type we send).
_OFFERS: dict[str, tuple[Format, str]] = {
    JSON_V1: ("json", JSON_V1),
    "application/vnd.pypi.simple.latest+json": ("json", JSON_V1),
    HTML_V1: ("html", HTML_V1),
    "application/vnd.pypi.simple.latest+html": ("html", HTML_V1),
    TEXT_HTML: ("html", TEXT_HTML),
    "text/*": ("html", TEXT_HTML),
    "*/*": ("html", TEXT_HTML),
}


def negotiate(*, accept: str | None, format_param: str | None = None) -> tuple[Format, str] | None:
    """The body and Content-Type to answer with, or None when we cannot satisfy the client
    (a 406). `?format=` wins over Accept, as PEP 691 allows, so a browser can ask for JSON."""
    return _negotiate(accept, format_param)


# Installers send the same few Accept headers on every request; parsing them once per
# process takes the parse off the read path. Bounded, so odd headers cannot grow it.
@lru_cache(maxsize=512)
def _negotiate(accept: str | None, format_param: str | None) -> tuple[Format, str] | None:
    if format_param:
        # An unencoded `+` in a query string arrives as a space (`v1+json` -> `v1 json`);
        # a media type never holds a space, so put it back.
        return _OFFERS.get(format_param.strip().replace(" ", "+").lower())
    if not accept or not accept.strip():
        return ("html", TEXT_HTML)
    best: tuple[float, int, tuple[Format, str]] | None = None
    for position, item in enumerate(accept.split(",")):
        media, _, params = item.strip().partition(";")
        offer = _OFFERS.get(media.strip().lower())
        if offer is None:
            continue
        quality = _quality(params)
        if quality <= 0:
            continue
        # Higher q wins; ties go to the client's earlier entry.
        candidate = (quality, -position, offer)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else None


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0
