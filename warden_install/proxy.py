"""The verifying proxy pip talks to: on 127.0.0.1, it answers with verified targets only.

Status codes are chosen for how pip reacts: 404 for what is not signed (pip skips a page or
fails the download), 403 for tampering (pip does not retry a 4xx: retrying a forgery only
fetches it again), 502 for a network failure (pip retries 5xx, which may help).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from warden_install.errors import (
    InstallError,
    MetadataFailed,
    NotFound,
    NotYetSigned,
    Tampered,
)
from warden_install.routes import Redirect, Refused, Target, route
from warden_install.verified import VerifiedIndex


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, index: VerifiedIndex) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.index = index
        self.problems: list[InstallError] = []
        # Once the index has been caught lying, nothing else it sends is worth serving,
        # even what verifies: the run is going to fail anyway.
        self.poisoned = False
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def record(self, problem: InstallError) -> None:
        with self._lock:
            self.problems.append(problem)
            if isinstance(problem, Tampered | MetadataFailed):
                self.poisoned = True


class _Handler(BaseHTTPRequestHandler):
    server: ProxyServer
    server_version = "warden-install"

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # pip reports what it fetched; a second log of the same would be noise

    def _answer(self, *, body: bool) -> None:
        chosen = route(self.path, self.headers.get("Accept"))
        if isinstance(chosen, Redirect):
            self._status(301, "moved", body=body, headers={"Location": chosen.location})
        elif isinstance(chosen, Refused):
            self._status(404, f"not a target: {chosen.message}", body=body)
        else:
            self._serve(chosen, body=body)

    def _serve(self, target: Target, *, body: bool) -> None:
        if self.server.poisoned:
            self._status(403, "refused: the index served tampered data earlier in this run",
                         body=body)
            return
        try:
            local = self.server.index.fetch(target.path)
        except InstallError as exc:
            self.server.record(exc)
            code = 404 if isinstance(exc, NotFound | NotYetSigned) else \
                403 if isinstance(exc, Tampered | MetadataFailed) else 502
            self._status(code, str(exc), body=body)
            return
        with local.open("rb") as source:
            size = local.stat().st_size
            self.send_response(200)
            self.send_header("Content-Type", target.content_type)
            self.send_header("Content-Length", str(size))
            # Pages change with every upload; pip must ask again next run, not reuse them.
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if body:
                shutil.copyfileobj(source, self.wfile)

    def _status(self, code: int, message: str, *, body: bool,
                headers: dict[str, str] | None = None) -> None:
        data = f"{code} {message}\n".encode()
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)


@contextmanager
def running(index: VerifiedIndex) -> Iterator[ProxyServer]:
    """The proxy, serving in a thread on a free port until the block ends."""
    server = ProxyServer(index)
    # A short poll, or shutdown() waits half a second: a visible pause in every run.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                              name="warden-install-proxy", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
