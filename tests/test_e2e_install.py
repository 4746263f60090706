"""Installing from the index with pip and uv, into fresh virtual environments, with nothing
but the index under test to fetch from (no cache, no other index)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import requests

from tests.clients import BIN, fresh_venv, run, sha256_of, twine_upload, uv_venv
from tests.conftest import Server
from tests.dists import Dists, build_dists
from tests.index import index_files, wait_until_listed

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(server: Server, alice_token: str, tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """`demo` 1.0 (sdist and wheel), published by alice with twine and listed on its
    simple page (which the server's worker renders after the upload)."""
    dists = build_dists(tmp_path_factory.mktemp("demo-dists"), "demo", "1.0")
    done = twine_upload(server.url, dists.files, password=alice_token)
    assert done.returncode == 0, done.describe()
    wait_until_listed(server.url, "demo", dists.sdist.name, dists.wheel.name)
    return dists


def installed_version(python: Path, module: str) -> str:
    done = run([python, "-c", f"import {module}; print({module}.__version__)"])
    assert done.returncode == 0, done.describe()
    return done.stdout.strip()


def test_pip_installs_the_package_from_the_index(
    server: Server, demo: Dists, tmp_path: Path
) -> None:
    python = fresh_venv(tmp_path / "venv")

    done = run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--index-url",
            f"{server.url}/simple/",
            "demo",
        ]
    )

    assert done.returncode == 0, done.describe()
    assert installed_version(python, demo.module) == "1.0"
    assert demo.wheel.name in done.output, "pip should have chosen the wheel"


def test_pip_builds_and_installs_the_sdist_when_told_not_to_use_wheels(
    server: Server, demo: Dists, tmp_path: Path
) -> None:
    python = fresh_venv(tmp_path / "venv")

    done = run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--no-binary",
            ":all:",
            "--index-url",
            f"{server.url}/simple/",
            "demo",
        ]
    )

    assert done.returncode == 0, done.describe()
    assert demo.sdist.name in done.output, done.describe()
    assert installed_version(python, demo.module) == "1.0"


def test_uv_installs_the_package_from_the_index(
    server: Server, demo: Dists, tmp_path: Path
) -> None:
    python = uv_venv(tmp_path / "venv")

    done = run(
        [
            BIN / "uv",
            "pip",
            "install",
            "--no-cache",
            "--python",
            python,
            "--index-url",
            f"{server.url}/simple/",
            "demo",
        ]
    )

    assert done.returncode == 0, done.describe()
    assert installed_version(python, demo.module) == "1.0"


def test_pip_downloads_the_sdist_and_verifies_its_hash(
    server: Server, demo: Dists, tmp_path: Path
) -> None:
    python = fresh_venv(tmp_path / "venv")
    target = tmp_path / "downloads"

    done = run(
        [
            python,
            "-m",
            "pip",
            "download",
            "--no-cache-dir",
            "--no-binary",
            ":all:",
            "--no-deps",
            "--dest",
            target,
            "--index-url",
            f"{server.url}/simple/",
            "demo",
        ]
    )

    assert done.returncode == 0, done.describe()
    downloaded = target / demo.sdist.name
    assert downloaded.is_file(), sorted(p.name for p in target.iterdir())
    # The bytes are the uploaded ones, and the index advertised their hash, which pip
    # checks against what it downloaded.
    assert sha256_of(downloaded) == sha256_of(demo.sdist)
    assert index_files(server.url, "demo")[demo.sdist.name] == sha256_of(demo.sdist)


def test_pip_installs_with_require_hashes_pinned_to_the_uploaded_wheel(
    server: Server, demo: Dists, tmp_path: Path
) -> None:
    python = fresh_venv(tmp_path / "venv")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"demo==1.0 --hash=sha256:{sha256_of(demo.wheel)}\n")

    done = run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--require-hashes",
            "--only-binary",
            ":all:",
            "--index-url",
            f"{server.url}/simple/",
            "-r",
            requirements,
        ]
    )

    assert done.returncode == 0, done.describe()
    assert installed_version(python, demo.module) == "1.0"


def test_the_json_api_lists_the_files_with_the_digests_of_their_bytes(
    server: Server, demo: Dists
) -> None:
    response = requests.get(f"{server.url}/pypi/demo/json", timeout=30)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["info"]["name"] == "demo"
    assert body["info"]["version"] == "1.0"
    urls = {entry["filename"]: entry for entry in body["urls"]}
    assert set(urls) == {demo.sdist.name, demo.wheel.name}
    for path in demo.files:
        entry = urls[path.name]
        assert entry["digests"]["sha256"] == sha256_of(path)
        assert entry["packagetype"] == ("sdist" if path == demo.sdist else "bdist_wheel")
        download = requests.get(entry["url"], timeout=30)
        assert download.status_code == 200
        assert hashlib.sha256(download.content).hexdigest() == sha256_of(path)
