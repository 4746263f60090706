"""The proxy serves pip nothing but verified targets, and says why it refuses the rest."""

from __future__ import annotations

import http.client
import json

import pytest
import requests

from warden_install.errors import MetadataFailed, NotFound, NotYetSigned, Tampered
from warden_install.proxy import ProxyServer
from warden_install.tests.conftest import WHEEL
from warden_install.tests.repo import Repo, RepoServer, flip, package_path

PIP_ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; "
              "q=0.1, text/html; q=0.01")
WHEEL_PATH = package_path(WHEEL.filename, WHEEL.data)


def raw_get(proxy: ProxyServer, path: str) -> tuple[int, str]:
    """GET exactly `path`: requests would resolve `..` before sending it."""
    connection = http.client.HTTPConnection(*proxy.server_address[:2], timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def get(proxy: ProxyServer, path: str, accept: str = PIP_ACCEPT) -> requests.Response:
    return requests.get(f"{proxy.url}{path}", headers={"Accept": accept}, timeout=30,
                        allow_redirects=False)


def signed(repo: Repo, path: str) -> bytes:
    return (repo.directory / path).read_bytes()


@pytest.mark.parametrize(("url", "accept", "target", "content_type"), [
    ("/simple/tiny/", PIP_ACCEPT, "simple/tiny/index.json",
     "application/vnd.pypi.simple.v1+json"),
    ("/simple/tiny/", "text/html", "simple/tiny/index.html", "text/html; charset=utf-8"),
    ("/simple/", PIP_ACCEPT, "simple/index.json", "application/vnd.pypi.simple.v1+json"),
    ("/simple/", "text/html", "simple/index.html", "text/html; charset=utf-8"),
    ("/simple/Tiny/", PIP_ACCEPT, "simple/tiny/index.json",
     "application/vnd.pypi.simple.v1+json"),
])
def test_a_page_is_the_signed_target_in_the_format_asked_for(
        local_proxy: ProxyServer, repo: Repo, url: str, accept: str, target: str,
        content_type: str) -> None:
    response = get(local_proxy, url, accept)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.content == signed(repo, target)


def test_files_are_served_once_verified_by_the_links_of_the_page(
        local_proxy: ProxyServer, server: RepoServer) -> None:
    page = get(local_proxy, "/simple/tiny/").json()
    link = page["files"][0]["url"]
    url = requests.compat.urljoin(f"{local_proxy.url}/simple/tiny/", link)

    response = requests.get(url, timeout=30)

    assert response.status_code == 200
    assert response.content == WHEEL.data
    # Fetched from the server by its hash-prefixed name, as ngclient does.
    assert any(p.endswith(f".{WHEEL.filename}") for p in server.fetched("/packages/"))


def test_a_project_page_without_its_slash_is_redirected(local_proxy: ProxyServer) -> None:
    response = get(local_proxy, "/simple/tiny")

    assert response.status_code == 301
    assert response.headers["Location"] == "/simple/tiny/"


@pytest.mark.parametrize("what", ["wheel", "page"])
@pytest.mark.parametrize("how", [flip, lambda body: body + b"more", lambda body: body[:-1]],
                         ids=["flipped", "longer", "shorter"])
def test_a_tampered_target_is_refused(local_proxy: ProxyServer, server: RepoServer,
                                      what: str, how: object) -> None:
    path = {"wheel": WHEEL_PATH, "page": "simple/tiny/index.json"}[what]
    server.tamper_target(path, how)  # type: ignore[arg-type]
    url = {"wheel": f"/{WHEEL_PATH}", "page": "/simple/tiny/"}[what]

    response = get(local_proxy, url)

    assert response.status_code == 403
    assert f"tampered: {path} does not match the signed metadata" in response.text
    assert [type(p) for p in local_proxy.problems] == [Tampered]


def test_after_tampering_nothing_more_is_served(local_proxy: ProxyServer,
                                                server: RepoServer) -> None:
    server.tamper_target(WHEEL_PATH)
    assert get(local_proxy, f"/{WHEEL_PATH}").status_code == 403

    response = get(local_proxy, "/simple/tiny/")

    assert response.status_code == 403
    assert "tampered data earlier" in response.text


def redate(body: bytes) -> bytes:
    """Valid JSON, a change the key never signed."""
    data = json.loads(body)
    data["signed"]["expires"] = "2099-01-01T00:00:00Z"
    return json.dumps(data).encode()


@pytest.mark.parametrize("how", [flip, redate], ids=["flipped", "redated"])
def test_tampered_delegated_metadata_is_refused(local_proxy: ProxyServer, server: RepoServer,
                                                how: object) -> None:
    """The bin is fetched only when the first target is looked up: after the refresh."""
    server.tamper["/tuf/1.bin.json"] = how  # type: ignore[assignment]

    response = get(local_proxy, "/simple/tiny/")

    assert response.status_code == 403
    assert "the index's TUF metadata failed verification" in response.text
    assert [type(p) for p in local_proxy.problems] == [MetadataFailed]
    assert server.fetched("/simple/") == [], "no target is fetched without its metadata"


def test_an_upload_not_yet_signed_is_told_apart(repo: Repo, server: RepoServer,
                                                local_proxy: ProxyServer) -> None:
    repo.add_project("fresh", {"fresh-1.0.tar.gz": b"not signed yet"}, sign=False)

    response = get(local_proxy, "/simple/fresh/")

    assert response.status_code == 404
    message = ("not yet signed: simple/fresh/index.json was uploaded but is not signed yet; "
               "retry in a few seconds")
    assert message in response.text
    assert [str(p) for p in local_proxy.problems] == [message]
    assert isinstance(local_proxy.problems[0], NotYetSigned)
    assert ("HEAD", "/simple/fresh/") in server.requests


def test_an_unsigned_file_is_not_served(repo: Repo, server: RepoServer,
                                        local_proxy: ProxyServer) -> None:
    path = package_path("tiny-2.0.tar.gz", b"unsigned")
    repo.put(path, b"unsigned", sign=False)

    response = get(local_proxy, f"/{path}")

    assert response.status_code == 404
    assert isinstance(local_proxy.problems[0], NotYetSigned)
    assert server.fetched(f"/{path}") == [], "an unsigned file must never be downloaded"


def test_an_unknown_project_is_not_found(local_proxy: ProxyServer) -> None:
    response = get(local_proxy, "/simple/nope/")

    assert response.status_code == 404
    assert "not found: no project 'nope' on the index" in response.text
    assert isinstance(local_proxy.problems[0], NotFound)


@pytest.mark.parametrize("url", ["/tuf/1.root.json", "/simple/tiny/index.json",
                                 "/packages/../simple/index.json", "/packages//x",
                                 "/simple/bad%20name/", "/"])
def test_what_is_not_a_page_or_file_is_refused_without_asking_the_server(
        local_proxy: ProxyServer, server: RepoServer, url: str) -> None:
    before = len(server.requests)

    status, text = raw_get(local_proxy, url)

    assert status == 404
    assert "not a target" in text
    assert len(server.requests) == before


def test_a_target_is_downloaded_once_per_run(local_proxy: ProxyServer,
                                             server: RepoServer) -> None:
    for _ in range(3):
        assert get(local_proxy, "/simple/tiny/").status_code == 200

    assert len(server.fetched("/simple/tiny/")) == 1


def test_page_json_is_what_pip_reads(local_proxy: ProxyServer) -> None:
    page = json.loads(get(local_proxy, "/simple/tiny/").content)

    assert [f["filename"] for f in page["files"]] == [WHEEL.filename]
