"""Reading the index under test the way installers do (PEP 691 JSON).

The server's signer publishes a project's simple page after each change (an upload, a
yank, a deletion), within a fraction of a second, not in the request that made the
change. So a test that reads a page, or lets pip or uv read it, right after a change
first waits for the page to show it: `wait_until_listed` after an upload, `index_wait`
for any other change. Both poll with a bound; neither sleeps a fixed time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
WAIT_TIMEOUT = 20.0  # seconds for the worker to render a page after a change
WAIT_STEP = 0.1  # seconds between two reads of the page while waiting

Entries = dict[str, dict[str, Any]]


def index_entries(url: str, name: str) -> Entries:
    """{filename: PEP 691 file entry} of a project's simple page; {} if there is no such
    page."""
    response = requests.get(f"{url}/simple/{name}/", headers={"Accept": SIMPLE_JSON}, timeout=30)
    if response.status_code == 404:
        return {}
    response.raise_for_status()
    assert response.headers["Content-Type"].startswith(SIMPLE_JSON), response.headers
    return {f["filename"]: f for f in response.json()["files"]}


def index_files(url: str, name: str) -> dict[str, str]:
    """{filename: sha256} of a project's files on its simple page; {} if there is no
    such project."""
    return {filename: f["hashes"]["sha256"] for filename, f in index_entries(url, name).items()}


def index_wait(url: str, name: str, until: Callable[[Entries], bool], what: str, *,
               timeout: float = WAIT_TIMEOUT, step: float = WAIT_STEP) -> Entries:
    """Reads /simple/<name>/ every `step` seconds until `until(entries)` holds, and returns
    those entries; fails the test, saying `what` it waited for and what the page last
    listed, if that takes more than `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        entries = index_entries(url, name)
        if until(entries):
            return entries
        if time.monotonic() >= deadline:
            pytest.fail(f"/simple/{name}/ did not show {what} within {timeout:g}s; "
                        f"it lists {sorted(entries)}")
        time.sleep(step)


def wait_until_listed(url: str, name: str, *filenames: str,
                      timeout: float = WAIT_TIMEOUT) -> dict[str, str]:
    """Waits until /simple/<name>/ lists every one of `filenames` (as it will once the
    server's worker has rendered the page after their upload); returns {filename: sha256}
    of all the files it lists then."""
    wanted = set(filenames)
    assert wanted, "wait for at least one filename"
    entries = index_wait(url, name, lambda entries: wanted <= entries.keys(),
                         f"{sorted(wanted)}", timeout=timeout)
    return {filename: f["hashes"]["sha256"] for filename, f in entries.items()}


def assert_never_published(url: str, name: str) -> None:
    """Nothing of project `name` exists: the JSON API, which reads the database itself (no
    page render in between), knows no such project, and there is no simple page."""
    response = requests.get(f"{url}/pypi/{name}/json", timeout=30)
    assert response.status_code == 404, (response.status_code, response.text[:300])
    assert index_files(url, name) == {}
