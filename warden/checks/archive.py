"""An uploaded archive read in memory only, for the checks.

The bytes may be hostile: member names are only ever strings here (never paths on disk),
every read is capped, a corrupt archive gives what could be read and `broken=True`, and
nothing is extracted, imported or run. Read with `read`, never with tarfile's `extract*`.
"""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MEMBER_MAX = 5_000_000        # a bigger member is listed but never read (bombs, blobs)
TOTAL_MAX = 100_000_000       # decompressed bytes read per archive, over all members
MEMBERS_MAX = 20_000          # members listed per archive
TEXT_SUFFIXES = (".py", ".pyw", ".pth", ".pyi", ".cfg", ".toml", ".txt", ".in", ".json",
                 ".sh", ".bat", ".ps1", ".js", ".ini", ".yml", ".yaml")


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    is_file: bool
    is_link: bool = False
    mode: int = 0


class Archive:
    """The members of a `.whl`/`.zip` or `.tar.gz`/`.tar.bz2` archive, from its bytes."""

    def __init__(self, filename: str, data: bytes) -> None:
        self.filename = filename
        self.broken = False
        # What could not be looked at, said by `problems()`: a check that sees only part of
        # an archive must not call it clean (bombs, padding, many members, shadowed names).
        self.truncated = False
        self.duplicates: list[str] = []
        self._read_total = 0
        self._cache: dict[str, bytes] = {}
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        self._tar_members: dict[str, tarfile.TarInfo] = {}
        self.members: list[Member] = []
        try:
            if data[:4] == b"PK\x03\x04":
                self.kind = "zip"
                self._zip_open(data)
            elif data[:2] == b"\x1f\x8b" or data[:3] == b"BZh" or data[:6] == b"\xfd7zXZ\x00":
                self.kind = "tar"
                self._tar_open(data)
            else:
                self.kind = "unknown"
        except (OSError, EOFError, ValueError, NotImplementedError, zipfile.BadZipFile,
                tarfile.TarError, UnicodeDecodeError, zlib.error, lzma.LZMAError):
            self.broken = True

    def _zip_open(self, data: bytes) -> None:
        self._zip = zipfile.ZipFile(io.BytesIO(data))
        infos = self._zip.infolist()
        self.truncated = len(infos) > MEMBERS_MAX
        seen: set[str] = set()
        for info in infos[:MEMBERS_MAX]:
            if info.filename in seen:
                self.duplicates.append(info.filename)
            seen.add(info.filename)
            link = (info.external_attr >> 16) & 0o170000 == 0o120000
            self.members.append(Member(info.filename, info.file_size,
                                       is_file=not info.is_dir() and not link, is_link=link,
                                       mode=(info.external_attr >> 16) & 0o7777))

    def _tar_open(self, data: bytes) -> None:
        # Decompressed once, up front and at most TOTAL_MAX bytes of it: tarfile over a
        # compressed stream seeks by decompressing again from the start (quadratic), and
        # walking a bomb's members would inflate all of it (a 100 MB upload of zeros is
        # 100 GB: minutes, past every check's limit).
        raw, whole = _decompressed(data)
        self.truncated = not whole
        self._tar = tarfile.open(fileobj=io.BytesIO(raw), mode="r:")
        try:
            for count, info in enumerate(self._tar):
                if count >= MEMBERS_MAX:
                    self.truncated = True
                    break
                if info.name in self._tar_members:
                    # pip keeps the last of two members with one name; we read the first.
                    self.duplicates.append(info.name)
                self._tar_members.setdefault(info.name, info)
                self.members.append(Member(info.name, info.size, is_file=info.isfile(),
                                           is_link=info.issym() or info.islnk(),
                                           mode=info.mode & 0o7777))
        except (OSError, EOFError, tarfile.TarError):
            self.broken = True   # a truncated sdist: keep the members listed so far

    def read(self, name: str) -> bytes | None:
        """The member's bytes, or None when it is not a regular file, too big, past the
        archive's budget or unreadable."""
        if name in self._cache:
            return self._cache[name]
        data = self._read(name)
        if data is not None:
            self._cache[name] = data
        return data

    def _read(self, name: str) -> bytes | None:
        budget = min(MEMBER_MAX, TOTAL_MAX - self._read_total)
        if budget <= 0:
            return None
        try:
            if self._zip is not None:
                info = self._zip.getinfo(name)
                if info.file_size > budget:
                    return None
                with self._zip.open(info) as member:
                    data = member.read(budget + 1)
            elif self._tar is not None and name in self._tar_members:
                tinfo = self._tar_members[name]
                if not tinfo.isfile() or tinfo.size > budget:
                    return None
                extracted = self._tar.extractfile(tinfo)
                if extracted is None:
                    return None
                data = extracted.read(budget + 1)
            else:
                return None
        except (OSError, EOFError, KeyError, ValueError, RuntimeError, NotImplementedError,
                zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError):
            # A hostile archive must not be a way to make every check fail (an error is no
            # verdict): RuntimeError is an encrypted zip member, NotImplementedError an
            # unsupported compression method, zlib/lzma errors corrupt data.
            self.broken = True
            return None
        if len(data) > budget:   # the header lied about the size
            return None
        self._read_total += len(data)
        return data

    def text(self, name: str) -> str | None:
        data = self.read(name)
        return None if data is None else data.decode("utf-8", "replace")

    def texts(self, suffixes: tuple[str, ...] = (".py",)) -> Iterator[tuple[str, str]]:
        """(member name, decoded text) of the regular members whose name ends with one of
        `suffixes`, in archive order."""
        for member in self.members:
            if member.is_file and member.name.lower().endswith(suffixes):
                text = self.text(member.name)
                if text is not None:
                    yield member.name, text


def _decompressed(data: bytes) -> tuple[bytes, bool]:
    """The tar inside a .gz, .bz2 or .xz stream, at most TOTAL_MAX bytes of it, and whether
    that is all of it. Each gzip member of a multi-member stream is inflated in turn."""
    parts: list[bytes] = []
    size, rest = 0, data
    while rest:
        gzip = rest[:2] == b"\x1f\x8b"
        if gzip:
            inflater: Any = zlib.decompressobj(wbits=31)
        elif rest[:3] == b"BZh":
            inflater = bz2.BZ2Decompressor()
        elif rest[:6] == b"\xfd7zXZ\x00":
            inflater = lzma.LZMADecompressor()
        else:
            break   # trailing bytes after the last stream
        try:
            if gzip:
                chunk = inflater.decompress(rest, TOTAL_MAX + 1 - size)
                # Not at its end with nothing left to feed: the stream was cut short.
                more = bool(inflater.unconsumed_tail) or not inflater.eof
                rest = inflater.unused_data
            else:
                chunk = inflater.decompress(rest, max_length=TOTAL_MAX + 1 - size)
                more, rest = not inflater.eof, inflater.unused_data if inflater.eof else b""
        except (zlib.error, OSError, EOFError, lzma.LZMAError):
            parts.append(b"")
            return b"".join(parts), False
        parts.append(chunk)
        size += len(chunk)
        if more or size > TOTAL_MAX:
            return b"".join(parts)[:TOTAL_MAX], False
    return b"".join(parts), True


def problems(archive: Archive, *, suffixes: tuple[str, ...] = (".py", ".pyw", ".pth")
             ) -> list[str]:
    """Why the archive could not be screened whole: what a check that found nothing must
    not call clean. Empty for an ordinary archive."""
    found = []
    if archive.broken:
        found.append("the archive is damaged or could not be read to its end")
    if archive.truncated:
        found.append(f"the archive is larger than the {TOTAL_MAX // 1_000_000} MB or "
                     f"{MEMBERS_MAX} members a scan reads")
    if archive.duplicates:
        found.append(f"two members share a name ({archive.duplicates[0]}): an installer "
                     "would use the one not read")
    big = [m.name for m in archive.members if m.is_file and m.size > MEMBER_MAX
           and m.name.lower().endswith(suffixes)]
    if big:
        found.append(f"a code file is larger than the {MEMBER_MAX // 1_000_000} MB a scan "
                     f"reads ({big[0]})")
    return found


_MULTI = {"classifier", "requires-dist", "project-url", "provides-extra", "platform"}


def core_metadata(archive: Archive) -> dict[str, object]:
    """The archive's own core metadata (a wheel's `*.dist-info/METADATA`, an sdist's top
    `PKG-INFO`), lower-case keys with `_` for `-`; multi-use fields as lists. Empty when
    there is none: the upload path has already insisted on it, a corpus sample may not."""
    import email.parser

    chosen = ""
    for member in archive.members:
        name = member.name
        depth = name.strip("/").count("/")
        if (name.endswith(".dist-info/METADATA") and depth == 1) or (
                name.endswith("PKG-INFO") and depth <= 1):
            chosen = name
            break
    text = archive.text(chosen) if chosen else None
    if not text:
        return {}
    message = email.parser.Parser().parsestr(text[:1_000_000])
    found: dict[str, object] = {}
    for key in set(message.keys()):
        field = key.lower()
        values = [str(v) for v in message.get_all(key) or []]
        found[field.replace("-", "_")] = values if field in _MULTI else values[0]
    payload = message.get_payload()
    if isinstance(payload, str) and payload.strip() and "description" not in found:
        found["description"] = payload
    return found
