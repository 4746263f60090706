"""tests/dists.py, the one builder of test distributions: what every test relies on it for."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import io
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.dists import (
    BACKEND_DISTS,
    build_dists,
    core_metadata_of,
    dist_stem,
    metadata_text,
    normalized_name,
    sdist_bytes,
    tar_gz_bytes,
    tar_members,
    wheel_bytes,
)


@pytest.mark.parametrize(
    "name", ["demo", "Demo", "Foo.Bar", "foo_bar", "a--b", "a_.-b", "Zope.Interface", "Demo_", "x1"]
)
def test_names_are_normalised_as_pep_503_then_spelled_with_underscores(name: str) -> None:
    assert normalized_name(name) == canonicalize_name(name)
    assert dist_stem(name) == canonicalize_name(name).replace("-", "_")
    assert wheel_bytes(name, "1.0").filename == f"{dist_stem(name)}-1.0-py3-none-any.whl"
    assert sdist_bytes(name, "1.0").filename == f"{dist_stem(name)}-1.0.tar.gz"


def test_a_wheels_record_lists_every_other_member_with_its_hash_and_size() -> None:
    wheel = wheel_bytes("Odd.Name", "2.0", {"odd_name/data, with a comma.txt": b"x" * 10})
    with zipfile.ZipFile(io.BytesIO(wheel.data)) as archive:
        record = archive.read("odd_name-2.0.dist-info/RECORD").decode()
        rows = list(csv.reader(io.StringIO(record)))
        assert rows[-1] == ["odd_name-2.0.dist-info/RECORD", "", ""]
        assert sorted(row[0] for row in rows) == sorted(archive.namelist())
        for path, digest, size in rows[:-1]:
            data = archive.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert (digest, int(size)) == (f"sha256={expected.decode()}", len(data))


def test_the_same_arguments_give_the_same_bytes_and_another_module_another_file() -> None:
    assert wheel_bytes("demo", "1.0") == wheel_bytes("demo", "1.0")
    assert sdist_bytes("demo", "1.0") == sdist_bytes("demo", "1.0")
    other = wheel_bytes("demo", "1.0", module="VALUE = 2\n")
    assert other.filename == wheel_bytes("demo", "1.0").filename
    assert other.data != wheel_bytes("demo", "1.0").data


def test_metadata_given_with_metadata_fields_is_refused_rather_than_ignored() -> None:
    with pytest.raises(TypeError, match="summary"):
        wheel_bytes("demo", "1.0", metadata=metadata_text(), summary="lost")


@pytest.mark.parametrize("fmt", ["whl", "tar.gz", "zip"])
def test_core_metadata_is_read_back_from_each_kind_of_distribution(
    tmp_path: Path, fmt: str
) -> None:
    metadata = metadata_text("demo", "1.0", summary="Read me back")
    if fmt == "whl":
        built = wheel_bytes(metadata=metadata)
    else:
        built = sdist_bytes(metadata=metadata, fmt=fmt)
    assert core_metadata_of(built.write_to(tmp_path)) == metadata


def test_sdist_tar_entries_put_each_directory_before_its_files_and_none_for_escapes() -> None:
    files = {"demo-1.0/PKG-INFO": b"", "demo-1.0/demo/x.py": b"", "demo-1.0/../../evil": b""}
    names = [(info.name, info.isdir()) for info, _ in tar_members(files)]
    assert names == [
        ("demo-1.0", True),
        ("demo-1.0/PKG-INFO", False),
        ("demo-1.0/demo", True),
        ("demo-1.0/demo/x.py", False),
        ("demo-1.0/../../evil", False),
    ]
    with tarfile.open(fileobj=io.BytesIO(tar_gz_bytes(tar_members(files)))) as tar:
        assert tar.getnames() == [name for name, _ in names]


def test_the_backend_of_a_buildable_sdist_builds_the_wheel_build_dists_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What pip and uv do with the sdist, without them: unpack it, put `_build` on the path
    # (its backend-path), and call the backend's hooks.
    dists = build_dists(tmp_path / "dists", "Some.Thing", "2.0", marker="# marked\n")
    with tarfile.open(dists.sdist) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    build = tmp_path / "unpacked" / "some_thing-2.0" / "_build"
    monkeypatch.syspath_prepend(str(build))
    spec = importlib.util.spec_from_file_location("warden_test_backend", build / "backend.py")
    assert spec is not None and spec.loader is not None
    backend = importlib.util.module_from_spec(spec)
    (tmp_path / "out").mkdir()

    try:
        spec.loader.exec_module(backend)  # imports the copy of tests/dists.py next to it
        wheel_name = backend.build_wheel(str(tmp_path / "out"))
        sdist_name = backend.build_sdist(str(tmp_path / "out"))
    finally:
        sys.modules.pop(BACKEND_DISTS, None)

    assert (tmp_path / "out" / wheel_name).read_bytes() == dists.wheel.read_bytes()
    assert sdist_name == dists.sdist.name
    with tarfile.open(tmp_path / "out" / sdist_name) as rebuilt, tarfile.open(dists.sdist) as sdist:
        assert sorted(rebuilt.getnames()) == sorted(sdist.getnames())
