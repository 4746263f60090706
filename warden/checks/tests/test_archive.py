"""The checks' view of an archive: hostile names stay strings, reads are capped, a corrupt
archive gives what could be read, and nothing ever reaches the disk."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from tests.dists import sdist_bytes, tar_file, tar_gz_bytes, wheel_bytes, zip_bytes
from warden.checks import archive as archive_module
from warden.checks.archive import Archive, core_metadata


def test_a_wheel_lists_its_members_and_reads_their_text() -> None:
    wheel = wheel_bytes("demo", "1.0", module="import os\n")
    view = Archive(wheel.filename, wheel.data)
    assert view.kind == "zip" and not view.broken
    assert "demo/__init__.py" in [m.name for m in view.members]
    assert dict(view.texts())["demo/__init__.py"] == "import os\n"


def test_an_sdist_gives_its_own_core_metadata() -> None:
    sdist = sdist_bytes("demo", "1.0", summary="A demo")
    meta = core_metadata(Archive(sdist.filename, sdist.data))
    assert (meta["name"], meta["version"], meta["summary"]) == ("demo", "1.0", "A demo")


def test_hostile_member_names_and_links_are_never_written_anywhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    link = tarfile.TarInfo("demo-1.0/link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    data = tar_gz_bytes([tar_file("../../escape.py", b"x = 1\n"),
                         tar_file("/abs/evil.py", b"y = 2\n"), (link, None)])
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    view = Archive("demo-1.0.tar.gz", data)
    assert dict(view.texts()) == {"../../escape.py": "x = 1\n", "/abs/evil.py": "y = 2\n"}
    assert [m.is_link for m in view.members] == [False, False, True]
    assert view.read("demo-1.0/link") is None   # a link is never followed
    assert os.listdir(cwd) == []
    assert not (tmp_path / "escape.py").exists()


def test_a_member_over_the_cap_is_listed_but_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_module, "MEMBER_MAX", 1000)
    data = zip_bytes({"demo/big.py": b"#" * 5000, "demo/small.py": b"ok = 1\n"})
    view = Archive("demo-1.0.zip", data)
    assert {m.name: m.size for m in view.members}["demo/big.py"] == 5000
    assert view.read("demo/big.py") is None
    assert view.read("demo/small.py") == b"ok = 1\n"


def test_the_archive_budget_stops_a_bomb_of_many_members(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_module, "TOTAL_MAX", 3000)
    data = zip_bytes({f"demo/m{i}.py": b"#" * 1000 for i in range(10)})
    read = [name for name, _ in Archive("demo-1.0.zip", data).texts()]
    assert len(read) == 3


def test_a_truncated_archive_keeps_what_could_be_read() -> None:
    data = tar_gz_bytes([tar_file(f"demo/m{i}.py", os.urandom(4000)) for i in range(5)])
    view = Archive("demo-1.0.tar.gz", data[: len(data) // 2])
    assert view.broken
    assert 0 < len(view.members) < 5


def test_an_encrypted_zip_member_is_unreadable_not_an_error() -> None:
    data = zip_bytes({"demo/a.py": b"a = 1\n"})
    # Set the "encrypted" flag bit: reading asks for a password.
    patched = bytearray(data)
    central = patched.rfind(b"PK\x01\x02")
    patched[central + 8] |= 1
    local = patched.find(b"PK\x03\x04")
    patched[local + 6] |= 1
    view = Archive("demo-1.0.zip", bytes(patched))
    assert view.read("demo/a.py") is None


def test_bytes_that_are_not_an_archive_have_no_members() -> None:
    view = Archive("demo-1.0.tar.gz", b"plain text, not an archive")
    assert view.kind == "unknown" and view.members == []
    broken = Archive("demo-1.0.whl", b"PK\x03\x04" + b"\0" * 40)
    assert broken.broken and broken.members == []


def test_the_reader_has_no_way_to_extract() -> None:
    # Reads go through ZipFile.open / TarFile.extractfile into memory; never extract*.
    source = Path(archive_module.__file__).read_text()
    assert "extractall" not in source and ".extract(" not in source


def test_corrupt_compressed_data_is_unreadable_not_an_error() -> None:
    data = bytearray(zip_bytes({"demo/a.py": b"a = 1\n" * 200}))
    start = data.find(b"PK\x03\x04") + 30 + len("demo/a.py")
    data[start:start + 20] = b"\xff" * 20       # garbage in the deflate stream
    view = Archive("demo-1.0.zip", bytes(data))
    assert view.read("demo/a.py") is None
    assert view.broken


def test_a_bomb_is_read_only_up_to_the_budget_and_said_to_be_cut_short(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_module, "TOTAL_MAX", 50_000)
    data = tar_gz_bytes([tar_file("demo-1.0/setup.py", b"x = 1\n"),
                         tar_file("demo-1.0/zeros.bin", b"\0" * 2_000_000),
                         tar_file("demo-1.0/late.py", b"y = 2\n")])
    view = Archive("demo-1.0.tar.gz", data)
    assert view.truncated
    assert "demo-1.0/late.py" not in [m.name for m in view.members]
    assert any("larger than" in p for p in archive_module.problems(view))


def test_a_second_member_under_a_taken_name_is_a_problem() -> None:
    data = tar_gz_bytes([tar_file("demo-1.0/setup.py", b"print('hello')\n"),
                         tar_file("demo-1.0/setup.py", b"import os\n")])
    view = Archive("demo-1.0.tar.gz", data)
    assert view.text("demo-1.0/setup.py") == "print('hello')\n"
    assert view.duplicates == ["demo-1.0/setup.py"]
    assert "share a name" in archive_module.problems(view)[0]


def test_an_oversized_code_file_or_too_many_members_is_a_problem(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_module, "MEMBER_MAX", 1000)
    padded = Archive("demo-1.0.zip", zip_bytes({"demo/setup.py": b"#" * 5000}))
    assert "code file is larger" in archive_module.problems(padded)[0]
    monkeypatch.setattr(archive_module, "MEMBERS_MAX", 3)
    many = Archive("demo-1.0.zip", zip_bytes({f"demo/m{i}.py": b"" for i in range(5)}))
    assert many.truncated and len(many.members) == 3


def test_an_ordinary_archive_has_no_problems() -> None:
    for dist in (wheel_bytes("demo", "1.0"), sdist_bytes("demo", "1.0")):
        assert archive_module.problems(Archive(dist.filename, dist.data)) == []
