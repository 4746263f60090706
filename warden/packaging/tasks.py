"""The packaging domain's deferred work, run by the task worker. Each task takes names and
serials, loads what it needs and calls a service; each is safe to run twice or late."""

from __future__ import annotations

from django_tasks import task

from warden.packaging import storage


@task()
def storage_remove(*, names: list[str]) -> None:
    """Remove the bytes of deleted files (their rows are gone for good)."""
    storage.storage_remove(names=names)
