"""Parsing and checking the filename of an uploaded distribution.

Sdist names: PEP 625 says a new sdist is called ``{name}-{version}.tar.gz``
with the name normalized and ``-`` replaced by ``_`` (``foo_bar-1.0.tar.gz``).
Older build tools (setuptools before 69.3, among others) wrote the name as
the project spelled it (``Foo.Bar-1.0.tar.gz``). By default we accept any
spelling whose name part normalizes to the project's name and whose version
equals the upload's, because refusing them would stop people from publishing
existing artifacts to a private index (mirroring, re-publishing old releases),
and the name is unambiguous after normalization. ``require_pep625=True``
turns that off and demands the exact PEP 625 spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from warden.packaging.dists.shown import SHOWN_MAX, quoted, shortened
from warden.packaging.errors import UploadError
from warden.packaging.names import name_normalize, name_validate

PackageType = Literal["sdist", "bdist_wheel"]

# Longer names cannot be stored on common filesystems.
FILENAME_MAX_LENGTH = 255

_ACCEPTED = (
    "This index accepts source distributions ending in .tar.gz or .zip and"
    " wheels ending in .whl (eggs, .exe, .msi, .rpm, .tar.bz2 and other"
    " formats are not accepted)."
)
_KIND_DESCRIPTIONS: dict[PackageType, str] = {
    "sdist": "a source distribution",
    "bdist_wheel": "a wheel",
}


@dataclass(frozen=True)
class DistFilename:
    """What a distribution's filename says about it.

    ``python_version`` is what PyPI reports in its JSON API: ``"source"`` for
    sdists and the wheel's python tag (``"py3"``, ``"cp311"``, ``"py2.py3"``).
    """

    packagetype: PackageType
    name: str  # normalized (PEP 503)
    version: Version
    python_version: str


def filename_parse(
    *,
    filename: str,
    project_name: str,
    version: str,
    packagetype: str,
    require_pep625: bool = False,
) -> DistFilename:
    """Check ``filename`` against the upload form and return what it says."""
    _filename_characters_check(filename)
    kind = _filename_kind(filename)
    if packagetype not in _KIND_DESCRIPTIONS:
        raise UploadError(
            f"Package type {quoted(packagetype)} is not accepted;"
            " upload 'sdist' or 'bdist_wheel' files."
        )
    if packagetype != kind:
        raise UploadError(
            f"{quoted(filename)} is {_KIND_DESCRIPTIONS[kind]}, but the upload says"
            f" its type is {quoted(packagetype)}."
        )
    name_validate(project_name)
    try:
        expected_version = Version(version)
    # ValueError: a release number longer than Python's int conversion allows (4300 digits).
    except (InvalidVersion, ValueError):
        raise UploadError(f"{quoted(version)} is not a valid version (see PEP 440).") from None

    if kind == "bdist_wheel":
        found_name, found_version, python_version = _wheel_parse(filename)
    else:
        found_name, found_version = _sdist_parse(filename)
        python_version = "source"

    expected_name = name_normalize(project_name)
    prefix = f"{expected_name.replace('-', '_')}-{expected_version}"
    if found_name != expected_name or found_version != expected_version:
        raise UploadError(
            f"The filename {quoted(filename)} is for {shortened(found_name, SHOWN_MAX)}"
            f" {shortened(found_version, SHOWN_MAX)}, but the upload is for"
            f" {shortened(project_name, SHOWN_MAX)} {shortened(expected_version, SHOWN_MAX)}."
            f" Start filename for {quoted(project_name)} with {quoted(prefix)}."
        )
    if require_pep625 and kind == "sdist" and not filename.startswith(f"{prefix}."):
        raise UploadError(
            f"Source distribution filenames must follow PEP 625:"
            f" start filename for {quoted(project_name)} with {quoted(prefix)}."
        )
    return DistFilename(
        packagetype=kind,
        name=expected_name,
        version=found_version,
        python_version=python_version,
    )


def _filename_characters_check(filename: str) -> None:
    # The filename ends up in a storage path and in HTML; a separator could
    # escape the storage directory and control or bidi characters can make a
    # name display as something it is not. Valid names are plain ASCII anyway.
    if "/" in filename or "\\" in filename:
        raise UploadError(f"The filename {quoted(filename)} must not contain path separators.")
    if not filename.isascii() or not filename.isprintable():
        raise UploadError(
            f"The filename {quoted(filename)} must only contain printable ASCII characters."
        )
    if len(filename) > FILENAME_MAX_LENGTH:
        raise UploadError(
            f"The filename is {len(filename)} characters long; the limit is {FILENAME_MAX_LENGTH}."
        )


def _filename_kind(filename: str) -> PackageType:
    if filename.endswith(".whl"):
        return "bdist_wheel"
    if filename.endswith((".tar.gz", ".zip")):
        return "sdist"
    raise UploadError(f"Invalid file extension for {quoted(filename)}. {_ACCEPTED}")


def _wheel_parse(filename: str) -> tuple[str, Version, str]:
    try:
        name, version, _build, _tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise UploadError(
            f"{quoted(filename)} is not a valid wheel filename ({shortened(exc)}). Wheels are"
            " named {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl."
        ) from None
    # The python tag is the third dash-separated part from the end, whether or
    # not there is a build tag; keep its compressed form ("py2.py3") as PyPI does.
    python_tag = filename.removesuffix(".whl").split("-")[-3]
    return name, version, python_tag


def _sdist_parse(filename: str) -> tuple[str, Version]:
    try:
        name, version = parse_sdist_filename(filename)
    except InvalidSdistFilename as exc:
        raise UploadError(
            f"{quoted(filename)} is not a valid source distribution filename ({shortened(exc)})."
            " Source distributions are named {name}-{version}.tar.gz."
        ) from None
    return name, version
