"""Importing a directory of distributions (a pypiserver or devpi export).

Every file passes the same validation as an upload; the metadata comes from the file itself
(its METADATA or PKG-INFO), since there is no form to compare it with."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from warden.accounts.models import User
from warden.audit.origin import Origin
from warden.packaging.dists.archive import ArchiveLimits, archive_inspect
from warden.packaging.dists.filenames import filename_parse
from warden.packaging.dists.metadata import metadata_parse_file
from warden.packaging.errors import UploadError
from warden.packaging.names import name_normalize
from warden.packaging.publish import IncomingFile, Published, file_publish

# Things that look like distributions; anything else in an export (signatures, indexes) is
# not ours to judge and is skipped silently.
CANDIDATE_SUFFIXES = (".whl", ".tar.gz", ".zip", ".egg", ".exe", ".tar.bz2", ".tgz", ".msi")


@dataclass
class ImportSummary:
    imported: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def import_candidates(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name.lower().endswith(CANDIDATE_SUFFIXES):
            yield path


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


def _digests(path: Path) -> dict[str, str]:
    hashers: dict[str, _Hasher] = {
        "sha256": hashlib.sha256(), "blake2_256": hashlib.blake2b(digest_size=32),
        "md5": hashlib.md5(usedforsecurity=False)}
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def import_file(*, path: Path, owner: User, origin: Origin) -> Published:
    filename = path.name
    if filename.endswith(".whl"):
        try:
            name, version, _, _ = parse_wheel_filename(filename)
        except InvalidWheelFilename as exc:
            raise UploadError(f"Invalid wheel filename: {exc}") from exc
        packagetype = "bdist_wheel"
    elif filename.endswith((".tar.gz", ".zip")):
        try:
            name, version = parse_sdist_filename(filename)
        except InvalidSdistFilename as exc:
            raise UploadError(f"Invalid sdist filename: {exc}") from exc
        packagetype = "sdist"
    else:
        raise UploadError("Only wheels (.whl) and sdists (.tar.gz, .zip) can be imported.")
    dist = filename_parse(filename=filename, project_name=name, version=str(version),
                          packagetype=packagetype)
    metadata = archive_inspect(path=path, filename=filename, dist=dist, limits=ArchiveLimits())
    meta = metadata_parse_file(metadata)
    if name_normalize(meta.name) != name_normalize(name):
        raise UploadError(f"The file's metadata names project {meta.name!r}, "
                          f"but its filename says {name!r}.")
    # The release is made from the metadata and the file is listed under its filename, so
    # the two must agree on the version as well as the name.
    if meta.version != version:
        raise UploadError(f"The file's metadata says version {meta.version}, "
                          f"but its filename says {version}.")
    if meta.version.local is not None:  # as for an upload
        raise UploadError(f"Local versions are not allowed on an index: {str(meta.version)!r} "
                          f"has the local part '+{meta.version.local}'.")
    incoming = IncomingFile(filename=filename, dist=dist, meta=meta, meta_is_claim=False,
                            source=path, size=path.stat().st_size, digests=_digests(path),
                            client="warden-import")
    # An operator's command: no token, and the owner is whoever the operator named.
    return file_publish(incoming=incoming, owner=owner, origin=origin, context=None)
