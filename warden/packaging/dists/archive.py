"""Inspecting an uploaded archive before anything trusts its contents.

The checks are those an installer or a later extraction relies on: member
paths stay inside the archive, links point inside it, the archive cannot
expand without bound, and the layout is what its filename promises. The
format-specific work lives in ``archive_zip`` and ``archive_tar``.
"""

from __future__ import annotations

from pathlib import Path

from warden.packaging.dists.archive_common import ArchiveLimits
from warden.packaging.dists.archive_tar import tar_inspect
from warden.packaging.dists.archive_zip import zip_inspect
from warden.packaging.dists.filenames import DistFilename
from warden.packaging.dists.shown import quoted
from warden.packaging.errors import UploadError

__all__ = ["ArchiveLimits", "archive_inspect"]


def archive_inspect(
    *, path: Path, filename: str, dist: DistFilename, limits: ArchiveLimits
) -> bytes:
    """Check the archive at ``path`` and return its core metadata file's bytes.

    That is ``{name}-{version}.dist-info/METADATA`` for a wheel and
    ``{name}-{version}/PKG-INFO`` for an sdist. ``dist`` comes from
    ``filename_parse`` on the same ``filename``.
    """
    if dist.packagetype == "bdist_wheel" or filename.endswith(".zip"):
        return zip_inspect(path=path, filename=filename, dist=dist, limits=limits)
    if filename.endswith(".tar.gz"):
        return tar_inspect(path=path, filename=filename, dist=dist, limits=limits)
    raise UploadError(f"{quoted(filename)} is not a .whl, .zip or .tar.gz file.")
