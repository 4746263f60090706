"""End-to-end fixtures: the real `warden serve`, the personas, their tokens, and the
distributions they publish.

Personas:
- alice: publishes projects (owner of everything she uploads first);
- mallory: a registered stranger who tries to publish where she has no role.
Both have an authenticator app (TOTP), as `warden token create` and uploads require by
default; what stops mallory is her lack of a role.

The server runs once per session in its own data directory. On SQLite (the default) that
directory holds its database; when WARDEN_DATABASE_URL is set (the PostgreSQL run of
scripts/test) the server gets a database of its own, created beside pytest-django's
test database in the same cluster and dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser import totp_enable
from tests.clients import BIN
from tests.dists import Dists, build_dists

START_TIMEOUT = 60  # seconds for `warden serve` to answer GET /simple/
STOP_TIMEOUT = 10  # seconds between SIGTERM and SIGKILL


@dataclass(frozen=True)
class Server:
    url: str  # no trailing slash
    env: dict[str, str]  # what `warden` commands need to act on this server's data
    log: Path

    def warden(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Runs a `warden` command against this server's data; fails the test if it fails."""
        done = subprocess.run(
            [str(BIN / "warden"), *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(
                f"warden {' '.join(args)} failed with exit {done.returncode}:\n"
                f"{done.stdout}{done.stderr}"
            )
        return done

    def mint_token(self, username: str, *args: str) -> str:
        """`warden token create USERNAME ARGS...`, which prints the token alone."""
        return self.warden("token", "create", username, *args).stdout.strip()

    def shell(self, code: str) -> str:
        """Runs Python in `warden shell` (Django's shell with our settings)."""
        return self.warden("shell", "--no-imports", "-c", code).stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, limit: int = 6000, start: int = 0) -> str:
    try:
        with path.open("rb") as f:
            f.seek(start)
            data = f.read()
    except OSError:
        return ""
    return data[-limit:].decode(errors="replace")


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"warden serve exited with {process.returncode} before answering:\n{_tail(log)}"
            )
        try:
            with urllib.request.urlopen(f"{url}/simple/", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except (OSError, urllib.error.URLError) as exc:
            last = str(exc)
        time.sleep(0.25)
    raise RuntimeError(
        f"warden serve did not answer GET /simple/ within {START_TIMEOUT}s ({last}):\n{_tail(log)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to `warden serve` (it stops its own children), SIGKILL to its whole
    process group (which we created for it) if it has not stopped within STOP_TIMEOUT."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # Not reaped yet, so the group id is still ours: this reaches the web and
            # task processes it started, too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def _own_postgres_database(url: str) -> Iterator[str]:
    """A fresh database in the cluster of `url`, for the server alone; yields its URL."""
    import psycopg

    name = f"warden_e2e_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlsplit(url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_server_log: Path | None = None


@contextlib.contextmanager
def server_running(tmp_path_factory: pytest.TempPathFactory, *serve_args: str,
                   prepare: Callable[[Server], object] | None = None,
                   ) -> Iterator[tuple[Server, subprocess.Popen[bytes]]]:
    """`warden serve SERVE_ARGS` in a subprocess, on its own data (and, on PostgreSQL, its
    own database), with alice and mallory registered; stopped afterwards. `prepare` runs
    just before the server starts (what an operator does before the first start)."""
    data_dir = tmp_path_factory.mktemp("warden-e2e-data")
    log = tmp_path_factory.mktemp("warden-e2e-log") / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    # 256 bins: the shape of a real repository, a hundredth of its first signing.
    env.update(WARDEN_DATA_DIR=str(data_dir), PYTHONDONTWRITEBYTECODE="1",
               WARDEN_TUF_BIT_LENGTH="8")

    with contextlib.ExitStack() as stack:
        database_url = os.environ.get("WARDEN_DATABASE_URL")
        if database_url:
            env["WARDEN_DATABASE_URL"] = stack.enter_context(_own_postgres_database(database_url))
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        srv = Server(url=url, env=env, log=log)

        srv.warden("migrate", "--no-input", "-v", "0")
        srv.warden("user", "create", "alice", "--email", "alice@example.invalid", "--no-password")
        srv.warden(
            "user", "create", "mallory", "--email", "mallory@example.invalid", "--no-password"
        )
        for username in ("alice", "mallory"):
            totp_enable(srv, username)
        if prepare is not None:
            prepare(srv)

        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [str(BIN / "warden"), "serve", "--bind", f"127.0.0.1:{port}", *serve_args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so we can clean it up
            )
        stack.callback(_stop, process)
        _wait_until_ready(url, process, log)
        yield srv, process


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server: `warden serve` in a subprocess, with alice and mallory registered."""
    global _server_log
    with server_running(tmp_path_factory) as (srv, _):
        _server_log = srv.log
        try:
            yield srv
        finally:
            _server_log = None


@pytest.fixture(scope="session")
def alice_token(server: Server) -> str:
    """Alice's whole-account token, as `warden token create alice --expires 1d` prints it."""
    return server.mint_token("alice", "--expires", "1d")


@pytest.fixture(scope="session")
def mallory_token(server: Server) -> str:
    return server.mint_token("mallory", "--expires", "1d")


@pytest.fixture
def make_dists(tmp_path: Path) -> Callable[..., Dists]:
    """`make_dists(name, version, **options)`: a wheel and an sdist in a fresh directory
    (see tests/dists.build_dists for the options)."""
    counter = 0

    def make(name: str, version: str = "1.0", **options: Any) -> Dists:
        nonlocal counter
        counter += 1
        return build_dists(tmp_path / f"dist{counter}", name, version, **options)

    return make


_LOG_OFFSET = pytest.StashKey[int]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _server_log is not None:
        item.stash[_LOG_OFFSET] = _server_log.stat().st_size


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    # A failed end-to-end test shows what the server logged while it ran.
    if report.failed and _server_log is not None and item.get_closest_marker("e2e"):
        text = _tail(_server_log, start=item.stash.get(_LOG_OFFSET, 0))
        if text:
            report.sections.append(("warden serve log", text))
    return report


from tests.browser import browser, page  # noqa: E402, F401  (fixtures for browser tests)
