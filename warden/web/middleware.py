"""Security headers Django does not set itself, and the headers of the whole middleware
stack for responses that never pass through it (`fast_path_headers`)."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

# No inline scripts or styles, nothing from elsewhere: every script and stylesheet is a file
# we serve. `form-action 'self'` keeps an injected form from posting secrets elsewhere.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"
WARDEN_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        for name, value in WARDEN_HEADERS:
            response.headers.setdefault(name, value)
        return response


def request_is_secure(environ: Mapping[str, Any]) -> bool:
    """`HttpRequest.is_secure()` for a bare WSGI environ: the proxy's header decides when
    it is configured and present (even against the server's own scheme), else the server's
    scheme does."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return bool(value.split(",", 1)[0].strip() == secure_value)
    return bool(environ.get("wsgi.url_scheme") == "https")


def fast_path_headers(environ: Mapping[str, Any]) -> Sequence[tuple[str, str]] | None:
    """The headers settings.MIDDLEWARE would add to a response to `environ` that sets none of
    them, for the WSGI fast path (warden.packaging.simple.fast), which answers before the
    middleware runs. None when the middleware would not let the request reach a view at all
    (SecurityMiddleware redirects plain http): the fast path must then hand it to Django."""
    secure = request_is_secure(environ)
    if settings.SECURE_SSL_REDIRECT and not secure:
        # SecurityMiddleware redirects this, unless SECURE_REDIRECT_EXEMPT says otherwise:
        # let it decide rather than copy its rules.
        return None
    return _middleware_headers(secure)


@functools.cache
def _middleware_headers(secure: bool) -> tuple[tuple[str, str], ...]:
    """In the order a response passes back through settings.MIDDLEWARE, innermost first;
    each middleware only fills in what is still missing, so of two for one name the first
    wins, and the fast path adds one only if its response does not carry it already.

    Left out on purpose, as not about security and wrong for these responses: the
    Content-Language and `Vary: Accept-Language` of LocaleMiddleware (simple pages and files
    are not translated, and varying immutable files by language would split every cache).
    test_fast_path_parity compares the two paths header by header.

    Cached, because the fast path asks on every request; forgotten on every settings change
    (override_settings, pytest-django's `settings`), so the next request sees the change."""
    headers: list[tuple[str, str]] = []
    # XFrameOptionsMiddleware
    headers.append(("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()))
    # ContentSecurityPolicyMiddleware
    headers.extend(WARDEN_HEADERS)
    # SecurityMiddleware: HSTS only over https, where a browser will believe it.
    if settings.SECURE_HSTS_SECONDS and secure:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append(("Strict-Transport-Security", hsts))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        values = [v.strip() for v in policy.split(",")] if isinstance(policy, str) else policy
        headers.append(("Referrer-Policy", ",".join(values)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy",
                        settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    return tuple(headers)


@receiver(setting_changed)
def _middleware_headers_forget(**kwargs: Any) -> None:
    _middleware_headers.cache_clear()


TIME_ZONE_COOKIE = "warden_tz"


class TimeZoneMiddleware:
    """Shows times in the visitor's own time zone: warden.js stores the browser's zone
    (`Intl.DateTimeFormat().resolvedOptions().timeZone`) in a cookie; anything that is not
    a known IANA zone is ignored and the page stays in UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        zone = _zone(request.COOKIES.get(TIME_ZONE_COOKIE, ""))
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        return self.get_response(request)


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
