"""Storage for package bytes. Everything goes through Django's storage API."""

from __future__ import annotations

import contextvars
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.core.files.storage import FileSystemStorage


class _Deferred:
    dirty = False


_deferred: contextvars.ContextVar[_Deferred | None] = contextvars.ContextVar(
    "fsync_deferred", default=None)


@contextmanager
def durable_once() -> Iterator[None]:
    """Local writes inside skip their own fsync; leaving flushes them all with one sync.

    For a batch of many small files that must all be on disk before one database commit
    names them (the signer's pages and metadata): a thousand fsyncs in a row cost seconds on
    an ordinary disk, one sync a fraction of that. The flush happens only when the block
    ends normally (after an exception nothing may name the files) and something was
    written."""
    deferred = _Deferred()
    token = _deferred.set(deferred)
    try:
        yield
    finally:
        _deferred.reset(token)
    if deferred.dirty:
        os.sync()


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
                deferred = _deferred.get()
                if deferred is None:
                    os.fsync(out.fileno())
                else:
                    deferred.dirty = True
            os.chmod(tmp, 0o644)
            os.replace(tmp, full_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name


def _copy(src: IO[bytes], dst: IO[bytes]) -> None:
    while chunk := src.read(1024 * 1024):
        dst.write(chunk)
