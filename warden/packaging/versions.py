"""Ordering releases by what their versions mean (PEP 440), shared by every page and API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from warden.packaging.models import Release


def version_key(version: str) -> tuple[int, Version | str]:
    """Sorts PEP 440 versions by their meaning; anything unparsable sorts first."""
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def is_prerelease(version: str) -> bool:
    try:
        return Version(version).is_prerelease
    except InvalidVersion:
        return False


def release_current(releases: Iterable[Release]) -> Release | None:
    """What PyPI calls the project's current release: the highest version that is neither
    yanked nor a pre-release; failing that the highest not yanked; failing that the highest."""
    ordered = sorted(releases, key=lambda r: version_key(r.version), reverse=True)
    for candidates in ([r for r in ordered if not r.yanked and not is_prerelease(r.version)],
                       [r for r in ordered if not r.yanked], ordered):
        if candidates:
            return candidates[0]
    return None
