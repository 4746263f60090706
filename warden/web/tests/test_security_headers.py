"""Security headers on every page (issue 3, part 7)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_refuse_framing_sniffing_and_leaking_referrers(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_csrf_cookie_is_same_site_lax(client):
    response = client.get("/accounts/login/")
    csrf = response.cookies["csrftoken"]
    assert csrf["samesite"] == "Lax"


def _settings_under(env: dict[str, str], tmp_path) -> str:
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
            "s.SECURE_SSL_REDIRECT if hasattr(s, 'SECURE_SSL_REDIRECT') else None)")
    base = {"WARDEN_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "warden.settings",
            "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], env={**base, **env},
                          capture_output=True, text=True, check=True).stdout.strip()


def test_behind_tls_cookies_are_secure_and_hsts_is_sent(tmp_path):
    assert _settings_under({"WARDEN_TLS": "true"}, tmp_path) == "True True 31536000 True"


def test_plain_http_embedded_default_keeps_cookies_usable(tmp_path):
    assert _settings_under({}, tmp_path) == "False False 0 False"


@pytest.mark.parametrize("proxy_header", [None, ("HTTP_X_FORWARDED_PROTO", "https")])
@pytest.mark.parametrize("environ", [
    {},
    {"wsgi.url_scheme": "https"},
    {"HTTP_X_FORWARDED_PROTO": "https"},
    {"HTTP_X_FORWARDED_PROTO": "https, http"},
    {"HTTP_X_FORWARDED_PROTO": " https "},
    {"HTTP_X_FORWARDED_PROTO": "HTTPS"},
    {"wsgi.url_scheme": "https", "HTTP_X_FORWARDED_PROTO": "http"},
    {"wsgi.url_scheme": "https", "HTTP_X_FORWARDED_PROTO": ""},
])
def test_the_fast_path_judges_https_as_django_does(settings, proxy_header, environ):
    """The fast path decides redirect and HSTS before Django sees the request; it must
    not think a request secure that Django would redirect, nor the other way round."""
    from wsgiref.util import setup_testing_defaults

    from django.core.handlers.wsgi import WSGIRequest

    from warden.web.middleware import request_is_secure

    settings.SECURE_PROXY_SSL_HEADER = proxy_header
    full: dict = {}
    setup_testing_defaults(full)
    full.update(environ)
    assert request_is_secure(full) == WSGIRequest(full).is_secure()
