"""The simple API's read path, called as the WSGI server calls it."""

import json

import pytest

from warden.packaging.simple.fast import simple_fast_path
from warden.packaging.simple.negotiate import JSON_V1
from warden.packaging.simple.tests.wsgi import django_must_not_answer, wsgi_get
from warden.web.middleware import fast_path_headers
from warden.wsgi import application

fast_only = simple_fast_path(django_must_not_answer, headers=fast_path_headers)
PIP_ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; "
              "q=0.1, text/html; q=0.01")


def test_project_page_is_served_without_django(demo):
    status, headers, body = wsgi_get(fast_only, "/simple/demo-pkg/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"demo_pkg-1.0.tar.gz" in body
    assert headers["Content-Length"] == str(len(body))


def test_pip_gets_json_with_the_pep_691_content_type(demo):
    status, headers, body = wsgi_get(fast_only, "/simple/demo-pkg/", accept=PIP_ACCEPT)
    assert status == 200
    assert headers["Content-Type"] == JSON_V1
    assert json.loads(body)["name"] == "demo-pkg"
    assert headers["Vary"] == "Accept"


def test_matching_etag_gets_304_without_a_body(demo):
    _, headers, _ = wsgi_get(fast_only, "/simple/demo-pkg/", accept=JSON_V1)
    status, _, body = wsgi_get(fast_only, "/simple/demo-pkg/", accept=JSON_V1,
                               if_none_match=headers["ETag"])
    assert (status, body) == (304, b"")


def test_html_and_json_have_different_etags(demo):
    _, html, _ = wsgi_get(fast_only, "/simple/demo-pkg/", accept="text/html")
    _, js, _ = wsgi_get(fast_only, "/simple/demo-pkg/", accept=JSON_V1)
    _, v1, _ = wsgi_get(fast_only, "/simple/demo-pkg/",
                        accept="application/vnd.pypi.simple.v1+html")
    assert len({html["ETag"], js["ETag"], v1["ETag"]}) == 3


def test_stale_etag_gets_the_new_page_after_a_change(demo, republish):
    from warden.packaging.models import Release

    _, before, _ = wsgi_get(fast_only, "/simple/demo-pkg/")
    Release.objects.filter(project=demo, version="1.0").update(yanked=True)
    republish(demo)
    status, after, body = wsgi_get(fast_only, "/simple/demo-pkg/",
                                   if_none_match=before["ETag"])
    assert status == 200
    assert after["ETag"] != before["ETag"]
    assert body.count(b"data-yanked") == 3


def test_head_has_headers_and_no_body(demo):
    status, headers, body = wsgi_get(fast_only, "/simple/demo-pkg/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_format_query_parameter_selects_json(demo):
    _, headers, _ = wsgi_get(fast_only, "/simple/demo-pkg/", query=f"format={JSON_V1}")
    assert headers["Content-Type"] == JSON_V1


def test_root_index_is_served_without_django(demo):
    status, _, body = wsgi_get(fast_only, "/simple/", accept=JSON_V1)
    assert status == 200
    assert json.loads(body)["projects"] == [{"name": "Demo.Pkg"}]


@pytest.mark.parametrize(("path", "status", "location"), [
    ("/simple/Demo.Pkg/", 301, "/simple/demo-pkg/"),
    ("/simple/demo_pkg", 301, "/simple/demo-pkg/"),
    ("/simple/no-such-project/", 404, None),
])
def test_unusual_paths_fall_through_to_django(demo, path, status, location):
    got, headers, _ = wsgi_get(application, path)
    assert got == status
    if location:
        assert headers["Location"] == location


def test_unacceptable_accept_header_is_406(demo):
    status, _, _ = wsgi_get(application, "/simple/demo-pkg/", accept="image/png")
    assert status == 406


def test_redirect_keeps_the_query_string(demo):
    _, headers, _ = wsgi_get(application, "/simple/Demo_Pkg/", query="format=text/html")
    assert headers["Location"] == "/simple/demo-pkg/?format=text/html"


def test_post_to_a_simple_page_is_not_allowed(demo):
    status, _, _ = wsgi_get(application, "/simple/demo-pkg/", method="POST")
    assert status == 405


def test_simple_pages_forbid_scripts_and_framing(demo):
    _, headers, _ = wsgi_get(fast_only, "/simple/demo-pkg/")
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
