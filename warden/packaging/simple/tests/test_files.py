"""Downloads: whole files, single ranges (pip and uv read wheels lazily), PEP 658 metadata."""

from wsgiref.util import FileWrapper

import pytest

from warden.packaging.simple.fast import simple_fast_path
from warden.packaging.simple.tests.wsgi import django_must_not_answer, wsgi_get
from warden.web.middleware import fast_path_headers
from warden.wsgi import application

fast_only = simple_fast_path(django_must_not_answer, headers=fast_path_headers)


@pytest.fixture
def wheel(demo):
    return demo.releases.get(version="1.0").files.get(packagetype="bdist_wheel")


def _body(response):
    return b"".join(response.streaming_content)


def test_whole_file_is_streamed_with_length_and_immutable_caching(client, wheel):
    response = client.get(f"/packages/{wheel.path}")
    assert response.status_code == 200
    assert _body(response) == f"contents of {wheel.filename}".encode()
    assert response["Content-Length"] == str(wheel.size)
    assert "immutable" in response["Cache-Control"]
    assert response["Accept-Ranges"] == "bytes"


def test_a_single_range_gets_206_with_content_range(client, wheel):
    response = client.get(f"/packages/{wheel.path}", HTTP_RANGE="bytes=3-7")
    assert response.status_code == 206
    assert _body(response) == f"contents of {wheel.filename}".encode()[3:8]
    assert response["Content-Range"] == f"bytes 3-7/{wheel.size}"
    assert response["Content-Length"] == "5"


def test_a_suffix_range_reads_the_end_of_the_file(client, wheel):
    response = client.get(f"/packages/{wheel.path}", HTTP_RANGE="bytes=-4")
    assert _body(response) == f"contents of {wheel.filename}".encode()[-4:]
    assert response["Content-Range"] == f"bytes {wheel.size - 4}-{wheel.size - 1}/{wheel.size}"


def test_an_open_ended_range_runs_to_the_end(client, wheel):
    response = client.get(f"/packages/{wheel.path}", HTTP_RANGE="bytes=10-")
    assert _body(response) == f"contents of {wheel.filename}".encode()[10:]


def test_a_range_past_the_end_is_416(client, wheel):
    response = client.get(f"/packages/{wheel.path}", HTTP_RANGE=f"bytes={wheel.size}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{wheel.size}"


def test_a_malformed_range_gets_the_whole_file(client, wheel):
    response = client.get(f"/packages/{wheel.path}", HTTP_RANGE="bytes=1-2,4-5")
    assert response.status_code == 200
    assert len(_body(response)) == wheel.size


def test_head_has_the_length_and_no_body(client, wheel):
    response = client.head(f"/packages/{wheel.path}")
    assert response.status_code == 200
    assert response["Content-Length"] == str(wheel.size)
    assert response.content == b""


def test_core_metadata_is_served_beside_the_wheel(client, wheel):
    import hashlib

    response = client.get(f"/packages/{wheel.path}.metadata")
    body = _body(response)
    assert hashlib.sha256(body).hexdigest() == wheel.metadata_sha256
    assert body.startswith(b"Metadata-Version: 2.1")


@pytest.mark.parametrize("path", [
    "../secret_key",
    "aa/bb/../../../secret_key",
    "simple/00/" + "0" * 64,
    "9a/4a/" + "0" * 64 + "/../../../../secret_key",
    "9a/4a/" + "0" * 64 + "/..",
    "9a/4a/" + "0" * 64 + "/.",
])
def test_paths_outside_the_package_tree_are_404(client, demo, path):
    assert client.get(f"/packages/{path}").status_code == 404


def test_unknown_file_is_404(client, demo):
    assert client.get("/packages/aa/bb/" + "a" * 64 + "/x-1.0.tar.gz").status_code == 404


class TestFastPath:
    """Whole-file downloads skip Django; everything else must reach the view."""

    def test_whole_file_is_served_without_django(self, wheel):
        status, headers, body = wsgi_get(fast_only, f"/packages/{wheel.path}")
        assert status == 200
        assert body == f"contents of {wheel.filename}".encode()
        assert headers["Content-Length"] == str(wheel.size)
        assert "immutable" in headers["Cache-Control"]

    def test_the_servers_file_wrapper_is_used_when_offered(self, wheel):
        wrapped = []

        def file_wrapper(fh, size):
            wrapped.append(fh)
            return FileWrapper(fh, size)

        _, _, body = wsgi_get(fast_only, f"/packages/{wheel.path}",
                              extra={"wsgi.file_wrapper": file_wrapper})
        assert body == f"contents of {wheel.filename}".encode()
        assert len(wrapped) == 1

    def test_head_is_answered_without_a_body(self, wheel):
        status, headers, body = wsgi_get(fast_only, f"/packages/{wheel.path}", method="HEAD")
        assert (status, body) == (200, b"")
        assert headers["Content-Length"] == str(wheel.size)

    @pytest.mark.parametrize("header", [{"range": "bytes=0-3"},
                                        {"if_none_match": '"x"'}])
    def test_ranges_and_conditions_go_to_the_view(self, wheel, header):
        with pytest.raises(AssertionError, match="handed"):
            wsgi_get(fast_only, f"/packages/{wheel.path}", **header)

    def test_a_range_through_the_whole_stack_is_partial(self, wheel):
        status, _, body = wsgi_get(application, f"/packages/{wheel.path}",
                                   range="bytes=0-3")
        assert (status, body) == (206, b"cont")

    def test_unknown_and_traversal_paths_go_to_the_view_which_404s(self, demo):
        for path in ("/packages/../secret_key", "/packages/aa/bb/" + "a" * 64 + "/x.whl"):
            with pytest.raises(AssertionError, match="handed"):
                wsgi_get(fast_only, path)
            assert wsgi_get(application, path)[0] == 404
