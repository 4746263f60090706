"""The one way work leaves a transaction: a task, enqueued so that it exists exactly when the
change that asked for it has committed."""

from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

from django.db import transaction
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult


def enqueue_on_commit(task: Task[..., Any], **kwargs: Any) -> None:
    """Enqueue `task(**kwargs)` for when the current transaction commits. With the database
    backend (the default) the task row is written inside the transaction itself: it commits
    with the change or not at all, so not even a crash just after the commit can lose it.
    Any other backend is asked only once the change has committed."""
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(**kwargs))


def worker_id_for_serve(*, pid: int) -> str:
    """The worker id `warden serve` gives its task worker: the host names the machine, so
    that a restarted `warden serve` knows which running tasks were its predecessor's."""
    return f"{_serve_prefix()}{pid}"[:64]


def _serve_prefix() -> str:
    return f"serve:{socket.gethostname()[:40]}:"


def tasks_requeue_abandoned(*, serve_host: bool = False,
                            started_before: datetime | None = None) -> int:
    """Put back in the queue the tasks marked running by a worker that is gone; returns how
    many. django-tasks-db claims a task by marking it RUNNING and only ever picks READY
    ones, so a task whose worker was killed (kill -9, OOM, power cut) stays RUNNING for
    ever and never runs. `serve_host`: those of `warden serve`'s worker on this machine
    (call it before starting the new one: the old one is dead). `started_before`: those
    running since before then, whoever ran them (a lease timeout for separate workers);
    both: those that are both.
    Every task is safe to run twice, so a task requeued while it was in fact still running
    costs a repeat, never a wrong result."""
    if not serve_host and started_before is None:
        raise ValueError("say whose running tasks are abandoned")
    running = DBTaskResult.objects.running()
    if started_before is not None:
        running = running.filter(started_at__lt=started_before)
    prefix = _serve_prefix()
    requeued = 0
    for pk, worker_ids in running.values_list("pk", "worker_ids").iterator():
        ours = bool(worker_ids) and str(worker_ids[-1]).startswith(prefix)
        if serve_host and not ours:
            continue
        # Only if it is still running: a worker that finished it meanwhile wins.
        requeued += DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None)
    return requeued


def tasks_stuck(*, started_before: datetime) -> list[tuple[str, str, datetime | None]]:
    """(id, task path, started) of the tasks running since before `started_before`."""
    return [(str(pk), path, started) for pk, path, started in
            DBTaskResult.objects.running().filter(started_at__lt=started_before)
            .values_list("pk", "task_path", "started_at").order_by("started_at")]
