"""Package bytes in storage. Storage holds bytes; the database says what exists: nothing is
served unless a committed row names it, so bytes left behind are never published."""

from __future__ import annotations

import logging

from django.core.files.storage import default_storage

log = logging.getLogger("warden.packaging")


def storage_path(sha256: str, filename: str) -> str:
    """Where a file lives under `packages/`: content-addressed, so the same name always
    holds the same bytes."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}/{filename}"


def storage_remove(*, names: list[str]) -> None:
    """Delete storage objects that no committed row names any more. A failure is logged for
    the operator and harms nobody: downloads need a committed row."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            log.exception("could not remove %s from storage", name)
