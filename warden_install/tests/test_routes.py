"""Which signed target answers which request."""

from __future__ import annotations

import pytest

from warden_install.routes import BINARY, HTML, SIMPLE_JSON, Redirect, Refused, Target, route
from warden_install.routes import wants_json as json_wanted

PIP = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
       "text/html; q=0.01")


@pytest.mark.parametrize(("accept", "expected"), [
    (PIP, True),
    (None, False),
    ("", False),
    ("text/html", False),
    ("*/*", False),
    ("application/vnd.pypi.simple.latest+json", True),
    ("application/vnd.pypi.simple.v1+json; q=0, text/html", False),
    ("text/html; q=0.5, application/vnd.pypi.simple.v1+json; q=0.9", True),
    ("application/vnd.pypi.simple.v1+json; q=0.2, text/html", False),
    ("application/vnd.pypi.simple.v1+json; q=oops", False),
])
def test_negotiation(accept: str | None, expected: bool) -> None:
    assert json_wanted(accept) is expected


@pytest.mark.parametrize(("url", "expected"), [
    ("/simple/", Target("simple/index.json", SIMPLE_JSON)),
    ("/simple/Foo.Bar_baz/", Target("simple/foo-bar-baz/index.json", SIMPLE_JSON)),
    ("/simple/demo/?x=1", Target("simple/demo/index.json", SIMPLE_JSON)),
    ("/simple/demo", Redirect("/simple/demo/")),
    ("/packages/ab/cd/ef/demo-1.0%2Blocal.tar.gz",
     Target("packages/ab/cd/ef/demo-1.0+local.tar.gz", BINARY)),
])
def test_routes(url: str, expected: object) -> None:
    assert route(url, PIP) == expected


def test_html_when_html_is_asked_for() -> None:
    assert route("/simple/demo/", "text/html") == Target("simple/demo/index.html", HTML)


@pytest.mark.parametrize("url", ["/", "/tuf/timestamp.json", "/simple/demo/extra",
                                 "/simple/-bad-/", "/packages/a/../../tuf/1.root.json",
                                 "/packages/a/%2e%2e/b", "/packages/a//b", "/packages/a\\b"])
def test_refused(url: str) -> None:
    assert isinstance(route(url, PIP), Refused)
