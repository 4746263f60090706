"""The packaging domain's deferred work, run by the task worker. Each task takes names and
serials, loads what it needs and calls a service; each is safe to run twice or late."""

from __future__ import annotations

from django_tasks import task

from warden.packaging import pages, storage


@task()
def simple_page_render(*, normalized_name: str, serial: int) -> None:
    """Re-render a project's pages after change `serial` committed."""
    pages.simple_project_render(normalized_name=normalized_name)


@task()
def simple_index_render(*, serial: int) -> None:
    """Re-render the root index after change `serial` changed the list of projects (the
    serial is for the worker's log; what the render covers is in IndexRenderRequest)."""
    pages.simple_index_render()


@task()
def storage_remove(*, names: list[str]) -> None:
    """Remove the bytes of deleted files (their rows are gone for good)."""
    storage.storage_remove(names=names)
