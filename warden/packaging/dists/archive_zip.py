"""Inspecting zip archives (wheels and .zip sdists) without trusting their headers.

A zip describes each member twice: in a local header before its data and in
the central directory at the end. Python's zipfile mostly reads the central
directory, while other extractors stream the local headers, so a crafted zip
can show different files to a scanner and an installer. Every member is
therefore checked in both places, and read in full to verify its CRC.
"""

from __future__ import annotations

import lzma
import stat
import struct
import zipfile
import zlib
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

from warden.packaging.dists.archive_common import (
    CHUNK_SIZE,
    SYMLINK_MAX_LENGTH,
    ArchiveLimits,
    ExpansionBudget,
    member_name_check,
    member_parent_check,
    member_top,
    sdist_top_check,
    sdist_tops_error,
    symlink_target_check,
    wheel_dist_info_find,
)
from warden.packaging.dists.archive_names import MemberNames
from warden.packaging.dists.filenames import DistFilename
from warden.packaging.dists.shown import quoted, shortened
from warden.packaging.errors import UploadError

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_EXTRA_HEADER = struct.Struct("<HH")
_FLAG_ENCRYPTED = 0x01
_FLAG_DATA_DESCRIPTOR = 0x08
_FLAG_UTF8 = 0x800
_ZIP64_EXTRA_ID = 0x0001
_ZIP64_MARKER = 0xFFFFFFFF
_METHODS = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
# What zipfile and the decompressors raise on corrupt data (bz2 raises OSError).
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
)


def zip_inspect(*, path: Path, filename: str, dist: DistFilename, limits: ArchiveLimits) -> bytes:
    """Check a zip archive and return its core metadata file's bytes."""
    with path.open("rb") as raw:
        try:
            archive = zipfile.ZipFile(raw)
        # NotImplementedError: a central directory asking for a newer zip version.
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise UploadError(
                f"{quoted(filename)} is not a valid zip archive ({shortened(exc)})."
            ) from None
        with archive:
            infos = archive.infolist()
            _entries_check(infos, limits=limits)
            names = {info.orig_filename for info in infos}
            if dist.packagetype == "bdist_wheel":
                metadata_name = f"{wheel_dist_info_find(names=names, dist=dist)}/METADATA"
            else:
                metadata_name = _sdist_metadata_name(names, dist=dist)
            _local_headers_check(raw, infos, filename=filename, end=archive.start_dir)
            budget = ExpansionBudget(limits=limits, compressed_size=path.stat().st_size)
            return _members_read(
                archive, infos, budget=budget, metadata_name=metadata_name, limits=limits
            )


def _entries_check(infos: list[zipfile.ZipInfo], *, limits: ArchiveLimits) -> None:
    if len(infos) > limits.max_members:
        raise UploadError(
            f"The archive has {len(infos)} members; the limit is {limits.max_members}."
        )
    seen: set[str] = set()
    names = MemberNames()
    declared = 0
    for info in infos:
        # orig_filename, because zipfile silently cuts ZipInfo.filename at a NUL.
        name = info.orig_filename
        member_name_check(name)
        if name in seen:
            raise UploadError(f"The archive contains {quoted(name)} more than once.")
        seen.add(name)
        names.add(name)
        if info.flag_bits & _FLAG_ENCRYPTED:
            raise UploadError(f"Archive member {quoted(name)} is encrypted.")
        if info.compress_type not in _METHODS:
            raise UploadError(
                f"Archive member {quoted(name)} uses an unsupported compression method"
                f" ({info.compress_type}); use deflate."
            )
        declared += info.file_size
    # Refusing on declared sizes first saves decompressing an obvious bomb.
    if declared > limits.max_uncompressed:
        raise UploadError(
            f"The archive declares {declared} bytes of contents; the limit is"
            f" {limits.max_uncompressed}."
        )


def _sdist_metadata_name(names: Collection[str], *, dist: DistFilename) -> str:
    tops = sorted({member_top(name) for name in names})
    if len(tops) != 1:
        raise sdist_tops_error(tops)
    top = tops[0]
    if top in names:
        raise UploadError(f"The top-level entry {quoted(top)} must be a directory.")
    sdist_top_check(top=top, dist=dist)
    metadata_name = f"{top}/PKG-INFO"
    if metadata_name not in names:
        raise UploadError(f"The source distribution has no {quoted(metadata_name)}.")
    return metadata_name


def _local_headers_check(
    raw: BinaryIO, infos: list[zipfile.ZipInfo], *, filename: str, end: int
) -> None:
    ordered = sorted(infos, key=lambda info: info.header_offset)
    # zipfile quietly skips bytes in front of the first entry, which is how a
    # file can be a zip and something else (a script, an executable) at once.
    if ordered and ordered[0].header_offset != 0:
        raise UploadError(f"{quoted(filename)} has data before its first zip entry.")
    previous_end = 0
    for info in ordered:
        # Entries sharing bytes are the trick behind non-recursive zip bombs.
        if info.header_offset < previous_end:
            raise UploadError(f"Zip member {quoted(info.orig_filename)} overlaps another member.")
        previous_end = _local_header_check(raw, info)
    if previous_end > end:
        raise UploadError("The last zip member overlaps the zip's central directory.")


def _local_header_check(raw: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Compare a member's local header with its central directory entry.

    Returns the offset where the member's data ends.
    """
    name = info.orig_filename
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or not header.startswith(_LOCAL_SIGNATURE):
        raise UploadError(
            f"Zip member {quoted(name)} has no local header where the central directory"
            " says it starts."
        )
    (
        _signature, _version, _system, flags, method, _time, _date,
        crc, compressed, uncompressed, name_length, extra_length,
    ) = _LOCAL_HEADER.unpack(header)  # fmt: skip
    local_name = raw.read(name_length)
    extra = raw.read(extra_length)
    mismatches = []
    if local_name != _central_name(info):
        mismatches.append(f"name ({quoted(local_name)})")
    if method != info.compress_type:
        mismatches.append("compression method")
    if flags & _FLAG_ENCRYPTED:
        mismatches.append("encryption")
    # With a data descriptor the local header may leave CRC and sizes as zero
    # and put them after the data instead; the central directory has them.
    if not flags & _FLAG_DATA_DESCRIPTOR:
        uncompressed, compressed = _zip64_sizes(extra, uncompressed, compressed)
        if crc != info.CRC:
            mismatches.append("CRC")
        if (compressed, uncompressed) != (info.compress_size, info.file_size):
            mismatches.append("size")
    if mismatches:
        raise UploadError(
            f"Zip member {quoted(name)} has a local header that disagrees with the"
            f" central directory about its {', '.join(mismatches)}."
        )
    data_start: int = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    return data_start + info.compress_size


def _central_name(info: zipfile.ZipInfo) -> bytes:
    # Re-encode the way zipfile decoded it, to compare raw bytes with bytes.
    return info.orig_filename.encode("utf-8" if info.flag_bits & _FLAG_UTF8 else "cp437")


def _zip64_sizes(extra: bytes, uncompressed: int, compressed: int) -> tuple[int, int]:
    # Sizes that do not fit in 32 bits are 0xFFFFFFFF in the header and real
    # in the zip64 extra field, uncompressed size first.
    if _ZIP64_MARKER not in (uncompressed, compressed):
        return uncompressed, compressed
    offset = 0
    while offset + _EXTRA_HEADER.size <= len(extra):
        kind, length = _EXTRA_HEADER.unpack_from(extra, offset)
        body = extra[offset + _EXTRA_HEADER.size : offset + _EXTRA_HEADER.size + length]
        if kind == _ZIP64_EXTRA_ID:
            values: list[int] = list(struct.unpack_from(f"<{len(body) // 8}Q", body))
            if uncompressed == _ZIP64_MARKER and values:
                uncompressed = values.pop(0)
            if compressed == _ZIP64_MARKER and values:
                compressed = values.pop(0)
            break
        offset += _EXTRA_HEADER.size + length
    return uncompressed, compressed


def _members_read(
    archive: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    *,
    budget: ExpansionBudget,
    metadata_name: str,
    limits: ArchiveLimits,
) -> bytes:
    symlinks = {info.orig_filename.removesuffix("/") for info in infos if _is_symlink(info)}
    metadata = b""
    for info in infos:
        name = info.orig_filename
        member_parent_check(name=name, symlinks=symlinks)
        if name == metadata_name and (_is_symlink(info) or info.is_dir()):
            raise UploadError(f"{quoted(name)} must be a regular file.")
        if _is_symlink(info):
            data = _member_read(archive, info, budget=budget, keep=SYMLINK_MAX_LENGTH)
            # backslashreplace turns undecodable bytes into backslashes, which
            # the target check refuses.
            target = data.decode("utf-8", "backslashreplace")
            symlink_target_check(member=name, target=target)
        elif name == metadata_name:
            metadata = _member_read(archive, info, budget=budget, keep=limits.max_metadata)
        else:
            _member_read(archive, info, budget=budget, keep=0)
    return metadata


def _member_read(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, budget: ExpansionBudget, keep: int
) -> bytes:
    """Decompress a member in chunks, keeping at most ``keep`` bytes of it."""
    kept = bytearray()
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK_SIZE):
                budget.consume(len(chunk))
                if not keep:
                    continue
                if len(kept) + len(chunk) > keep:
                    raise UploadError(
                        f"Archive member {quoted(info.orig_filename)} is larger than the"
                        f" {keep} bytes allowed for it."
                    )
                kept += chunk
    except _READ_ERRORS as exc:
        raise UploadError(
            f"Archive member {quoted(info.orig_filename)} is corrupt ({shortened(exc)})."
        ) from None
    return bytes(kept)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    # Unix tools store the file mode in the high 16 bits of external_attr.
    return stat.S_ISLNK(info.external_attr >> 16)
