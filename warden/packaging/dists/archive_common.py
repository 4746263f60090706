"""Limits and member checks shared by the zip and tar inspectors."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from warden.packaging.dists.filenames import DistFilename
from warden.packaging.dists.shown import quoted, quoted_list
from warden.packaging.errors import UploadError
from warden.packaging.names import name_normalize

MiB = 1024 * 1024
GiB = 1024 * MiB
CHUNK_SIZE = 64 * 1024
# A symlink's target is stored as the member's content; real ones are short.
SYMLINK_MAX_LENGTH = 4096

_DRIVE_RE = re.compile(r"[A-Za-z]:")
_WHEEL_REQUIRED = ("WHEEL", "METADATA", "RECORD")


@dataclass(frozen=True)
class ArchiveLimits:
    max_uncompressed: int = 2 * GiB
    # Uncompressed bytes over the archive's size on disk, for the whole archive.
    max_ratio: int = 100
    max_members: int = 100_000
    # Small archives of repetitive text legitimately compress far better than
    # max_ratio; the ratio only matters once the content is big enough to hurt.
    ratio_threshold: int = 10 * MiB
    # The metadata file is returned in memory, so it gets its own, smaller cap.
    max_metadata: int = 16 * MiB


class ExpansionBudget:
    """Counts decompressed bytes and stops as soon as a limit is crossed.

    Counting what actually comes out of the decompressor, rather than trusting
    sizes the archive declares, is what defeats archives that lie.
    """

    def __init__(self, *, limits: ArchiveLimits, compressed_size: int) -> None:
        self._limits = limits
        self._compressed_size = max(compressed_size, 1)
        self.total = 0

    def consume(self, count: int) -> None:
        self.total += count
        limits = self._limits
        if self.total > limits.max_uncompressed:
            raise UploadError(
                f"The archive expands to more than {_size_shown(limits.max_uncompressed)},"
                " the limit on this index."
            )
        if (
            self.total > limits.ratio_threshold
            and self.total > limits.max_ratio * self._compressed_size
        ):
            raise UploadError(
                f"The archive's contents are more than {limits.max_ratio} times"
                " the size of the archive itself; this index refuses that as a"
                " likely decompression bomb."
            )


def member_name_check(name: str) -> None:
    """Refuse member paths that could land outside the extraction directory."""
    if not name:
        raise UploadError("The archive contains a member with an empty name.")
    if not name.isprintable():
        raise UploadError(f"Archive member {quoted(name)} has control characters in its name.")
    # Backslashes are separators on Windows, so "a\..\..\x" would traverse there.
    if "\\" in name:
        raise UploadError(
            f"Archive member {quoted(name)} contains a backslash; member paths must use '/'."
        )
    if name.startswith("/") or _DRIVE_RE.match(name):
        raise UploadError(f"Archive member {quoted(name)} has an absolute path.")
    parts = name.removesuffix("/").split("/")
    if ".." in parts:
        raise UploadError(f"Archive member {quoted(name)} points outside the archive with '..'.")
    # "a//b" and "a/./b" are a second spelling of "a/b": a way to smuggle in a
    # duplicate that some tools see and others overwrite.
    if "" in parts or "." in parts:
        raise UploadError(f"Archive member {quoted(name)} has an empty or '.' path component.")


def symlink_target_check(*, member: str, target: str) -> None:
    """Refuse a symlink whose target resolves outside the archive's root."""
    if not target or not target.isprintable() or "\\" in target:
        raise UploadError(f"Symlink {quoted(member)} has an invalid target {quoted(target)}.")
    if target.startswith("/") or _DRIVE_RE.match(target):
        raise UploadError(f"Symlink {quoted(member)} points to the absolute path {quoted(target)}.")
    resolved = posixpath.normpath(
        posixpath.join(posixpath.dirname(member.removesuffix("/")), target)
    )
    if resolved == ".." or resolved.startswith("../"):
        raise UploadError(
            f"Symlink {quoted(member)} points outside the archive ({quoted(target)})."
        )


def member_parent_check(*, name: str, symlinks: Collection[str]) -> None:
    """Refuse a member stored beneath a symlink: extracting it writes wherever the link points."""
    parts = name.removesuffix("/").split("/")
    for depth in range(1, len(parts)):
        parent = "/".join(parts[:depth])
        if parent in symlinks:
            raise UploadError(
                f"Archive member {quoted(name)} is stored beneath the symlink {quoted(parent)}."
            )


def member_top(name: str) -> str:
    return name.split("/", 1)[0]


def sdist_tops_error(tops: list[str]) -> UploadError:
    found = quoted_list(tops)
    return UploadError(
        "A source distribution must contain a single top-level directory"
        f" '{{name}}-{{version}}'; found {found}."
    )


def sdist_top_check(*, top: str, dist: DistFilename) -> None:
    """Refuse an sdist whose top-level directory is not ``{name}-{version}``."""
    name, sep, version = top.rpartition("-")
    if sep and name_normalize(name) == dist.name and _version_equal(version, dist.version):
        return
    expected = f"{dist.name.replace('-', '_')}-{dist.version}"
    raise UploadError(
        "A source distribution must contain a single top-level directory named"
        f" {quoted(expected)}; found {quoted(top)}."
    )


def wheel_dist_info_find(*, names: Collection[str], dist: DistFilename) -> str:
    """Return the wheel's .dist-info directory, refusing a wheel without a proper one."""
    dist_infos = sorted({member_top(n) for n in names if member_top(n).endswith(".dist-info")})
    if len(dist_infos) != 1:
        found = quoted_list(dist_infos, empty="none")
        raise UploadError(
            f"A wheel must contain exactly one top-level .dist-info directory; found {found}."
        )
    dist_info = dist_infos[0]
    name, sep, version = dist_info.removesuffix(".dist-info").rpartition("-")
    if not sep or name_normalize(name) != dist.name or not _version_equal(version, dist.version):
        raise UploadError(
            f"The wheel's {quoted(dist_info)} directory does not match its filename"
            f" ({dist.name} {dist.version})."
        )
    missing = [f for f in _WHEEL_REQUIRED if f"{dist_info}/{f}" not in names]
    if missing:
        raise UploadError(
            f"The wheel's {quoted(dist_info)} directory is missing {', '.join(missing)}."
        )
    return dist_info


def _version_equal(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    # ValueError: a release number longer than Python's int conversion allows (4300 digits).
    except (InvalidVersion, ValueError):
        return False


def _size_shown(count: int) -> str:
    if count >= GiB and count % GiB == 0:
        return f"{count // GiB} GiB"
    if count >= MiB and count % MiB == 0:
        return f"{count // MiB} MiB"
    return f"{count} bytes"
