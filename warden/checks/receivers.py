"""Screening's hook on the publishing seam: every file an upload adds is queued for its
checks in the upload's own transaction (`warden.lib.signals.project_changed`)."""

from __future__ import annotations

from typing import Any

from warden.audit.vocabulary import Tag


def on_project_changed(sender: Any, *, change: Any, **kwargs: Any) -> None:
    if change.tag is Tag.PROJECT_FILE_UPLOADED and change.file_ids:
        from warden.checks.services import screenings_queue

        screenings_queue(file_ids=tuple(change.file_ids))
