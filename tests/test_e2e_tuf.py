"""python-tuf's client (ngclient, over HTTP, unchanged) against a real `warden serve`:
everything uploaded with twine becomes a verified target, and a signer killed with SIGKILL
in the middle of publishing leaves a repository that verifies, and that the next signer
completes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tuf.ngclient import Updater

from tests.clients import BIN, twine_upload
from tests.conftest import Server, server_running
from tests.dists import Dists, build_dists
from tests.index import SIMPLE_JSON, wait_until_listed

pytestmark = pytest.mark.e2e
SIGNED_TIMEOUT = 20.0


def trusted_root(server: Server) -> bytes:
    """Version 1 of root, checked against the hash the operator prints for paper."""
    root = requests.get(f"{server.url}/tuf/1.root.json", timeout=10).content
    printed = server.warden("tuf", "root-hash").stdout.splitlines()[0]
    assert printed == f"1.root.json sha256 {hashlib.sha256(root).hexdigest()}"
    return root


def updater(server: Server, directory: Path) -> Updater:
    (directory / "metadata").mkdir(parents=True, exist_ok=True)
    (directory / "targets").mkdir(exist_ok=True)
    client = Updater(metadata_dir=str(directory / "metadata"),
                     metadata_base_url=f"{server.url}/tuf/",
                     target_dir=str(directory / "targets"),
                     target_base_url=f"{server.url}/", bootstrap=trusted_root(server))
    client.refresh()
    return client


def download(client: Updater, path: str) -> bytes:
    info = client.get_targetinfo(path)
    assert info is not None, f"{path} is not a signed target"
    return Path(client.download_target(info)).read_bytes()


def signed_paths(server: Server, name: str) -> list[str]:
    """Every target of project `name` as its JSON page links them."""
    page = requests.get(f"{server.url}/simple/{name}/", headers={"Accept": SIMPLE_JSON},
                        timeout=10).json()
    paths = [f"simple/{name}/index.html", f"simple/{name}/index.json"]
    for entry in page["files"]:
        path = "packages/" + entry["url"].split("/packages/", 1)[1]
        paths.append(path)
        if entry.get("core-metadata"):
            paths.append(path + ".metadata")
    return paths


def wait_signed(server: Server, directory: Path, paths: list[str]) -> Updater:
    deadline = time.monotonic() + SIGNED_TIMEOUT
    attempt = 0
    while True:
        attempt += 1
        client = updater(server, directory / f"try{attempt}")
        if all(client.get_targetinfo(p) is not None for p in paths):
            return client
        if time.monotonic() > deadline:
            pytest.fail(f"not signed within {SIGNED_TIMEOUT} s: {paths}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def published(server: Server, alice_token: str,
              tmp_path_factory: pytest.TempPathFactory) -> Dists:
    dists = build_dists(tmp_path_factory.mktemp("tuf-dists"), "tuf-demo", "1.0")
    done = twine_upload(server.url, dists.files, password=alice_token)
    assert done.returncode == 0, done.describe()
    wait_until_listed(server.url, "tuf-demo", dists.sdist.name, dists.wheel.name)
    return dists


def test_every_uploaded_file_its_metadata_and_both_pages_verify(
        server: Server, published: Dists, tmp_path: Path) -> None:
    paths = [*signed_paths(server, "tuf-demo"), "simple/index.html", "simple/index.json"]
    assert any(p.endswith(".metadata") for p in paths)

    client = wait_signed(server, tmp_path, paths)

    by_name = {p.name: p.read_bytes() for p in published.files}
    for path in paths:
        body = download(client, path)
        if path.startswith("packages/") and not path.endswith(".metadata"):
            assert body == by_name[path.rsplit("/", 1)[1]]


def test_the_page_pip_reads_is_the_page_that_was_signed(server: Server, published: Dists,
                                                        tmp_path: Path) -> None:
    client = wait_signed(server, tmp_path, signed_paths(server, "tuf-demo"))

    for accept, target in (("text/html", "index.html"), (SIMPLE_JSON, "index.json")):
        served = requests.get(f"{server.url}/simple/tuf-demo/", headers={"Accept": accept},
                              timeout=10).content
        assert served == download(client, f"simple/tuf-demo/{target}")


# --- a signer killed in the middle of publishing --------------------------------------------


class SignerProcess:
    """`warden signer` as an operator runs it beside `warden serve --no-signer`."""

    def __init__(self, server: Server, log: Path) -> None:
        self.server, self.log = server, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([str(BIN / "warden"), "signer"],
                                            env=self.server.env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, SignerProcess]]:
    """`warden serve --no-signer` and a separate `warden signer`, as when scaled out."""
    signers: list[SignerProcess] = []

    def prepare(srv: Server) -> None:
        srv.warden("tuf", "init", "--embedded")
        signer = SignerProcess(srv, tmp_path_factory.mktemp("signer") / "signer.log")
        signer.start()
        signers.append(signer)

    with server_running(tmp_path_factory, "--no-signer", prepare=prepare) as (srv, _):
        try:
            yield srv, signers[0]
        finally:
            signers[0].stop()


def test_a_signer_killed_while_publishing_leaves_a_consistent_repository(
        split: tuple[Server, SignerProcess], tmp_path: Path) -> None:
    server, signer = split
    token = server.mint_token("alice", "--expires", "1d")
    names = [f"burst-{n:02d}" for n in range(10)]
    dists = {n: build_dists(tmp_path / n, n, "1.0") for n in names}
    files = [f for d in dists.values() for f in d.files]
    uploaded: list[subprocess.CompletedProcess[str] | object] = []
    uploading = threading.Thread(
        target=lambda: uploaded.append(twine_upload(server.url, files, password=token)))
    uploading.start()
    kills = 0
    with contextlib.ExitStack() as stack:
        stack.callback(uploading.join, 300)
        while uploading.is_alive() or kills < 3:
            time.sleep(0.15 + 0.1 * kills)
            signer.kill()  # SIGKILL: wherever it was, mid-publish or idle
            kills += 1
            # What clients see now is a consistent state: it verifies end to end.
            updater(server, tmp_path / f"after-kill-{kills}")
            signer.start()
    done = uploaded[0]
    assert getattr(done, "returncode", 1) == 0, getattr(done, "describe", lambda: done)()

    for name, built in dists.items():
        wait_until_listed(server.url, name, *(f.name for f in built.files))
    paths = [p for n in names for p in signed_paths(server, n)]
    client = wait_signed(server, tmp_path / "final", [*paths, "simple/index.json"])
    listed = json.loads(download(client, "simple/index.json"))["projects"]
    assert set(names) <= {p["name"] for p in listed}
    assert kills >= 3
