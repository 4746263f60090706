"""The fast path answers as Django with its whole middleware stack would: the same redirect to
https, the same HSTS, the same security headers. It once answered before the middleware and
sent none of them, over plain http too.

Every comparison builds a fresh Django handler after the settings change, because Django's
SecurityMiddleware reads its settings once, when the handler loads its middleware."""

from __future__ import annotations

import runpy
from collections.abc import Iterable
from typing import Any

import pytest
from django.conf import global_settings
from django.core.handlers.wsgi import WSGIHandler

import warden.settings
from warden.packaging.simple.fast import simple_fast_path
from warden.packaging.simple.negotiate import HTML_V1, JSON_V1
from warden.packaging.simple.tests.wsgi import django_must_not_answer, wsgi_call, wsgi_get
from warden.web.middleware import fast_path_headers
from warden.wsgi import application_for

PIP_ACCEPT = f"{JSON_V1}, {HTML_V1}; q=0.1, text/html; q=0.01"
HSTS = "max-age=31536000; includeSubDomains"

# How warden/settings.py is deployed: the environment, not hand-copied Django settings, so a
# setting WARDEN_TLS adds later is compared too.
DEPLOYMENTS = {
    "plain-http": {},
    "tls": {"WARDEN_TLS": "true"},
    "tls-without-redirect": {"WARDEN_TLS": "true", "WARDEN_SSL_REDIRECT": "false"},
}
# How a request reaches us: the server's scheme and what a proxy in front says.
CONNECTIONS: dict[str, dict[str, str]] = {
    "http": {},
    "https": {"wsgi.url_scheme": "https"},
    "https-at-the-proxy": {"HTTP_X_FORWARDED_PROTO": "https"},
    "https-at-the-first-of-two-proxies": {"HTTP_X_FORWARDED_PROTO": "https, http"},
    # The hop to us is https, but the proxy says the client spoke plain http.
    "http-at-the-proxy": {"wsgi.url_scheme": "https", "HTTP_X_FORWARDED_PROTO": "http"},
}


def _deploy(settings: Any, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Give Django the security settings warden/settings.py computes under `env` (it
    computes them at import, so run it again; what it leaves unset is Django's default)."""
    for name in ("WARDEN_TLS", "WARDEN_SSL_REDIRECT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    computed = runpy.run_path(warden.settings.__file__)
    names = [n for n in dir(global_settings) if n.startswith("SECURE_")]
    names += ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "X_FRAME_OPTIONS"]
    for name in names:
        setattr(settings, name, computed.get(name, getattr(global_settings, name)))


def _secure(deployment: str, connection: str) -> bool:
    if deployment == "plain-http":  # no proxy header is trusted: the server's scheme decides
        return CONNECTIONS[connection].get("wsgi.url_scheme") == "https"
    return connection in ("https", "https-at-the-proxy", "https-at-the-first-of-two-proxies")


def _comparable(status: int, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers, less those the two paths may rightly differ in:
    - LocaleMiddleware's Content-Language and `Vary: Accept-Language`, which the fast path
      leaves out on purpose (see fast_path_headers): simple pages and files are not
      translated;
    - Content-Length on a 304: CommonMiddleware adds `0`, the length of the empty 304 body,
      where RFC 9110 (8.6) allows only the length of the 200's body; the fast path sends
      none.
    Date is not here because neither sends it (the server adds it); ETag, Cache-Control
    and every security header must match."""
    kept = []
    for name, value in headers:
        if name.lower() == "content-language":
            continue
        if name.lower() == "content-length" and status == 304:
            continue
        if name.lower() == "vary":
            value = ", ".join(v.strip() for v in value.split(",")
                              if v.strip().lower() != "accept-language")
            if not value:
                continue
        kept.append((name.lower(), value))
    return sorted(kept)


def _requests(demo: Any) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, headers): everything the fast path answers itself."""
    wheel = demo.releases.get(version="1.0").files.get(packagetype="bdist_wheel")
    sdist = demo.releases.get(version="1.0").files.get(packagetype="sdist")
    _, page, _ = wsgi_get(WSGIHandler(), "/simple/demo-pkg/", accept=JSON_V1,
                          extra={"wsgi.url_scheme": "https", "HTTP_X_FORWARDED_PROTO": "https"})
    assert "ETag" in page
    return [
        ("GET", "/simple/demo-pkg/", {}),
        ("GET", "/simple/demo-pkg/", {"accept": PIP_ACCEPT}),
        ("HEAD", "/simple/demo-pkg/", {"accept": HTML_V1}),
        ("GET", "/simple/demo-pkg/", {"accept": JSON_V1, "if_none_match": page["ETag"]}),
        ("GET", "/simple/", {"accept": JSON_V1}),
        ("GET", f"/packages/{wheel.path}", {}),
        ("HEAD", f"/packages/{wheel.path}", {}),
        ("GET", f"/packages/{wheel.path}.metadata", {}),
        ("GET", f"/packages/{sdist.path}", {}),
    ]


@pytest.mark.parametrize("connection", CONNECTIONS)
@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_the_fast_path_answers_exactly_as_django_would(demo, settings, monkeypatch,
                                                       deployment, connection):
    _deploy(settings, monkeypatch, DEPLOYMENTS[deployment])
    django_alone = WSGIHandler()
    reached_django: list[str] = []

    def django_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        reached_django.append(environ["PATH_INFO"])
        return django_alone(environ, start_response)

    production = application_for(django_app)
    redirected = settings.SECURE_SSL_REDIRECT and not _secure(deployment, connection)
    for method, path, headers in _requests(demo):
        request = f"{method} {path} {headers}"
        reached_django.clear()
        extra = dict(CONNECTIONS[connection])
        want = wsgi_call(django_alone, path, method=method, extra=extra, **headers)
        got = wsgi_call(production, path, method=method, extra=extra, **headers)
        # Otherwise this test would pass by handing everything to Django.
        assert bool(reached_django) == redirected, request
        assert got[0] == want[0], request
        assert got[2] == want[2], request
        assert _comparable(got[0], got[1]) == _comparable(want[0], want[1]), request
        sent = dict(got[1])
        if redirected:
            assert got[0] == 301, request
            assert sent["Location"].startswith("https://"), request
        else:
            assert got[0] in (200, 304), request
            assert ("Strict-Transport-Security" in sent) == (
                deployment != "plain-http" and _secure(deployment, connection)), request
            assert "Content-Language" not in sent and "Accept-Language" not in sent.get(
                "Vary", ""), request


def test_behind_tls_plain_http_is_redirected_not_served(demo, settings, monkeypatch):
    _deploy(settings, monkeypatch, DEPLOYMENTS["tls"])
    production = application_for(WSGIHandler())
    wheel = demo.releases.get(version="1.0").files.get(packagetype="bdist_wheel")
    for path in ("/simple/demo-pkg/", f"/packages/{wheel.path}"):
        status, headers, body = wsgi_get(production, path)
        assert status == 301
        assert headers["Location"] == f"https://127.0.0.1{path}"
        assert b"contents of" not in body


def test_behind_tls_https_answers_carry_hsts_and_the_security_headers(demo, settings,
                                                                      monkeypatch):
    _deploy(settings, monkeypatch, DEPLOYMENTS["tls"])
    fast_only = simple_fast_path(django_must_not_answer, headers=fast_path_headers)
    wheel = demo.releases.get(version="1.0").files.get(packagetype="bdist_wheel")
    for path in ("/simple/demo-pkg/", f"/packages/{wheel.path}"):
        status, headers, _ = wsgi_get(fast_only, path,
                                      extra={"HTTP_X_FORWARDED_PROTO": "https"})
        assert status == 200
        assert headers["Strict-Transport-Security"] == HSTS
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "camera=()" in headers["Permissions-Policy"]


def test_a_simple_page_keeps_its_own_stricter_policy(demo):
    fast_only = simple_fast_path(django_must_not_answer, headers=fast_path_headers)
    _, headers, _ = wsgi_call(fast_only, "/simple/demo-pkg/")
    policies = [value for name, value in headers if name == "Content-Security-Policy"]
    assert policies == ["default-src 'none'; frame-ancestors 'none'"]


# What each middleware does for a response the fast path gives instead. A middleware added
# to settings.MIDDLEWARE fails this test until someone decides what the fast path owes it.
ACCOUNTED_FOR = {
    "django.middleware.security.SecurityMiddleware":
        "redirect and headers: fast_path_headers",
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves /static/ only",
    "warden.web.middleware.ContentSecurityPolicyMiddleware": "headers: fast_path_headers",
    "django.contrib.sessions.middleware.SessionMiddleware":
        "no session is read or written for these responses",
    "django.middleware.locale.LocaleMiddleware":
        "Content-Language and Vary: Accept-Language, left out on purpose",
    "warden.web.middleware.TimeZoneMiddleware": "these responses show no times",
    "django.middleware.common.CommonMiddleware":
        "the fast path matches only paths that need no slash added, and sends Content-Length",
    "django.middleware.csrf.CsrfViewMiddleware": "GET and HEAD only, no form",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "anonymous reads",
    "django.contrib.messages.middleware.MessageMiddleware": "no messages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "header: fast_path_headers",
    "allauth.account.middleware.AccountMiddleware": "acts on 404s under /accounts/ only",
}


def test_every_middleware_is_accounted_for_by_the_fast_path(settings):
    assert set(settings.MIDDLEWARE) <= set(ACCOUNTED_FOR), (
        "the fast path answers before these middleware; decide what it owes them: "
        f"{sorted(set(settings.MIDDLEWARE) - set(ACCOUNTED_FOR))}")


def test_production_wiring_sends_the_headers(demo):
    from warden.wsgi import application

    _, headers, _ = wsgi_get(application, "/simple/demo-pkg/")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
