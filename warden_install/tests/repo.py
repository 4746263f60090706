"""A tiny TUF-signed index in a temporary directory, laid out as Warden serves one, and an
HTTP server for it that a test can turn hostile.

One Ed25519 key signs every role: root, targets, snapshot, timestamp, and `bin`, to which
targets delegates every page and file (Warden's bins, reduced to one: so a client meets
delegated metadata only when it looks a target up, as it does there). Consistent snapshots
are on, so targets are also stored hash-prefixed, as python-tuf's client asks for them.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)

Tamper = Callable[[bytes], bytes]
EXPIRES = timedelta(days=1)
BIN = "bin"
BIN_PATHS = ["packages/*/*/*/*", "simple/*/*", "simple/*"]


def flip(body: bytes) -> bytes:
    """The same length with one bit changed: only the hash can catch it."""
    return body[:-1] + bytes([body[-1] ^ 1])


def package_path(filename: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"packages/{digest[:2]}/{digest[2:4]}/{digest}/{filename}"


class Repo:
    """The index's files under `directory` and the metadata signing them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.signer = CryptoSigner.generate_ed25519()
        expires = datetime.now(UTC).replace(microsecond=0) + EXPIRES
        self.root = Metadata(Root(expires=expires))
        for role in ("root", "targets", "snapshot", "timestamp"):
            self.root.signed.add_key(self.signer.public_key, role)
        self.targets = Metadata(Targets(expires=expires))
        key = self.signer.public_key
        self.targets.signed.delegations = Delegations(
            keys={key.keyid: key},
            roles={BIN: DelegatedRole(name=BIN, keyids=[key.keyid], threshold=1,
                                      terminating=True, paths=BIN_PATHS)})
        self.bin = Metadata(Targets(expires=expires))
        self.snapshot = Metadata(Snapshot(expires=expires))
        self.timestamp = Metadata(Timestamp(expires=expires))
        self.projects: dict[str, dict[str, bytes]] = {}
        self.published = False
        self._write("tuf/1.root.json", self._signed(self.root))

    @property
    def root_bytes(self) -> bytes:
        return (self.directory / "tuf/1.root.json").read_bytes()

    def _signed(self, md: Metadata[Any]) -> bytes:
        md.signatures.clear()
        md.sign(self.signer)
        return md.to_bytes()

    def _write(self, path: str, data: bytes) -> None:
        file = self.directory / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)

    def put(self, path: str, data: bytes, *, sign: bool = True) -> None:
        """Stores target `path` under its plain name (what `HEAD` finds) and, if `sign`,
        hash-prefixed and in the next targets metadata."""
        self._write(path, data)
        if sign:
            digest = hashlib.sha256(data).hexdigest()
            directory, _, name = path.rpartition("/")
            self._write(f"{directory}/{digest}.{name}", data)
            self.bin.signed.targets[path] = TargetFile.from_data(path, data, ["sha256"])

    def add_project(self, name: str, files: dict[str, bytes], *, sign: bool = True) -> None:
        """A project's files and its pages (and the root page), as Warden renders them."""
        self.projects[name] = files
        entries = []
        for filename, data in files.items():
            path = package_path(filename, data)
            self.put(path, data, sign=sign)
            entries.append({"filename": filename, "url": f"../../{path}",
                            "hashes": {"sha256": hashlib.sha256(data).hexdigest()}})
        page = {"meta": {"api-version": "1.0"}, "name": name, "files": entries}
        links = "".join(f'<a href="{e["url"]}#sha256={e["hashes"]["sha256"]}">'
                        f'{e["filename"]}</a>\n' for e in entries)
        self.put(f"simple/{name}/index.json", json.dumps(page).encode(), sign=sign)
        self.put(f"simple/{name}/index.html",
                 f"<!DOCTYPE html><html><body>\n{links}</body></html>\n".encode(), sign=sign)
        self._root_pages(sign=sign)

    def _root_pages(self, *, sign: bool) -> None:
        names = sorted(self.projects)
        index = {"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in names]}
        self.put("simple/index.json", json.dumps(index).encode(), sign=sign)
        links = "".join(f'<a href="{n}/">{n}</a>\n' for n in names)
        self.put("simple/index.html", f"<html><body>\n{links}</body></html>\n".encode(),
                 sign=sign)

    def publish(self) -> None:
        """New versions of the bin, snapshot and timestamp, as Warden's signer makes."""
        if self.published:
            for md in (self.bin, self.snapshot, self.timestamp):
                md.signed.version += 1
        else:
            self._write("tuf/1.targets.json", self._signed(self.targets))
        self.published = True
        self.snapshot.signed.meta["targets.json"] = MetaFile(self.targets.signed.version)
        self.snapshot.signed.meta[f"{BIN}.json"] = MetaFile(self.bin.signed.version)
        self.timestamp.signed.snapshot_meta = MetaFile(self.snapshot.signed.version)
        self._write(f"tuf/{self.bin.signed.version}.{BIN}.json", self._signed(self.bin))
        self._write(f"tuf/{self.snapshot.signed.version}.snapshot.json",
                    self._signed(self.snapshot))
        self._write("tuf/timestamp.json", self._signed(self.timestamp))


class RepoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, repo: Repo) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.repo = repo
        self.requests: list[tuple[str, str]] = []  # (method, path)
        # By URL path: what a hostile mirror does to the body it serves there.
        self.tamper: dict[str, Tamper] = {}

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def tamper_target(self, path: str, how: Tamper = flip) -> None:
        """Tampers with target `path` under the name ngclient fetches it by."""
        data = (self.repo.directory / path).read_bytes()
        directory, _, name = path.rpartition("/")
        self.tamper[f"/{directory}/{hashlib.sha256(data).hexdigest()}.{name}"] = how

    def fetched(self, prefix: str = "/") -> list[str]:
        return [p for m, p in self.requests if m == "GET" and p.startswith(prefix)]


class _Handler(BaseHTTPRequestHandler):
    server: RepoServer

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, *, body: bool) -> None:
        path = urlsplit(self.path).path
        self.server.requests.append((self.command, path))
        relative = path.lstrip("/")
        if path.endswith("/"):  # a project page by its plain URL, as the server has it
            relative += "index.html"
        file = self.server.repo.directory / relative
        if ".." in relative.split("/") or not file.is_file():
            self.send_error(404)
            return
        data = file.read_bytes()
        how = self.server.tamper.get(path)
        if how is not None:
            data = how(data)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)


@contextmanager
def serving(repo: Repo) -> Iterator[RepoServer]:
    server = RepoServer(repo)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
