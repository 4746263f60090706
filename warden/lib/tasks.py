"""The one way work leaves a transaction: a task, enqueued so that it exists exactly when the
change that asked for it has committed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend


def enqueue_on_commit(task: Task[..., Any], **kwargs: Any) -> None:
    """Enqueue `task(**kwargs)` for when the current transaction commits. With the database
    backend (the default) the task row is written inside the transaction itself: it commits
    with the change or not at all, so not even a crash just after the commit can lose it.
    Any other backend is asked only once the change has committed."""
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(**kwargs))
