"""Crash consistency: `kill -9` at every point of an upload, of a task and of a publish, then
`warden check` is clean and the retried upload is published.

Each kill point is a `failpoint(...)` (warden/lib/failpoints.py) armed by starting the real
`warden serve` with WARDEN_FAILPOINTS naming it. After the crash the server starts again on
the same data (and, on PostgreSQL, the same database) without it, and then:
- `warden check --verify-hashes` exits 0: every file row has its bytes with its sha256, every
  page is intact, nothing is stuck (orphaned bytes are allowed: they are not served);
- bytes stored by an upload that died before its commit are not downloadable;
- the same upload again succeeds, and the file is listed and downloads with its sha256.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.browser import totp_enable
from tests.clients import BIN, Run, sha256_of, twine_upload
from tests.conftest import (
    Server,
    _free_port,
    _own_postgres_database,
    _stop,
    _tail,
    _wait_until_ready,
)
from tests.dists import Dists, build_dists
from tests.index import index_entries, wait_until_listed

pytestmark = pytest.mark.e2e

# In the web process, in the order an upload passes them.
UPLOAD_POINTS = [
    "upload.checked",  # archive checked, nothing stored yet
    "upload.stored_file",  # the wheel stored, its PEP 658 metadata not yet
    "upload.stored",  # all bytes stored, no transaction yet
    "upload.committing",  # every row written, inside the transaction, before COMMIT
    "upload.committed",  # committed, before the response
]
# In the task worker (the screening task) and in the signer (the page render and publish).
BACKGROUND_POINTS = [
    "task.screen",  # a screening task claimed (marked running), not yet run
    "publish.rendered",  # pages rendered and stored, not yet made current
    "publish.committing",  # pages made current and pending changes removed, before COMMIT
]
# What each crash leaves in storage that no row names (harmless: not served): the wheel
# (""), its PEP 658 metadata (".metadata"). The retry adopts them.
ORPHANS_LEFT: dict[str, tuple[str, ...]] = {
    "upload.checked": (),
    "upload.stored_file": ("",),
    "upload.stored": ("", ".metadata"),
    "upload.committing": ("", ".metadata"),
    "upload.committed": (),
}
DIE_TIMEOUT = 30  # seconds for a background process to reach its kill point
# A killed signer holds its lease for 15 s more (warden/tuf/signer.py): the restarted one
# publishes only after that.
LISTED_TIMEOUT = 45


@dataclass(frozen=True)
class Site:
    """One index's data (and database), kept across restarts of its server."""

    env: dict[str, str]
    log: Path
    token: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("crash-data")
    log = tmp_path_factory.mktemp("crash-log") / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env.update(WARDEN_DATA_DIR=str(data_dir), PYTHONDONTWRITEBYTECODE="1",
               WARDEN_TUF_BIT_LENGTH="8")
    with contextlib.ExitStack() as stack:
        # The database the suite runs on: PostgreSQL under scripts/pg-throwaway.
        database_url = os.environ.get("WARDEN_DATABASE_URL")
        if database_url:
            env["WARDEN_DATABASE_URL"] = stack.enter_context(_own_postgres_database(database_url))
        srv = Server(url="", env=env, log=log)
        srv.warden("migrate", "--no-input", "-v", "0")
        srv.warden("user", "create", "alice", "--email", "alice@example.invalid", "--no-password")
        totp_enable(srv, "alice")
        site = Site(env=env, log=log, token=srv.mint_token("alice", "--expires", "1d"))
        # An index in use: the root index published, so that an armed signer dies on the
        # test's own upload, not on the first publish.
        with serving(site) as (running, _):
            seed = build_dists(tmp_path_factory.mktemp("seed"), "crash-seed", "1.0")
            assert twine_upload(running.url, [seed.wheel], password=site.token).returncode == 0
            wait_until_listed(running.url, "crash-seed", seed.wheel.name)
        yield site


@contextlib.contextmanager
def serving(site: Site, *failpoints: str, web_only: bool = False,
            ) -> Iterator[tuple[Server, subprocess.Popen[bytes]]]:
    """`warden serve` on the site's data, with `failpoints` armed; stopped afterwards.
    `web_only`: no task worker and no signer (quicker to start and stop)."""
    port = _free_port()
    env = {**site.env, "WARDEN_FAILPOINTS": ",".join(failpoints)}
    srv = Server(url=f"http://127.0.0.1:{port}", env=site.env, log=site.log)
    with site.log.open("ab") as log_file:
        log_file.write(f"\n=== warden serve, failpoints {failpoints or 'none'}\n".encode())
        log_file.flush()
        process = subprocess.Popen(
            [str(BIN / "warden"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             *(["--no-task-worker", "--no-signer"] if web_only else [])],
            env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        _wait_until_ready(srv.url, process, site.log)
        yield srv, process
    finally:
        _stop(process)


def warden_check(srv: Server) -> dict[str, object]:
    """`warden check --verify-hashes --json`, which must pass."""
    done = subprocess.run([str(BIN / "warden"), "check", "--verify-hashes", "--json"],
                          env=srv.env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"warden check failed:\n{done.stdout}{done.stderr}"
    report: dict[str, object] = json.loads(done.stdout)
    return report


def download_sha256(srv: Server, name: str, filename: str) -> str:
    url = index_entries(srv.url, name)[filename]["url"]
    response = requests.get(urllib.parse.urljoin(f"{srv.url}/simple/{name}/", url), timeout=30)
    response.raise_for_status()
    return hashlib.sha256(response.content).hexdigest()


def package_status(srv: Server, wheel: Path) -> int:
    """The HTTP status of a download of `wheel` at its content address."""
    digest = sha256_of(wheel)
    path = f"{digest[:2]}/{digest[2:4]}/{digest}/{wheel.name}"
    return requests.get(f"{srv.url}/packages/{path}", timeout=30).status_code


def retried_upload_is_published(srv: Server, site: Site, name: str, dists: Dists) -> None:
    again = twine_upload(srv.url, [dists.wheel], password=site.token)
    assert again.returncode == 0, again.describe()
    listed = wait_until_listed(srv.url, name, dists.wheel.name, timeout=LISTED_TIMEOUT)
    assert listed[dists.wheel.name] == sha256_of(dists.wheel)
    assert download_sha256(srv, name, dists.wheel.name) == sha256_of(dists.wheel)


def log_since(site: Site, start: int) -> str:
    return _tail(site.log, limit=20000, start=start)


@pytest.mark.parametrize("point", UPLOAD_POINTS)
def test_a_web_process_killed_mid_upload_leaves_a_consistent_index_and_the_retry_succeeds(
        site: Site, make_dists: Callable[..., Dists], point: str) -> None:
    name = f"crash-{point.replace('.', '-').replace('_', '-')}"
    dists = make_dists(name, "1.0")
    start = site.log.stat().st_size if site.log.exists() else 0

    with serving(site, point, web_only=True) as (srv, _):
        crashed: Run = twine_upload(srv.url, [dists.wheel], password=site.token)
        assert crashed.returncode != 0, crashed.describe()
    # gunicorn's master saw its worker die of our SIGKILL (and replaced it).
    assert "SIGKILL" in log_since(site, start), log_since(site, start)

    with serving(site) as (srv, _):
        report = warden_check(srv)
        digest = sha256_of(dists.wheel)
        orphans = {n["name"].rsplit("/", 1)[1] for n in report["notes"]  # type: ignore[attr-defined]
                   if digest in n["name"]}
        assert orphans == {dists.wheel.name + s for s in ORPHANS_LEFT[point]}, report
        if point != "upload.committed":
            # Nothing committed: whatever bytes got stored are not served.
            assert package_status(srv, dists.wheel) == 404
            assert index_entries(srv.url, name) == {}
        retried_upload_is_published(srv, site, name, dists)


@pytest.mark.parametrize("point", BACKGROUND_POINTS)
def test_a_worker_or_signer_killed_mid_task_recovers_on_restart_and_the_index_is_consistent(
        site: Site, make_dists: Callable[..., Dists], point: str) -> None:
    name = f"crash-{point.replace('.', '-')}"
    dists = make_dists(name, "1.0")
    start = site.log.stat().st_size

    with serving(site, point) as (srv, process):
        done = twine_upload(srv.url, [dists.wheel], password=site.token)
        assert done.returncode == 0, done.describe()  # the web process is not armed
        # `warden serve` stops when one of its processes dies: here, of our SIGKILL.
        process.wait(timeout=DIE_TIMEOUT)
    assert "exited with -9" in log_since(site, start), log_since(site, start)

    with serving(site) as (srv, _):
        retried_upload_is_published(srv, site, name, dists)
        if point == "task.screen":
            screening_finishes(srv, dists.wheel.name)
        warden_check(srv)


def screening_finishes(srv: Server, filename: str) -> None:
    """The screening the killed worker had claimed runs after the restart."""
    code = ("from warden.checks.models import Screening; "
            f"print(Screening.objects.filter(filename={filename!r}, state='done').count())")
    deadline = time.monotonic() + LISTED_TIMEOUT
    while srv.shell(code) != "1":
        assert time.monotonic() < deadline, "the killed worker's screening never ran"
        time.sleep(0.5)
