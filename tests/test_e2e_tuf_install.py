"""warden-install against the real server: what pip installs is what the index signed.

The client trusts root version 1, fetched here over plain HTTP but only after its sha256 has
been checked against `warden tuf root-hash` on the server (the out-of-band check a user
makes). Each install goes into a fresh virtual environment made by `python -m venv`
(`--python` points warden-install at it), so "installed" and "installed nothing" are
read from that environment alone.
"""

from __future__ import annotations

import hashlib
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.clients import BIN, Run, fresh_venv, run, twine_upload
from tests.conftest import Server
from tests.dists import Dists, build_dists, e2e_metadata, wheel_bytes
from tests.index import wait_until_listed

pytestmark = pytest.mark.e2e

BASE, APP = "tufbase", "tufapp"  # APP requires BASE


@pytest.fixture(scope="module")
def published(server: Server, alice_token: str,
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """BASE 1.0 (wheel and sdist) and APP 1.0 (a wheel requiring BASE), uploaded with twine
    and listed (so signed: a listed page is the latest signed one); {name: wheel}."""
    directory = tmp_path_factory.mktemp("tuf-dists")
    base: Dists = build_dists(directory / "base", BASE, "1.0")
    # build_dists has no dependencies option: the wheel's METADATA carries it instead.
    app = wheel_bytes(APP, "1.0", metadata=e2e_metadata(
        APP, "1.0", requires_dist=[f"{BASE}>=1.0"])).write_to(directory / "app")
    for files in (base.files, [app]):
        done = twine_upload(server.url, files, password=alice_token)
        assert done.returncode == 0, done.describe()
    wait_until_listed(server.url, BASE, base.wheel.name, base.sdist.name)
    wait_until_listed(server.url, APP, app.name)
    return {BASE: base.wheel, APP: app}


@pytest.fixture(scope="module")
def trusted_root(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Root version 1, checked against the hash the server's operator publishes."""
    data = requests.get(f"{server.url}/tuf/1.root.json", timeout=30).content
    first = server.warden("tuf", "root-hash").stdout.splitlines()[0].split()
    assert first[:2] == ["1.root.json", "sha256"], first
    assert hashlib.sha256(data).hexdigest() == first[2]
    path = tmp_path_factory.mktemp("tuf-root") / "1.root.json"
    path.write_bytes(data)
    return path


def warden_install(index: str, root: Path, python: Path, metadata_dir: Path,
                   *requirements: str) -> Run:
    return run([BIN / "warden-install", "--index", index, "--root", root,
                "--metadata-dir", metadata_dir, "--python", python, *requirements])


def installed(python: Path) -> dict[str, str]:
    """{normalized name: version} of what pip lists in `python`'s environment."""
    done = run([python, "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"])
    assert done.returncode == 0, done.describe()
    pairs = (line.split("==") for line in done.stdout.splitlines() if "==" in line)
    return {name.lower(): version for name, version in pairs}


def test_installs_a_package_and_its_dependency_verified(
        server: Server, published: dict[str, Path], trusted_root: Path,
        tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    metadata_dir = tmp_path / "metadata"

    done = warden_install(server.url, trusted_root, python, metadata_dir, APP)

    assert done.returncode == 0, done.describe()
    assert {BASE: "1.0", APP: "1.0"}.items() <= installed(python).items()
    imported = run([python, "-c", f"import {APP}, {BASE}; print({APP}.__version__)"])
    assert imported.stdout.strip() == "1.0", imported.describe()
    assert published[BASE].name in done.output, "pip should have chosen the wheel"
    assert (metadata_dir / "root.json").exists() and (metadata_dir / "timestamp.json").exists()

    again = warden_install(server.url, trusted_root, python, metadata_dir, APP)

    # A returning client, from its cached metadata: the same answer.
    assert again.returncode == 0, again.describe()
    assert "already satisfied" in again.output


class _Hostile(BaseHTTPRequestHandler):
    """Forwards to the real server, flipping the last byte of every wheel on its way."""

    upstream = ""  # set on a subclass per test

    def do_GET(self) -> None:
        self._forward()

    def do_HEAD(self) -> None:
        self._forward()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        request = urllib.request.Request(  # noqa: S310 (the server's http:// URL)
            self.upstream + self.path, method=self.command,
            headers={"Accept": self.headers.get("Accept", "*/*")})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, body = response.status, response.read()
                content_type = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            status, body, content_type = exc.code, exc.read(), "text/plain"
        if self.path.endswith(".whl") and body:
            body = body[:-1] + bytes([body[-1] ^ 1])
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)


@pytest.fixture
def hostile(server: Server) -> Iterator[str]:
    """A mirror in front of the server that tampers with wheels; yields its URL."""
    handler = type("Hostile", (_Hostile,), {"upstream": server.url})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    proxy.daemon_threads = True
    thread = threading.Thread(target=proxy.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}"
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join()


def test_a_tampered_wheel_is_refused_and_nothing_is_installed(
        hostile: str, published: dict[str, Path], trusted_root: Path,
        tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    before = installed(python)

    done = warden_install(hostile, trusted_root, python, tmp_path / "metadata", APP)

    assert done.returncode == 4, done.describe()
    assert "tampered: packages/" in done.stderr
    assert ".whl does not match the signed metadata" in done.stderr
    assert "nothing was installed" in done.stderr
    assert installed(python) == before
