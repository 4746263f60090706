"""Crafted archives for the archive-inspection tests: what no build backend writes.

Ordinary distributions, and the zip and tar writers, come from tests/dists.py, the one
builder; this module only takes them apart: tar entries to add or swap (links, devices, odd
paths), zip symlinks, and the byte offsets at which a zip's headers are made to disagree.
"""

from __future__ import annotations

import gzip
import io
import stat
import struct
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.version import Version

from tests.dists import TarMember, ZipMember, sdist_members, tar_gz_bytes, tar_members, zip_bytes
from warden.packaging.dists.filenames import DistFilename, PackageType

_CENTRAL_SIGNATURE = b"PK\x01\x02"
_END_SIGNATURE = b"PK\x05\x06"
# Offsets inside a central directory entry and the end-of-central-directory record.
CENTRAL_FLAGS = 8
CENTRAL_METHOD = 10
CENTRAL_SIZE = 24
CENTRAL_SIZES = 20
CENTRAL_NAME = 46
LOCAL_CRC = 14
LOCAL_METHOD = 8
LOCAL_FLAGS = 6
LOCAL_SIZES = 18


def dist_filename(
    packagetype: PackageType = "bdist_wheel", *, name: str = "demo", version: str = "1.0"
) -> DistFilename:
    python_version = "py3" if packagetype == "bdist_wheel" else "source"
    return DistFilename(
        packagetype=packagetype, name=name, version=Version(version), python_version=python_version
    )


def zip_write(
    path: Path,
    members: Mapping[str, bytes] | Iterable[ZipMember],
    *,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    path.write_bytes(zip_bytes(members, compression=compression))
    return path


def zip_symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so the mode in external_attr means something
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def zip_central_offset(data: bytes, member: str) -> int:
    """Where ``member``'s central directory entry starts."""
    offset = _zip_end(data)[1]
    while data[offset : offset + 4] == _CENTRAL_SIGNATURE:
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, offset + 28)
        if data[offset + CENTRAL_NAME : offset + CENTRAL_NAME + name_length] == member.encode():
            return offset
        offset += CENTRAL_NAME + name_length + extra_length + comment_length
    raise LookupError(member)


def zip_local_offset(data: bytes, member: str) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.getinfo(member).header_offset


def zip_patch(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value) :]


def zip_central_append(data: bytes, entry: bytes) -> bytes:
    """Add a central directory entry (pointing wherever it says) to a zip."""
    end, start, size, count = _zip_end(data)
    central = data[start:end] + entry
    record = struct.pack(
        "<4s4H2LH", _END_SIGNATURE, 0, 0, count + 1, count + 1, len(central), start, 0
    )
    assert size == end - start
    return data[:start] + central + record


def zip_central_entry(data: bytes, member: str, *, header_offset: int) -> bytes:
    """``member``'s central directory entry from ``data``, moved to ``header_offset``."""
    offset = zip_central_offset(data, member)
    name_length, extra_length, comment_length = struct.unpack_from("<3H", data, offset + 28)
    entry = data[offset : offset + CENTRAL_NAME + name_length + extra_length + comment_length]
    return zip_patch(entry, 42, struct.pack("<L", header_offset))


def _zip_end(data: bytes) -> tuple[int, int, int, int]:
    end = data.rindex(_END_SIGNATURE)
    count, size, start = struct.unpack_from("<HLL", data, end + 10)
    return end, start, size, count


def tar_dir(name: str) -> TarMember:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info, None


def tar_link(name: str, target: str, *, hard: bool = False) -> TarMember:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info, None


def tar_special(name: str, kind: bytes) -> TarMember:
    info = tarfile.TarInfo(name)
    info.type = kind
    return info, None


def sdist_entries(*, top: str | None = None) -> list[TarMember]:
    """The tar entries of the ordinary `demo` 1.0 sdist, to add crafted ones to or swap
    some out; `top` renames its top directory."""
    return tar_members(sdist_members(root=top))


def tar_write(
    path: Path, members: Iterable[TarMember], *, pax_headers: Mapping[str, str] | None = None
) -> Path:
    path.write_bytes(tar_gz_bytes(members, pax_headers=pax_headers))
    return path


TAR_SIZE = 124  # offset of the size field in a tar header
TAR_BLOCK = 512


def tar_header_patch(data: bytes, member: str, offset: int, value: bytes) -> bytes:
    """The .tar.gz `data` with `value` written at `offset` of `member`'s header, and the
    header's checksum made right again so that tarfile believes it."""
    raw = bytearray(gzip.decompress(data))
    name = member.encode() + b"\0"
    for start in range(0, len(raw), TAR_BLOCK):
        if raw[start : start + len(name)] == name:
            break
    else:
        raise LookupError(member)
    raw[start + offset : start + offset + len(value)] = value
    header = raw[start : start + TAR_BLOCK]
    header[148:156] = b" " * 8
    raw[start + 148 : start + 156] = b"%06o\0 " % sum(header)
    return gzip.compress(bytes(raw), mtime=0)
