"""Targets of the index, each downloaded and checked against the signed metadata before
anything reads it."""

from __future__ import annotations

import hashlib
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path

from tuf.api.exceptions import (
    DownloadError,
    DownloadHTTPError,
    DownloadLengthMismatchError,
    LengthOrHashMismatchError,
    RepositoryError,
)
from tuf.api.metadata import TargetFile
from tuf.ngclient import Updater

from warden_install.errors import (
    InstallError,
    MetadataFailed,
    NotFound,
    NotYetSigned,
    Tampered,
    Unreachable,
)
from warden_install.trust import describe

_PAGE = re.compile(r"simple/(?:[^/]+/)?index\.(?:html|json)")
PROBE_TIMEOUT = 10.0  # seconds


class VerifiedIndex:
    """Fetches targets through one refreshed `Updater`: the same signed snapshot for the
    whole run, so a page and the files it links always belong together."""

    def __init__(self, updater: Updater, index_url: str, work_dir: Path) -> None:
        self.updater = updater
        self.index_url = index_url
        self.work_dir = work_dir
        self._files: dict[str, Path] = {}
        # ngclient is not thread-safe, and the proxy serves each request in a thread.
        self._lock = threading.Lock()

    def fetch(self, path: str) -> Path:
        """A local copy of target `path`, verified; raises an InstallError otherwise."""
        with self._lock:
            local = self._files.get(path)
            if local is None:
                local = self._download(path)
                self._files[path] = local
            return local

    def _download(self, path: str) -> Path:
        info = self._targetinfo(path)
        if info is None:
            raise self._absent(path)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        # Named by a digest of the path: filenames may be longer than a file system allows
        # once a directory is prefixed, and never collide this way.
        local = self.work_dir / hashlib.sha256(path.encode()).hexdigest()
        try:
            self.updater.download_target(info, filepath=str(local))
        except (LengthOrHashMismatchError, DownloadLengthMismatchError) as exc:
            local.unlink(missing_ok=True)
            raise Tampered(path) from exc
        except RepositoryError as exc:
            raise MetadataFailed(describe(exc)) from exc
        except DownloadHTTPError as exc:
            raise Unreachable(f"the index signed {path} but does not serve it "
                              f"(HTTP {exc.status_code})") from exc
        except DownloadError as exc:
            raise Unreachable(f"cannot download {path}: {describe(exc)}") from exc
        return local

    def _targetinfo(self, path: str) -> TargetFile | None:
        try:
            return self.updater.get_targetinfo(path)
        except DownloadLengthMismatchError as exc:
            raise MetadataFailed(describe(exc)) from exc
        except RepositoryError as exc:
            raise MetadataFailed(describe(exc)) from exc
        except DownloadError as exc:
            raise Unreachable(f"cannot fetch the TUF metadata for {path}: "
                              f"{describe(exc)}") from exc

    def plain_url(self, path: str) -> str:
        """Where the server serves target `path` to clients that do not verify."""
        if _PAGE.fullmatch(path):
            return f"{self.index_url}/{path.rpartition('/')[0]}/"
        return f"{self.index_url}/{path}"

    def _absent(self, path: str) -> InstallError:
        """Not a target: either the signer has not caught up with an upload (or our
        refresh predates it), or there is no such thing. The server's unverified answer
        only chooses the wording: nothing it says is served."""
        if _exists_on_server(self.plain_url(path)):
            return NotYetSigned(path)
        if path.startswith("simple/") and path.count("/") == 2:
            return NotFound(f"not found: no project {path.split('/')[1]!r} on the index")
        return NotFound(f"not found: {path} is not on the index")


def _exists_on_server(url: str) -> bool:
    request = urllib.request.Request(url, method="HEAD")  # noqa: S310 (http(s) only, checked)
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False
