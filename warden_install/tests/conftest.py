"""Fixtures: a signed index served over HTTP, and warden-install's pieces pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dists import wheel_bytes
from warden_install import proxy, trust
from warden_install.tests.repo import Repo, RepoServer, serving
from warden_install.verified import VerifiedIndex

WHEEL = wheel_bytes("tiny", "1.0")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """`tiny` 1.0 (a real wheel) and its pages, signed."""
    repo = Repo(tmp_path / "index")
    repo.add_project("tiny", {WHEEL.filename: WHEEL.data})
    repo.publish()
    return repo


@pytest.fixture
def server(repo: Repo) -> Iterator[RepoServer]:
    with serving(repo) as server:
        yield server


@pytest.fixture
def metadata_dir(tmp_path: Path) -> Path:
    return tmp_path / "client-metadata"


@pytest.fixture
def verified(server: RepoServer, repo: Repo, metadata_dir: Path,
             tmp_path: Path) -> VerifiedIndex:
    updater = trust.open_index(server.url, repo.root_bytes, metadata_dir)
    return VerifiedIndex(updater, server.url, tmp_path / "targets")


@pytest.fixture
def local_proxy(verified: VerifiedIndex) -> Iterator[proxy.ProxyServer]:
    with proxy.running(verified) as running:
        yield running
