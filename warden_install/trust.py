"""The index's TUF metadata: a trusted root, refreshed into a persistent cache."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from securesystemslib.exceptions import FormatError
from tuf.api.exceptions import (
    DownloadError,
    DownloadLengthMismatchError,
    RepositoryError,
)
from tuf.api.metadata import Metadata, Root
from tuf.ngclient import Updater

from warden_install.errors import InstallError, MetadataFailed, Unreachable

METADATA_PATH = "tuf/"


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def load_root(path: Path) -> bytes:
    """The trusted root's bytes, checked to be root metadata at all: a wrong file would
    otherwise surface as an obscure failure to verify the index."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InstallError(f"cannot read the trusted root {path}: {exc.strerror}") from exc
    try:
        Metadata[Root].from_bytes(data)
    except (RepositoryError, FormatError, ValueError, TypeError, KeyError) as exc:
        raise InstallError(f"{path} is not TUF root metadata ({describe(exc)})") from exc
    return data


def default_metadata_dir(index_url: str, root: bytes) -> Path:
    """One cache per (index, trusted root): a root from a re-initialised index must not
    meet metadata cached under the old one."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    root_digest = hashlib.sha256(root).hexdigest()
    key = hashlib.sha256(f"{index_url}\n{root_digest}".encode()).hexdigest()[:24]
    return Path(base) / "warden-install" / key


def open_index(index_url: str, root: bytes, metadata_dir: Path) -> Updater:
    """An updater for `index_url` (no trailing slash) that has verified the current
    timestamp, snapshot and targets, starting its trust from `root`."""
    metadata_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    metadata_url = f"{index_url}/{METADATA_PATH}"
    try:
        updater = Updater(metadata_dir=str(metadata_dir), metadata_base_url=metadata_url,
                          target_base_url=f"{index_url}/", bootstrap=root)
        updater.refresh()
    except DownloadLengthMismatchError as exc:
        # Longer than the signed length: as much a forgery as a bad signature.
        raise MetadataFailed(describe(exc)) from exc
    except RepositoryError as exc:
        raise MetadataFailed(describe(exc)) from exc
    except DownloadError as exc:
        raise Unreachable(f"cannot fetch the index's TUF metadata from {metadata_url}: "
                          f"{describe(exc)}") from exc
    except OSError as exc:
        raise InstallError(f"cannot use the metadata cache {metadata_dir}: {exc}") from exc
    return updater
