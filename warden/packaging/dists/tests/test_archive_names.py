"""Member names that Windows and macOS merge: one would overwrite the other on install."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import pytest

from tests.dists import sdist_members, tar_members, wheel_members
from warden.packaging.dists.archive import ArchiveLimits, archive_inspect
from warden.packaging.dists.archive_names import MemberNames, name_fold
from warden.packaging.dists.tests.builders import (
    dist_filename,
    tar_dir,
    tar_write,
    zip_write,
)
from warden.packaging.errors import UploadError

WHEEL = "demo-1.0-py3-none-any.whl"
SDIST = "demo-1.0.tar.gz"
SDIST_ZIP = "demo-1.0.zip"
CAFE_NFC = unicodedata.normalize("NFC", "café")
CAFE_NFD = unicodedata.normalize("NFD", "café")


def inspect(path: Path) -> bytes:
    dist = dist_filename("bdist_wheel" if path.name.endswith(".whl") else "sdist")
    return archive_inspect(path=path, filename=path.name, dist=dist, limits=ArchiveLimits())


def refused(path: Path, *names: str) -> str:
    with pytest.raises(UploadError) as caught:
        inspect(path)
    message = caught.value.message
    for name in names:
        assert repr(name) in message, message
    return message


def wheel(tmp_path: Path, files: dict[str, bytes]) -> Path:
    return zip_write(tmp_path / WHEEL, wheel_members(files=files))


def sdist(tmp_path: Path, files: dict[str, bytes]) -> Path:
    return tar_write(tmp_path / SDIST, tar_members(sdist_members(files=files)))


# The attack of issue 12: a reviewer reads one file, Windows and macOS install the other.


def test_wheel_with_a_package_spelled_in_two_cases_is_refused_naming_both(
    tmp_path: Path,
) -> None:
    path = wheel(tmp_path, {"demo/__init__.py": b"", "DEMO/__init__.py": b"EVIL = 1\n"})

    message = refused(path, "demo/__init__.py", "DEMO/__init__.py")

    assert "Windows and macOS" in message


def test_sdist_with_setup_py_in_two_cases_is_refused_naming_both(tmp_path: Path) -> None:
    path = sdist(tmp_path, {"demo-1.0/setup.py": b"", "demo-1.0/SETUP.py": b"import evil\n"})

    refused(path, "demo-1.0/setup.py", "demo-1.0/SETUP.py")


def test_zip_sdist_with_setup_py_in_two_cases_is_refused(tmp_path: Path) -> None:
    members = sdist_members(files={"demo-1.0/setup.py": b"", "demo-1.0/SETUP.py": b"x"})

    refused(zip_write(tmp_path / SDIST_ZIP, members), "demo-1.0/setup.py", "demo-1.0/SETUP.py")


def test_wheel_with_a_second_metadata_file_in_another_case_is_refused(tmp_path: Path) -> None:
    # Which METADATA an installer reads would depend on the file system.
    path = wheel(tmp_path, {"demo-1.0.dist-info/metadata": b"Name: other\n"})

    refused(path, "demo-1.0.dist-info/METADATA", "demo-1.0.dist-info/metadata")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (f"demo/{CAFE_NFC}.py", f"demo/{CAFE_NFD}.py"),  # macOS: one name, two encodings
        ("demo/straße.py", "demo/STRASSE.py"),  # full case folding
        ("demo/mod.py", "demo/mod.py."),  # Windows drops trailing dots
        ("demo/mod.py", "demo/mod.py  "),  # and trailing spaces
        ("demo/mod.py", "demo/mod.py::$DATA"),  # an NTFS stream of mod.py is mod.py
    ],
)
def test_wheel_members_that_one_file_system_merges_are_refused(
    tmp_path: Path, first: str, second: str
) -> None:
    refused(wheel(tmp_path, {first: b"", second: b"EVIL = 1\n"}), first, second)


def test_directories_spelled_in_two_cases_are_refused_naming_the_directories(
    tmp_path: Path,
) -> None:
    # Not one file overwriting another, but one directory on macOS and two packages on Linux.
    path = wheel(tmp_path, {"demo/a.py": b"", "Demo/b.py": b""})

    message = refused(path)

    assert "'demo' (in 'demo/__init__.py')" in message, message
    assert "'Demo' (in 'Demo/b.py')" in message, message


def test_tar_directory_entries_spelled_in_two_cases_are_refused(tmp_path: Path) -> None:
    members = [*tar_members(sdist_members()), tar_dir("demo-1.0/DEMO")]

    refused(tar_write(tmp_path / SDIST, members), "demo-1.0/demo", "demo-1.0/DEMO")


def test_zip_with_a_directory_entry_and_a_file_of_the_same_name_is_refused(
    tmp_path: Path,
) -> None:
    members = [*wheel_members().items(), ("demo/extra/", b""), ("demo/extra", b"")]

    message = refused(zip_write(tmp_path / WHEEL, members), "demo/extra/", "demo/extra")

    assert "same path" in message


# What stays accepted.


def test_wheel_with_distinct_non_ascii_names_and_directory_entries_is_accepted(
    tmp_path: Path,
) -> None:
    members = [
        *wheel_members(files={f"demo/{CAFE_NFC}.py": b"", "demo/data/x.txt": b""}).items(),
        ("demo/data/", b""),
    ]

    inspect(zip_write(tmp_path / WHEEL, members, compression=zipfile.ZIP_STORED))


def test_sdist_with_directory_entries_before_their_files_is_accepted(tmp_path: Path) -> None:
    inspect(sdist(tmp_path, {"demo-1.0/src/demo/a.py": b"", "demo-1.0/src/demo/b.py": b""}))


# The folding itself.


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Setup.PY", "setup.py"),
        ("setup.py. . ", "setup.py"),
        ("setup.py:evil", "setup.py"),
        (CAFE_NFC, unicodedata.normalize("NFD", "café")),
    ],
)
def test_name_fold_matches_what_windows_and_macos_compare(name: str, folded: str) -> None:
    assert name_fold(name) == folded


def test_a_deep_path_costs_time_in_proportion_to_its_length() -> None:
    names = MemberNames()
    deep = "/".join(["a"] * 200_000)

    names.add(deep)
    names.add(deep[:-1] + "b")

    with pytest.raises(UploadError, match="same path"):
        names.add(deep + "/")
