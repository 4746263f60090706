"""Screening's deferred work, run by the task worker after the upload committed."""

from __future__ import annotations

from django_tasks import task

from warden.checks import services
from warden.lib.failpoints import failpoint


@task()
def screen(*, screening_id: int) -> None:
    """Scan one file with its checks and apply the policy. Never raises for a check's fault:
    a crashing or overrunning check is an error result of its own."""
    failpoint("task.screen")
    services.screening_run(screening_id=screening_id)


@task()
def backfill_fill(*, backfill_id: int) -> None:
    """Queue the screenings of a staff-started re-scan of every stored file."""
    services.backfill_queue(backfill_id=backfill_id)
