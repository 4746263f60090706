"""The whole command against a signed index over HTTP, with the real pip of this
interpreter installing into a `--target` directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from warden_install.cli import _verdict, main
from warden_install.errors import (
    EXIT_FAILED,
    EXIT_NOT_YET_SIGNED,
    EXIT_TAMPERED,
    EXIT_USAGE,
    NotFound,
    NotYetSigned,
    Tampered,
)
from warden_install.runpip import pip_env
from warden_install.tests.conftest import WHEEL
from warden_install.tests.repo import Repo, RepoServer, package_path


@pytest.fixture
def root_file(repo: Repo, tmp_path: Path) -> Path:
    path = tmp_path / "1.root.json"
    path.write_bytes(repo.root_bytes)
    return path


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return tmp_path / "site"


def install(server: RepoServer, root_file: Path, metadata_dir: Path, *pip_args: str) -> int:
    return main(["--index", f"{server.url}/", "--root", str(root_file),
                 "--metadata-dir", str(metadata_dir), *pip_args])


def test_installs_what_verifies(server: RepoServer, root_file: Path, metadata_dir: Path,
                                target: Path) -> None:
    status = install(server, root_file, metadata_dir, "tiny", "--target", str(target), "-q")

    assert status == 0
    assert (target / "tiny" / "__init__.py").read_text().count('__version__ = "1.0"') == 1
    # Fetched from the index by ngclient alone, hash-prefixed: nothing unverified.
    assert any(p.endswith(f".{WHEEL.filename}") for p in server.fetched("/packages/"))
    assert not any(p.endswith(f"/{WHEEL.filename}") for p in server.fetched("/packages/"))


def test_a_tampered_wheel_installs_nothing(server: RepoServer, root_file: Path,
                                           metadata_dir: Path, target: Path,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    path = package_path(WHEEL.filename, WHEEL.data)
    server.tamper_target(path)

    status = install(server, root_file, metadata_dir, "tiny", "--target", str(target))

    assert status == EXIT_TAMPERED
    err = capfd.readouterr().err
    assert f"tampered: {path} does not match the signed metadata" in err
    assert "nothing was installed" in err
    assert not target.exists()


def test_an_unsigned_upload_says_to_retry(repo: Repo, server: RepoServer, root_file: Path,
                                          metadata_dir: Path, target: Path,
                                          capfd: pytest.CaptureFixture[str]) -> None:
    repo.add_project("fresh", {WHEEL.filename.replace("tiny", "fresh"): b"x"}, sign=False)

    status = install(server, root_file, metadata_dir, "fresh", "--target", str(target))

    assert status == EXIT_NOT_YET_SIGNED
    assert ("not yet signed: simple/fresh/index.json was uploaded but is not signed yet; "
            "retry in a few seconds") in capfd.readouterr().err
    assert not target.exists()


def test_an_unknown_project(server: RepoServer, root_file: Path, metadata_dir: Path,
                            target: Path, capfd: pytest.CaptureFixture[str]) -> None:
    status = install(server, root_file, metadata_dir, "nope", "--target", str(target))

    assert status == EXIT_FAILED
    assert "not found: no project 'nope' on the index" in capfd.readouterr().err


def test_tampered_metadata_stops_before_pip(server: RepoServer, root_file: Path,
                                            metadata_dir: Path, target: Path,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    server.tamper["/tuf/timestamp.json"] = lambda body: body.replace(b'"version"', b'"v"', 1)

    status = install(server, root_file, metadata_dir, "tiny", "--target", str(target))

    assert status == EXIT_TAMPERED
    assert "warden-install: the index's TUF metadata failed verification" in \
        capfd.readouterr().err
    assert server.fetched("/simple/") == []


@pytest.mark.parametrize(("args", "message"), [
    (["--pre"], "nothing to install"),
    (["-i", "https://elsewhere.invalid/simple/", "tiny"], "fetches only from the verified"),
])
def test_usage_errors(server: RepoServer, root_file: Path, metadata_dir: Path,
                      args: list[str], message: str,
                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        install(server, root_file, metadata_dir, *args)

    assert exited.value.code == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_the_command_needs_neither_django_nor_warden() -> None:
    """A client machine installs tuf, securesystemslib, packaging and pip only."""
    code = ("import sys, warden_install.cli\n"
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'django', 'warden'})\n"
            "print(bad)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)

    assert done.stdout.strip() == "[]"


def test_help_is_documented() -> None:
    done = subprocess.run([sys.executable, "-m", "warden_install", "--help"],
                          capture_output=True, text=True, check=False, timeout=60)

    assert done.returncode == 0
    for option in ("--index", "--root", "--metadata-dir", "--python"):
        assert option in done.stdout


def test_tampering_fails_the_run_even_when_pip_got_by(capsys: pytest.CaptureFixture[str]) -> None:
    assert _verdict([NotFound("not found: x")], 0) is None
    assert _verdict([Tampered("packages/x.whl")], 0) == EXIT_TAMPERED
    assert "tampered: packages/x.whl" in capsys.readouterr().err
    assert _verdict([NotFound("a"), NotYetSigned("b")], 1) == EXIT_NOT_YET_SIGNED
    assert _verdict([], 1) == EXIT_FAILED


def test_pip_sees_no_other_index_and_no_proxy_but_ours() -> None:
    env = pip_env({"PIP_INDEX_URL": "https://elsewhere.invalid/simple/",
                   "pip_extra_index_url": "https://elsewhere.invalid/simple/",
                   "PIP_CONFIG_FILE": "/home/u/pip.conf", "HTTPS_PROXY": "http://p.invalid",
                   "no_proxy": "*", "HOME": "/home/u"})

    assert env["HOME"] == "/home/u"
    assert not {k for k in env if k.upper() in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL")}
    assert env["PIP_CONFIG_FILE"] == os.devnull
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        assert urlsplit(env[name]).hostname == "127.0.0.1"
    assert env["no_proxy"] == env["NO_PROXY"] == "127.0.0.1,localhost"
