"""Storage for package bytes. Everything goes through Django's storage API."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Any

from django.core.files.storage import FileSystemStorage


class AtomicFileSystemStorage(FileSystemStorage):
    """Local storage that never exposes a half-written file.

    Django's own `_save` writes straight to the final name; a crash mid-write would leave a
    truncated package at a path that looks final. We write beside it and rename, which is
    atomic on POSIX. Names are content-addressed, so an existing name already holds the same
    bytes and saving again is a no-op rather than a new `_1` suffixed copy.
    """

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name

    def _save(self, name: str, content: Any) -> str:
        full_path = Path(self.path(name))
        if full_path.exists():
            return name
        full_path.parent.mkdir(parents=True, exist_ok=True)
        source = getattr(content, "temporary_file_path", None)
        fd, tmp = tempfile.mkstemp(dir=full_path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                if source is not None:
                    with open(source(), "rb") as src:
                        _copy(src, out)
                else:
                    content.seek(0)
                    _copy(content, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, full_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name


def _copy(src: IO[bytes], dst: IO[bytes]) -> None:
    while chunk := src.read(1024 * 1024):
        dst.write(chunk)
