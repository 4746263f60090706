"""A task whose worker was killed mid-task is run again.

django-tasks-db marks a task RUNNING when a worker claims it and only ever picks READY
ones: without recovery, a worker killed mid-task leaves it RUNNING for ever.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from warden.lib.tasks import tasks_requeue_abandoned, worker_id_for_serve
from warden.packaging.tasks import storage_remove

pytestmark = pytest.mark.django_db


def running(worker_id: str, *, age: timedelta = timedelta(0)) -> DBTaskResult:
    row = DBTaskResult.objects.get(pk=storage_remove.enqueue(names=[]).id)
    row.claim(worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - age)
    return row


def status(row: DBTaskResult) -> str:
    return str(DBTaskResult.objects.get(pk=row.pk).status)


def test_a_task_left_running_by_a_killed_worker_is_never_picked_again_on_its_own() -> None:
    row = running(worker_id_for_serve(pid=1))

    assert not DBTaskResult.objects.ready().filter(pk=row.pk).exists()


def test_a_restarted_serve_requeues_what_its_dead_worker_left_running_and_nothing_else(
) -> None:
    ours = running(worker_id_for_serve(pid=12345))
    elsewhere = running("serve:another-host:77")
    separate = running("a-separate-worker")

    assert tasks_requeue_abandoned(serve_host=True) == 1

    assert status(ours) == "READY"
    assert DBTaskResult.objects.ready().filter(pk=ours.pk).exists()
    assert (status(elsewhere), status(separate)) == ("RUNNING", "RUNNING")


def test_a_lease_timeout_requeues_only_tasks_running_longer_than_it() -> None:
    old = running("a-separate-worker", age=timedelta(hours=2))
    young = running("another-worker")

    assert tasks_requeue_abandoned(started_before=timezone.now() - timedelta(hours=1)) == 1

    assert (status(old), status(young)) == ("READY", "RUNNING")


def test_requeueing_needs_to_be_told_whose_tasks_are_abandoned() -> None:
    with pytest.raises(ValueError, match="whose"):
        tasks_requeue_abandoned()
