from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.dists import (
    TarMember,
    ZipMember,
    metadata_text,
    sdist_members,
    tar_file,
    wheel_members,
    zip_bytes,
)
from warden.packaging.dists.archive import ArchiveLimits, archive_inspect
from warden.packaging.dists.archive_common import MiB
from warden.packaging.dists.filenames import DistFilename
from warden.packaging.dists.tests import builders
from warden.packaging.dists.tests.builders import (
    dist_filename,
    sdist_entries,
    tar_dir,
    tar_link,
    tar_special,
    tar_write,
    zip_symlink,
    zip_write,
)
from warden.packaging.errors import UploadError

WHEEL = "demo-1.0-py3-none-any.whl"
SDIST = "demo-1.0.tar.gz"
SDIST_ZIP = "demo-1.0.zip"
DEFAULTS = ArchiveLimits()


def inspect(path: Path, *, filename: str | None = None, limits: ArchiveLimits = DEFAULTS) -> bytes:
    filename = filename or path.name
    dist: DistFilename = dist_filename("bdist_wheel" if filename.endswith(".whl") else "sdist")
    return archive_inspect(path=path, filename=filename, dist=dist, limits=limits)


def refused(path: Path, match: str, *, limits: ArchiveLimits = DEFAULTS) -> None:
    with pytest.raises(UploadError, match=match):
        inspect(path, limits=limits)


def wheel(tmp_path: Path, members: dict[str, bytes] | None = None, **kwargs: int) -> Path:
    return zip_write(tmp_path / WHEEL, wheel_members() if members is None else members, **kwargs)


def wheel_bytes(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / WHEEL
    path.write_bytes(data)
    return path


# Wheels: layout


def test_valid_wheel_returns_its_metadata(tmp_path: Path) -> None:
    assert inspect(wheel(tmp_path)) == metadata_text()


def test_stored_wheel_is_accepted(tmp_path: Path) -> None:
    assert inspect(wheel(tmp_path, compression=zipfile.ZIP_STORED)) == metadata_text()


def test_wheel_with_unnormalized_dist_info_name_is_accepted(tmp_path: Path) -> None:
    members = wheel_members(dist_info="Demo-1.0.0.dist-info")
    assert inspect(wheel(tmp_path, members)) == metadata_text()


@pytest.mark.parametrize("missing", ["WHEEL", "METADATA", "RECORD"])
def test_wheel_missing_a_required_dist_info_file_is_refused(tmp_path: Path, missing: str) -> None:
    members = wheel_members()
    del members[f"demo-1.0.dist-info/{missing}"]
    refused(wheel(tmp_path, members), f"'demo-1.0.dist-info' directory is missing {missing}")


def test_wheel_with_two_dist_info_directories_is_refused(tmp_path: Path) -> None:
    members = wheel_members() | {"other-1.0.dist-info/METADATA": metadata_text(name="other")}
    refused(wheel(tmp_path, members), "exactly one top-level .dist-info directory")


def test_wheel_without_dist_info_directory_is_refused(tmp_path: Path) -> None:
    refused(wheel(tmp_path, {"demo/__init__.py": b""}), "found none")


@pytest.mark.parametrize("dist_info", ["demo-2.0.dist-info", "other-1.0.dist-info"])
def test_wheel_whose_dist_info_does_not_match_its_filename_is_refused(
    tmp_path: Path, dist_info: str
) -> None:
    refused(wheel(tmp_path, wheel_members(dist_info=dist_info)), "does not match its filename")


def test_wheel_metadata_larger_than_its_limit_is_refused(tmp_path: Path) -> None:
    limits = ArchiveLimits(max_metadata=10)
    refused(wheel(tmp_path), "larger than the 10 bytes allowed", limits=limits)


def test_wheel_whose_metadata_is_a_symlink_is_refused(tmp_path: Path) -> None:
    members: list[ZipMember] = [
        (name, data) for name, data in wheel_members().items() if not name.endswith("METADATA")
    ]
    members.append((zip_symlink("demo-1.0.dist-info/METADATA"), b"WHEEL"))
    refused(zip_write(tmp_path / WHEEL, members), "must be a regular file")


def test_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    refused(wheel_bytes(tmp_path, b"definitely not a zip" * 10), "is not a valid zip archive")


# Zips: member paths and links


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("../evil.py", "outside the archive with '..'"),
        ("demo/../../evil.py", "outside the archive with '..'"),
        ("/etc/x", "absolute path"),
        ("C:/evil.py", "absolute path"),
        ("\\evil.py", "backslash"),
        ("demo\\..\\..\\evil.py", "backslash"),
        ("demo//evil.py", "empty or '.' path component"),
        ("demo/./evil.py", "empty or '.' path component"),
        ("demo/evil\x1b.py", "control characters"),
    ],
)
def test_zip_with_unsafe_member_path_is_refused(tmp_path: Path, name: str, match: str) -> None:
    refused(wheel(tmp_path, wheel_members() | {name: b"x"}), match)


def test_zip_with_parent_directory_member_is_refused(tmp_path: Path) -> None:
    refused(wheel(tmp_path, wheel_members() | {"../evil.py": b"x"}), "outside the archive")


def test_zip_with_nul_in_a_member_name_is_refused(tmp_path: Path) -> None:
    # zipfile cuts ZipInfo.filename at the NUL; only orig_filename shows it.
    data = zip_bytes(wheel_members() | {"demo/evilXpy": b"x"})
    data = data.replace(b"demo/evilXpy", b"demo/evil\x00py")
    refused(wheel_bytes(tmp_path, data), "control characters")


def test_zip_with_duplicate_member_names_is_refused(tmp_path: Path) -> None:
    members = [*wheel_members().items(), ("demo/__init__.py", b"EVIL = 1\n")]
    with pytest.warns(UserWarning, match=r"Duplicate name"):
        path = zip_write(tmp_path / WHEEL, members)
    refused(path, "contains 'demo/__init__.py' more than once")


@pytest.mark.parametrize("target", ["../../etc/passwd", "../../..", "/etc/passwd", "C:/x"])
def test_zip_symlink_pointing_outside_the_archive_is_refused(tmp_path: Path, target: str) -> None:
    members: list[ZipMember] = [*wheel_members().items()]
    members.append((zip_symlink("demo/link"), target.encode()))
    refused(zip_write(tmp_path / WHEEL, members), "Symlink 'demo/link' points")


@pytest.mark.parametrize("target", [b"..\\..\\evil", b"\xff\xfe", b"", b"evil\x00"])
def test_zip_symlink_with_an_unusable_target_is_refused(tmp_path: Path, target: bytes) -> None:
    members: list[ZipMember] = [*wheel_members().items()]
    members.append((zip_symlink("demo/link"), target))
    refused(zip_write(tmp_path / WHEEL, members), "Symlink 'demo/link' has an invalid target")


def test_zip_symlink_inside_the_archive_is_accepted(tmp_path: Path) -> None:
    members: list[ZipMember] = [*wheel_members().items()]
    members.append((zip_symlink("demo/link.py"), b"../demo/__init__.py"))
    assert inspect(zip_write(tmp_path / WHEEL, members)) == metadata_text()


def test_zip_member_beneath_a_symlink_is_refused(tmp_path: Path) -> None:
    members: list[ZipMember] = [*wheel_members().items()]
    members.append(("demo/sub/x.py", b"x"))
    members.insert(0, (zip_symlink("demo/sub"), b"."))
    refused(zip_write(tmp_path / WHEEL, members), "beneath the symlink 'demo/sub'")


# Zips: sizes


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    members = wheel_members() | {"demo/zeros.bin": bytes(50 * MiB)}
    path = wheel(tmp_path, members)
    assert path.stat().st_size < MiB
    refused(path, "likely decompression bomb")


def test_small_highly_compressible_zip_is_accepted(tmp_path: Path) -> None:
    path = wheel(tmp_path, wheel_members() | {"demo/zeros.bin": bytes(5 * MiB)})
    assert os.path.getsize(path) * DEFAULTS.max_ratio < 5 * MiB
    assert inspect(path) == metadata_text()


def test_zip_declaring_more_than_the_size_limit_is_refused(tmp_path: Path) -> None:
    members = wheel_members() | {"demo/data.bin": os.urandom(4096)}
    limits = ArchiveLimits(max_uncompressed=3000)
    refused(wheel(tmp_path, members), "declares .* the limit is 3000", limits=limits)


def test_zip_with_more_members_than_the_limit_is_refused(tmp_path: Path) -> None:
    refused(wheel(tmp_path), "4 members; the limit is 3", limits=ArchiveLimits(max_members=3))


# Zips: headers that disagree


def test_zip_whose_central_directory_names_a_different_file_is_refused(tmp_path: Path) -> None:
    data = zip_bytes(wheel_members())
    offset = builders.zip_central_offset(data, "demo/__init__.py") + builders.CENTRAL_NAME
    data = builders.zip_patch(data, offset, b"demo/__evil__.py")
    refused(wheel_bytes(tmp_path, data), "'demo/__evil__.py' has a local header .* about its name")


def test_zip_whose_central_directory_gives_a_different_size_is_refused(tmp_path: Path) -> None:
    # zipfile trusts the central directory and would not notice this on its own.
    data = zip_bytes(wheel_members())
    offset = builders.zip_central_offset(data, "demo/__init__.py") + builders.CENTRAL_SIZE
    data = builders.zip_patch(data, offset, struct.pack("<L", 5))
    refused(wheel_bytes(tmp_path, data), "local header that disagrees .* about its size")


def test_zip_whose_local_header_gives_a_different_crc_is_refused(tmp_path: Path) -> None:
    data = zip_bytes(wheel_members())
    offset = builders.zip_local_offset(data, "demo/__init__.py") + builders.LOCAL_CRC
    data = builders.zip_patch(data, offset, b"\x00\x00\x00\x00")
    refused(wheel_bytes(tmp_path, data), "disagrees .* about its CRC")


def test_zip_whose_local_header_gives_a_different_method_is_refused(tmp_path: Path) -> None:
    data = zip_bytes(wheel_members())
    offset = builders.zip_local_offset(data, "demo/__init__.py") + builders.LOCAL_METHOD
    data = builders.zip_patch(data, offset, struct.pack("<H", zipfile.ZIP_STORED))
    refused(wheel_bytes(tmp_path, data), "disagrees .* about its compression method")


def test_zip_member_with_corrupt_data_is_refused(tmp_path: Path) -> None:
    members = wheel_members() | {"demo/data.txt": b"A" * 100}
    data = zip_bytes(members, compression=zipfile.ZIP_STORED)
    data = data.replace(b"A" * 100, b"A" * 99 + b"B")
    refused(wheel_bytes(tmp_path, data), "'demo/data.txt' is corrupt .*Bad CRC-32")


def test_encrypted_zip_member_is_refused(tmp_path: Path) -> None:
    data = zip_bytes(wheel_members())
    offset = builders.zip_central_offset(data, "demo/__init__.py") + builders.CENTRAL_FLAGS
    data = builders.zip_patch(data, offset, struct.pack("<H", 0x01))
    refused(wheel_bytes(tmp_path, data), "'demo/__init__.py' is encrypted")


def test_zip_member_with_unsupported_compression_is_refused(tmp_path: Path) -> None:
    data = zip_bytes(wheel_members())
    method = struct.pack("<H", 99)  # AES, which zipfile cannot read
    central = builders.zip_central_offset(data, "demo/__init__.py") + builders.CENTRAL_METHOD
    local = builders.zip_local_offset(data, "demo/__init__.py") + builders.LOCAL_METHOD
    data = builders.zip_patch(builders.zip_patch(data, central, method), local, method)
    refused(wheel_bytes(tmp_path, data), "unsupported compression method")


def test_zip_with_data_before_the_first_entry_is_refused(tmp_path: Path) -> None:
    data = b"#!/bin/sh\necho surprise\n" + zip_bytes(wheel_members())
    refused(wheel_bytes(tmp_path, data), "data before its first zip entry")


def test_zip_whose_local_header_is_missing_is_refused(tmp_path: Path) -> None:
    data = zip_bytes(wheel_members())
    offset = builders.zip_local_offset(data, "demo/__init__.py")
    data = builders.zip_patch(data, offset, b"XX")
    refused(wheel_bytes(tmp_path, data), "'demo/__init__.py' has no local header")


def test_zip_member_encrypted_only_in_its_local_header_is_refused(tmp_path: Path) -> None:
    # zipfile decides from the central directory; a streaming extractor would not.
    data = zip_bytes(wheel_members())
    offset = builders.zip_local_offset(data, "demo/__init__.py") + builders.LOCAL_FLAGS
    data = builders.zip_patch(data, offset, struct.pack("<H", 0x01))
    refused(wheel_bytes(tmp_path, data), "disagrees .* about its encryption")


def test_zip_member_running_into_the_central_directory_is_refused(tmp_path: Path) -> None:
    members = {**wheel_members(), "demo/last.txt": b"last"}
    data = zip_bytes(members, compression=zipfile.ZIP_STORED)
    sizes = struct.pack("<LL", 64, 64)  # compressed and uncompressed, in both headers
    local = builders.zip_local_offset(data, "demo/last.txt") + builders.LOCAL_SIZES
    central = builders.zip_central_offset(data, "demo/last.txt") + builders.CENTRAL_SIZES
    data = builders.zip_patch(builders.zip_patch(data, local, sizes), central, sizes)
    refused(wheel_bytes(tmp_path, data), "overlaps the zip's central directory")


def test_zip_with_non_ascii_member_names_is_accepted(tmp_path: Path) -> None:
    # zipfile stores these as UTF-8 and flags them; cp437 would read them differently.
    path = wheel(tmp_path, wheel_members() | {"demo/donn\u00e9es-\u6570\u636e.txt": b"x"})
    assert inspect(path) == metadata_text()


def test_zip_with_trailing_garbage_is_accepted(tmp_path: Path) -> None:
    data = zip_bytes(wheel_members()) + b"trailing bytes"
    assert inspect(wheel_bytes(tmp_path, data)) == metadata_text()


def test_zip_with_overlapping_entries_is_refused(tmp_path: Path) -> None:
    # The "quoted overlap" trick: a second central directory entry points at a
    # complete, valid local header stored inside another member's data.
    inner = zip_bytes({"demo/b.py": b"B = 1\n"}, compression=zipfile.ZIP_STORED)
    inner_local = inner[: inner.index(b"PK\x01\x02")]
    members = wheel_members() | {"demo/a.bin": inner_local}
    outer = zip_bytes(members, compression=zipfile.ZIP_STORED)
    a_data = builders.zip_local_offset(outer, "demo/a.bin") + 30 + len("demo/a.bin")
    entry = builders.zip_central_entry(inner, "demo/b.py", header_offset=a_data)
    crafted = builders.zip_central_append(outer, entry)
    with zipfile.ZipFile(io.BytesIO(crafted)) as archive:
        assert archive.read("demo/b.py") == b"B = 1\n"
    refused(wheel_bytes(tmp_path, crafted), "'demo/b.py' overlaps another member")


def test_zip_written_with_data_descriptors_is_accepted(tmp_path: Path) -> None:
    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            self.data += b
            return len(b)

    stream = Unseekable()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in wheel_members().items():
            archive.writestr(name, data)
    written = bytes(stream.data)
    with zipfile.ZipFile(io.BytesIO(written)) as archive:
        assert all(info.flag_bits & 0x08 for info in archive.infolist())
    assert inspect(wheel_bytes(tmp_path, written)) == metadata_text()


def test_zip_with_zip64_local_headers_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / WHEEL
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in wheel_members().items():
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(data)
    assert b"\xff\xff\xff\xff" in path.read_bytes()
    assert inspect(path) == metadata_text()


# Zip sdists


def sdist_zip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    return zip_write(tmp_path / SDIST_ZIP, members)


def test_zip_sdist_returns_its_pkg_info(tmp_path: Path) -> None:
    assert inspect(sdist_zip(tmp_path, sdist_members())) == metadata_text()


def test_zip_sdist_with_two_top_level_directories_is_refused(tmp_path: Path) -> None:
    members = {"demo-1.0/PKG-INFO": metadata_text(), "other/x.py": b""}
    refused(sdist_zip(tmp_path, members), "single top-level directory .* found 'demo-1.0', 'other'")


def test_zip_sdist_with_wrong_top_level_directory_is_refused(tmp_path: Path) -> None:
    members = {"demo-2.0/PKG-INFO": metadata_text(), "demo-2.0/demo/__init__.py": b""}
    refused(sdist_zip(tmp_path, members), "named 'demo-1.0'; found 'demo-2.0'")


def test_zip_sdist_without_pkg_info_is_refused(tmp_path: Path) -> None:
    refused(sdist_zip(tmp_path, {"demo-1.0/setup.py": b""}), "has no 'demo-1.0/PKG-INFO'")


def test_zip_sdist_whose_top_level_entry_is_a_file_is_refused(tmp_path: Path) -> None:
    members = {"demo-1.0": b"", "demo-1.0/PKG-INFO": metadata_text()}
    refused(sdist_zip(tmp_path, members), "'demo-1.0' must be a directory")


# Tar sdists: layout


def sdist(
    tmp_path: Path,
    members: list[TarMember] | None = None,
    *,
    pax_headers: dict[str, str] | None = None,
) -> Path:
    members = sdist_entries() if members is None else members
    return tar_write(tmp_path / SDIST, members, pax_headers=pax_headers)


def test_valid_sdist_returns_its_pkg_info(tmp_path: Path) -> None:
    assert inspect(sdist(tmp_path)) == metadata_text()


def test_sdist_with_legacy_top_directory_spelling_is_accepted(tmp_path: Path) -> None:
    assert inspect(sdist(tmp_path, sdist_entries(top="Demo-1.0.0"))) == metadata_text()


@pytest.mark.parametrize("top", ["demo-2.0", "other-1.0", "demo"])
def test_sdist_with_wrong_top_level_directory_is_refused(tmp_path: Path, top: str) -> None:
    refused(sdist(tmp_path, sdist_entries(top=top)), f"named 'demo-1.0'; found '{top}'")


def test_sdist_with_two_top_level_directories_is_refused(tmp_path: Path) -> None:
    members = [*sdist_entries(), tar_file("other/setup.py", b"")]
    refused(sdist(tmp_path, members), "single top-level directory")


def test_sdist_whose_top_level_entry_is_a_file_is_refused(tmp_path: Path) -> None:
    members = [tar_file("demo-1.0", b""), *sdist_entries()[1:]]
    refused(sdist(tmp_path, members), "'demo-1.0' must be a directory")


def test_sdist_without_pkg_info_is_refused(tmp_path: Path) -> None:
    members = [tar_dir("demo-1.0"), tar_file("demo-1.0/setup.py", b"")]
    refused(sdist(tmp_path, members), "has no 'demo-1.0/PKG-INFO'")


def test_empty_sdist_is_refused(tmp_path: Path) -> None:
    refused(sdist(tmp_path, []), "found nothing")


def test_sdist_whose_pkg_info_is_a_symlink_is_refused(tmp_path: Path) -> None:
    members = [tar_dir("demo-1.0"), tar_file("demo-1.0/setup.py", b"")]
    members.append(tar_link("demo-1.0/PKG-INFO", "setup.py"))
    refused(sdist(tmp_path, members), "must be a regular file")


def test_sdist_pkg_info_larger_than_its_limit_is_refused(tmp_path: Path) -> None:
    limits = ArchiveLimits(max_metadata=10)
    refused(sdist(tmp_path), "larger than the 10 bytes allowed", limits=limits)


def test_zip_named_as_tar_gz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / SDIST
    path.write_bytes(zip_bytes({"demo-1.0/PKG-INFO": metadata_text()}))
    refused(path, "not a valid gzip-compressed tar archive")


def test_gzip_that_is_not_a_tar_is_refused(tmp_path: Path) -> None:
    path = tmp_path / SDIST
    path.write_bytes(gzip.compress(b"just text, not a tar archive" * 100))
    refused(path, "not a valid gzip-compressed tar archive")


def test_truncated_sdist_is_refused(tmp_path: Path) -> None:
    members = [*sdist_entries(), tar_file("demo-1.0/data.bin", os.urandom(64 * 1024))]
    path = sdist(tmp_path, members)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    refused(path, "not a valid gzip-compressed tar archive")


def test_sdist_with_corrupt_gzip_checksum_is_refused(tmp_path: Path) -> None:
    path = sdist(tmp_path)
    data = path.read_bytes()
    # The gzip trailer is CRC-32 then length; flip the CRC.
    path.write_bytes(data[:-8] + bytes(b ^ 0xFF for b in data[-8:-4]) + data[-4:])
    refused(path, "not a valid gzip-compressed tar archive .*CRC check failed")


# Tar sdists: member paths and links


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("demo-1.0/../../evil.py", "outside the archive with '..'"),
        ("demo-1.0/a\\..\\..\\evil.py", "backslash"),
        ("demo-1.0/./evil.py", "empty or '.' path component"),
    ],
)
def test_tar_with_unsafe_member_path_is_refused(tmp_path: Path, name: str, match: str) -> None:
    refused(sdist(tmp_path, [*sdist_entries(), tar_file(name, b"x")]), match)


def test_tar_with_parent_directory_member_is_refused(tmp_path: Path) -> None:
    refused(sdist(tmp_path, [tar_file("../evil.py", b"x"), *sdist_entries()]), "with '..'")


def test_tar_with_absolute_member_is_refused(tmp_path: Path) -> None:
    refused(sdist(tmp_path, [tar_file("/etc/x", b"x"), *sdist_entries()]), "absolute path")


def test_tar_with_duplicate_members_is_refused(tmp_path: Path) -> None:
    members = [*sdist_entries(), tar_file("demo-1.0/PKG-INFO", metadata_text(version="6.6"))]
    refused(sdist(tmp_path, members), "contains 'demo-1.0/PKG-INFO' more than once")


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "../..", "a/../../.."])
def test_tar_symlink_escaping_the_archive_is_refused(tmp_path: Path, target: str) -> None:
    members = [*sdist_entries(), tar_link("demo-1.0/link", target)]
    refused(sdist(tmp_path, members), "Symlink 'demo-1.0/link' points")


@pytest.mark.parametrize("target", ["..\\..\\evil", "evil\x1b", ""])
def test_tar_symlink_with_an_unusable_target_is_refused(tmp_path: Path, target: str) -> None:
    members = [*sdist_entries(), tar_link("demo-1.0/link", target)]
    refused(sdist(tmp_path, members), "Symlink 'demo-1.0/link' has an invalid target")


def test_tar_symlink_inside_the_archive_is_accepted(tmp_path: Path) -> None:
    members = [*sdist_entries(), tar_link("demo-1.0/README", "demo/__init__.py")]
    members.append(tar_link("demo-1.0/demo/up", "../../demo-1.0"))
    assert inspect(sdist(tmp_path, members)) == metadata_text()


def test_tar_member_beneath_a_symlink_is_refused(tmp_path: Path) -> None:
    members = [*sdist_entries(), tar_link("demo-1.0/sub", "."), tar_file("demo-1.0/sub/x", b"")]
    refused(sdist(tmp_path, members), "beneath the symlink 'demo-1.0/sub'")


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "demo-1.0/../../x"])
def test_tar_hardlink_escaping_the_archive_is_refused(tmp_path: Path, target: str) -> None:
    members = [*sdist_entries(), tar_link("demo-1.0/link", target, hard=True)]
    refused(sdist(tmp_path, members), "Hardlink 'demo-1.0/link' points outside the archive")


def test_tar_hardlink_to_a_missing_member_is_refused(tmp_path: Path) -> None:
    members = [*sdist_entries(), tar_link("demo-1.0/link", "demo-1.0/later", hard=True)]
    members.append(tar_file("demo-1.0/later", b""))
    refused(sdist(tmp_path, members), "not a file earlier in the archive")


def test_tar_hardlink_to_an_earlier_file_is_accepted(tmp_path: Path) -> None:
    members = [*sdist_entries(), tar_link("demo-1.0/copy", "demo-1.0/PKG-INFO", hard=True)]
    assert inspect(sdist(tmp_path, members)) == metadata_text()


@pytest.mark.parametrize("kind", [tarfile.FIFOTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE])
def test_tar_with_device_or_fifo_member_is_refused(tmp_path: Path, kind: bytes) -> None:
    members = [*sdist_entries(), tar_special("demo-1.0/dev", kind)]
    refused(sdist(tmp_path, members), "device, FIFO or other special file")


# Tar sdists: sizes


def test_tar_bomb_is_refused(tmp_path: Path) -> None:
    path = sdist(tmp_path, [*sdist_entries(), tar_file("demo-1.0/zeros.bin", bytes(50 * MiB))])
    assert path.stat().st_size < MiB
    refused(path, "likely decompression bomb")


def test_small_highly_compressible_tar_is_accepted(tmp_path: Path) -> None:
    path = sdist(tmp_path, [*sdist_entries(), tar_file("demo-1.0/zeros.bin", bytes(5 * MiB))])
    assert inspect(path) == metadata_text()


def test_tar_expanding_past_the_size_limit_is_refused(tmp_path: Path) -> None:
    members = [*sdist_entries(), tar_file("demo-1.0/data.bin", os.urandom(2 * MiB))]
    limits = ArchiveLimits(max_uncompressed=1 * MiB)
    refused(sdist(tmp_path, members), "expands to more than 1 MiB", limits=limits)


def test_tar_with_more_members_than_the_limit_is_refused(tmp_path: Path) -> None:
    refused(sdist(tmp_path), "more than 2 members", limits=ArchiveLimits(max_members=2))


def test_tar_with_oversized_extended_header_is_refused(tmp_path: Path) -> None:
    path = sdist(tmp_path, pax_headers={"comment": "x" * (2 * MiB)})
    refused(path, "extended tar header; the limit is 1048576")
