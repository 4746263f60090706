"""Refusing member names that one file system keeps apart and another merges.

Windows and macOS compare names without regard to case, macOS also treats the
NFC and NFD spellings of an accented letter as one name, and Windows drops
trailing dots and spaces and reads ``name:stream`` as a stream of ``name``. An
archive holding ``pkg/__init__.py`` and ``PKG/__init__.py`` shows a reviewer
two files, and installs one of them, whichever the extractor writes last, on
those systems. Directories count too: ``pkg/a.py`` and ``PKG/b.py`` make one
directory there and two packages on Linux.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from warden.packaging.dists.shown import quoted
from warden.packaging.errors import UploadError


def name_fold(component: str) -> str:
    """One path component as a case-insensitive, normalising file system sees it."""
    # Everything after a colon names an NTFS stream of the file before it. (The
    # zero-width characters HFS+ ignores never get here: member_name_check
    # refuses them as unprintable.)
    folded = component.partition(":")[0]
    # Case folding can denormalise, hence NFD on both sides of it.
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFD", folded).casefold())
    return folded.rstrip(". ")


@dataclass
class _Node:
    spelling: str
    member: str
    is_member: bool
    children: dict[str, _Node] = field(default_factory=dict)


class MemberNames:
    """Collects member names, raising on the first that collides with an earlier one.

    Names form a tree of folded components, so a name costs time in proportion
    to its length however deep it goes.
    """

    def __init__(self) -> None:
        self._root = _Node(spelling="", member="", is_member=False)

    def add(self, name: str) -> None:
        """Record ``name`` (already through ``member_name_check``) or refuse it."""
        parts = name.removesuffix("/").split("/")
        node = self._root
        for depth, part in enumerate(parts, start=1):
            last = depth == len(parts)
            key = name_fold(part)
            child = node.children.get(key)
            if child is None:
                child = _Node(spelling=part, member=name, is_member=last)
                node.children[key] = child
            elif child.spelling != part:
                raise _collision(first=child.member, second=name, depth=depth)
            elif last and child.is_member:
                raise UploadError(
                    f"The archive contains {quoted(child.member)} and {quoted(name)},"
                    " which are the same"
                    " path; each member may appear only once."
                )
            elif last:
                child.is_member = True
            node = child


def _collision(*, first: str, second: str, depth: int) -> UploadError:
    def shown(name: str) -> str:
        parts = name.removesuffix("/").split("/")
        if depth == len(parts):
            return quoted(name)
        return f"{quoted('/'.join(parts[:depth]))} (in {quoted(name)})"

    return UploadError(
        f"The archive contains {shown(first)} and {shown(second)}, which name the same file"
        " on Windows and macOS (their names differ only in case, Unicode normalisation,"
        " trailing dots or spaces, or a ':stream' suffix), so one would overwrite the other"
        " when installed there."
        " Rename one of them."
    )
