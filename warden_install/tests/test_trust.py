"""Refreshing the index's metadata from a trusted root, and keeping it between runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warden_install import trust
from warden_install.errors import InstallError, MetadataFailed, Unreachable
from warden_install.tests.repo import Repo, RepoServer, flip


def test_a_returning_client_fetches_only_what_changed(server: RepoServer, repo: Repo,
                                                      metadata_dir: Path) -> None:
    trust.open_index(server.url, repo.root_bytes, metadata_dir).get_targetinfo(
        "simple/tiny/index.json")
    first = server.fetched("/tuf/")
    assert {"/tuf/timestamp.json", "/tuf/1.snapshot.json", "/tuf/1.targets.json",
            "/tuf/1.bin.json"} <= set(first)
    del server.requests[:]

    trust.open_index(server.url, repo.root_bytes, metadata_dir).get_targetinfo(
        "simple/tiny/index.json")

    # The next root (absent) and the timestamp, which names the snapshot already held.
    assert server.fetched("/tuf/") == ["/tuf/2.root.json", "/tuf/timestamp.json"]


def test_a_rolled_back_timestamp_is_refused_after_a_newer_one(
        server: RepoServer, repo: Repo, metadata_dir: Path) -> None:
    old = (repo.directory / "tuf/timestamp.json").read_bytes()
    repo.add_project("more", {"more-1.0.tar.gz": b"more"})
    repo.publish()
    trust.open_index(server.url, repo.root_bytes, metadata_dir)
    server.tamper["/tuf/timestamp.json"] = lambda body: old  # a mirror replaying the past

    with pytest.raises(MetadataFailed, match="failed verification: BadVersionNumberError"):
        trust.open_index(server.url, repo.root_bytes, metadata_dir)


@pytest.mark.parametrize("path", ["/tuf/timestamp.json", "/tuf/1.snapshot.json",
                                  "/tuf/1.targets.json"])
def test_tampered_top_level_metadata_is_refused(server: RepoServer, repo: Repo,
                                                metadata_dir: Path, path: str) -> None:
    server.tamper[path] = flip

    with pytest.raises(MetadataFailed, match="the index's TUF metadata failed verification"):
        trust.open_index(server.url, repo.root_bytes, metadata_dir)


def test_the_root_of_another_index_is_not_trusted_here(server: RepoServer, tmp_path: Path,
                                                       metadata_dir: Path) -> None:
    stranger = Repo(tmp_path / "elsewhere")

    with pytest.raises(MetadataFailed, match="UnsignedMetadataError"):
        trust.open_index(server.url, stranger.root_bytes, metadata_dir)


def test_an_index_without_metadata_is_unreachable_not_tampered(
        server: RepoServer, repo: Repo, metadata_dir: Path) -> None:
    (repo.directory / "tuf/timestamp.json").unlink()

    with pytest.raises(Unreachable, match=r"cannot fetch the index's TUF metadata from "
                                          rf"{server.url}/tuf/.*404"):
        trust.open_index(server.url, repo.root_bytes, metadata_dir)


@pytest.mark.parametrize("content", [b"not json", b'{"signed": {"_type": "targets"}}'])
def test_a_trusted_root_file_that_is_no_root_is_refused(tmp_path: Path,
                                                        content: bytes) -> None:
    path = tmp_path / "root.json"
    path.write_bytes(content)

    with pytest.raises(InstallError, match="is not TUF root metadata"):
        trust.load_root(path)


def test_the_trusted_root_is_read_as_given(repo: Repo, tmp_path: Path) -> None:
    path = tmp_path / "root.json"
    path.write_bytes(repo.root_bytes)

    assert json.loads(trust.load_root(path))["signed"]["_type"] == "root"


def test_the_default_cache_is_per_index_and_per_root(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    one = trust.default_metadata_dir("https://a.example.invalid", b"root 1")

    assert one.parent == tmp_path / "warden-install"
    assert one == trust.default_metadata_dir("https://a.example.invalid", b"root 1")
    assert one != trust.default_metadata_dir("https://b.example.invalid", b"root 1")
    assert one != trust.default_metadata_dir("https://a.example.invalid", b"root 2")
