"""Inspecting .tar.gz sdists in one streamed pass.

The gzip stream is decompressed by us and every byte handed to tarfile is
counted, so headers, padding and data skipped by tarfile all count towards the
limits, not just the member sizes the headers claim. tarfile runs in stream
mode ("r|"), which cannot seek backwards, so nothing is decompressed twice.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from pathlib import Path
from typing import Self

from warden.packaging.dists.archive_common import (
    CHUNK_SIZE,
    ArchiveLimits,
    ExpansionBudget,
    MiB,
    member_name_check,
    member_parent_check,
    member_top,
    sdist_top_check,
    sdist_tops_error,
    symlink_target_check,
)
from warden.packaging.dists.archive_names import MemberNames
from warden.packaging.dists.filenames import DistFilename
from warden.packaging.dists.shown import quoted, shortened
from warden.packaging.errors import UploadError

# tarfile reads pax and GNU long-name headers into memory in one piece, so a
# compressed 1 GiB "header" would cost 1 GiB of RAM before we see any member.
EXTENDED_HEADER_MAX = 1 * MiB
_EXTENDED_TYPES = frozenset(
    {
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
    }
)
_READS_AT_END = 2
# gzip.BadGzipFile is an OSError.
_TAR_ERRORS = (tarfile.TarError, zlib.error, EOFError, OSError)


def tar_inspect(*, path: Path, filename: str, dist: DistFilename, limits: ArchiveLimits) -> bytes:
    """Check a .tar.gz sdist and return its PKG-INFO bytes."""
    budget = ExpansionBudget(limits=limits, compressed_size=path.stat().st_size)
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
        reader = _CountingReader(unzipped, budget=budget)
        try:
            with tarfile.open(fileobj=reader, mode="r|", tarinfo=_BoundedTarInfo) as archive:
                metadata = _members_check(archive, dist=dist, limits=limits)
            # Read to the end so that gzip verifies its CRC and length trailer.
            while reader.read(CHUNK_SIZE):
                pass
        except _TAR_ERRORS as exc:
            raise UploadError(
                f"{quoted(filename)} is not a valid gzip-compressed tar archive ({shortened(exc)})."
            ) from None
    return metadata


class _BoundedTarInfo(tarfile.TarInfo):
    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        info = super().frombuf(buf, encoding, errors)
        if info.type in _EXTENDED_TYPES and info.size > EXTENDED_HEADER_MAX:
            raise UploadError(
                f"The archive has a {info.size}-byte extended tar header; the limit"
                f" is {EXTENDED_HEADER_MAX}."
            )
        return info


class _CountingReader(io.BufferedIOBase):
    """Hands decompressed bytes to tarfile, charging each one to the budget."""

    def __init__(self, source: gzip.GzipFile, *, budget: ExpansionBudget) -> None:
        super().__init__()
        self._source = source
        self._budget = budget
        self._reads_at_end = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        # Never "read everything": that is the one call that could not be
        # stopped half-way once the budget runs out.
        if size is None or size < 0:
            size = CHUNK_SIZE
        data = self._source.read(size)
        self._budget.consume(len(data))
        if not data:
            # tarfile skips a member's data by reading it block by block and does
            # not stop at the end of the stream, so a 500-byte archive whose header
            # claims 2**88 bytes would keep it reading nothing for ever. A complete
            # archive is read past its end at most twice (tarfile, then our drain).
            self._reads_at_end += 1
            if self._reads_at_end > _READS_AT_END:
                raise UploadError(
                    "The archive ends before the data its tar headers announce;"
                    " it is truncated or corrupt."
                )
        return data


def _members_check(archive: tarfile.TarFile, *, dist: DistFilename, limits: ArchiveLimits) -> bytes:
    top: str | None = None
    seen: set[str] = set()
    names = MemberNames()
    files: set[str] = set()
    symlinks: set[str] = set()
    metadata: bytes | None = None
    for member in archive:
        name = member.name
        if len(seen) >= limits.max_members:
            raise UploadError(f"The archive has more than {limits.max_members} members.")
        member_name_check(name)
        if name in seen:
            raise UploadError(f"The archive contains {quoted(name)} more than once.")
        seen.add(name)
        names.add(name)
        member_parent_check(name=name, symlinks=symlinks)
        if top is None:
            top = member_top(name)
            sdist_top_check(top=top, dist=dist)
        elif member_top(name) != top:
            raise sdist_tops_error(sorted({top, member_top(name)}))
        if name == top and not member.isdir():
            raise UploadError(f"The top-level entry {quoted(top)} must be a directory.")
        if name == f"{top}/PKG-INFO":
            if not member.isreg():
                raise UploadError(f"{quoted(name)} must be a regular file.")
            metadata = _member_read(archive, member, keep=limits.max_metadata)
        if member.isdir():
            continue
        if member.isreg():
            files.add(name)
        elif member.issym():
            symlink_target_check(member=name, target=member.linkname)
            symlinks.add(name)
        elif member.islnk():
            _hardlink_check(name=name, target=member.linkname, files=files)
        else:
            raise UploadError(
                f"Archive member {quoted(name)} is a device, FIFO or other special file;"
                " only files, directories and links are allowed."
            )
    if top is None:
        raise sdist_tops_error([])
    if metadata is None:
        raise UploadError(f"The source distribution has no '{top}/PKG-INFO'.")
    return metadata


def _hardlink_check(*, name: str, target: str, files: set[str]) -> None:
    # A hardlink's target is a path from the archive root, and extracting it
    # links to whatever is at that path; it must be a file we already checked.
    try:
        member_name_check(target)
    except UploadError:
        raise UploadError(
            f"Hardlink {quoted(name)} points outside the archive ({quoted(target)})."
        ) from None
    if target not in files:
        raise UploadError(
            f"Hardlink {quoted(name)} points to {quoted(target)}, which is not a file"
            " earlier in the archive."
        )


def _member_read(archive: tarfile.TarFile, member: tarfile.TarInfo, *, keep: int) -> bytes:
    if member.size > keep:
        raise UploadError(
            f"Archive member {quoted(member.name)} is larger than the {keep} bytes allowed for it."
        )
    extracted = archive.extractfile(member)
    if extracted is None:  # only for non-files, which the caller excluded
        raise UploadError(f"{quoted(member.name)} must be a regular file.")
    with extracted:
        return extracted.read()
