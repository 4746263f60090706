"""Uploads are screened after they commit, and the policy acts on the enabled checks only:
a malicious verdict quarantines the project (or the release of an established project) and
the files vanish from every place that offers them; releasing restores them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.vocabulary import Tag
from warden.checks.base import State
from warden.checks.models import CheckConfig, CheckResult, Screening
from warden.checks.registry import installed
from warden.checks.services import backfill_queue, check_backfill, check_state_set, scheduled_run
from warden.packaging.models import File, Project, ProjectStatus, Release
from warden.packaging.quarantine import project_unquarantine, release_unquarantine
from warden.packaging.services import project_delete
from warden.packaging.tests.conftest import MakeDist, Upload, acting

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def only_test_checks(test_checks: Path, db: None) -> None:
    """The framework under test, not the built-in checks' judgement."""
    for name in installed():
        if not name.startswith("t-"):
            CheckConfig.objects.create(name=name, state=State.DISABLED)
    # Fast, harmless test checks only; the misbehaving ones have their own tests.
    for name in ("t-spin", "t-stuck", "t-hog", "t-die"):
        CheckConfig.objects.update_or_create(name=name, defaults={"state": State.DISABLED})


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_user(username="sam", email="sam@example.org", is_staff=True)


def offered(client: Client, name: str, file: File) -> dict[str, bool]:
    """Where `file` is offered: the simple page, the JSON API, the download URL. By its
    digest: its name may appear in a quarantine's reason."""
    simple = client.get(f"/simple/{name}/", HTTP_ACCEPT="application/vnd.pypi.simple.v1+json")
    json_api = client.get(f"/pypi/{name}/json")
    download = client.get(f"/packages/{file.path}")
    return {
        "simple": simple.status_code == 200 and file.sha256 in simple.content.decode(),
        "json": json_api.status_code == 200 and file.sha256 in json_api.content.decode(),
        "download": download.status_code == 200,
    }


ALL = {"simple": True, "json": True, "download": True}
NONE = {"simple": False, "json": False, "download": False}


def uploaded(client: Client, upload: Upload, token: str, path: Path) -> File:
    response = upload(client, token, path)
    assert response.status_code == 200, response.content
    return File.objects.get(filename=path.name)


def test_an_upload_is_screened_after_commit_and_its_results_are_kept(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None]) -> None:
    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0",
                                                            payload="x = 'ODD'\n"))
    screening = Screening.objects.get(file=file)
    assert screening.state == "pending"
    # t-project runs on a new project's first file; t-crash and t-marker on every file.
    assert sorted(screening.checks) == ["t-crash", "t-marker", "t-project"]
    run_tasks()
    screening.refresh_from_db()
    assert screening.state == "done"
    results = {r.check_name: r for r in screening.results.all()}
    assert results["t-marker"].classification == "suspicious"
    assert results["t-marker"].evidence[0]["excerpt"] == "x = 'ODD'"
    assert results["t-crash"].classification == "" and "ValueError" in results["t-crash"].error
    assert results["t-project"].state == "evaluation"
    assert results["t-project"].message == "new project fresh"
    # Suspicious and a crash: reviewed by people, nothing done by the policy.
    assert screening.classification == "indeterminate" or screening.classification == "suspicious"
    assert screening.action == ""
    assert Project.objects.get(normalized_name="fresh").status == ProjectStatus.ACTIVE
    assert offered(client, "fresh", file) == ALL


def test_an_enabled_check_finding_malware_quarantines_a_new_project_and_tells_people(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], staff: User, alice: User) -> None:
    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0",
                                                            payload="EVIL = 1\n"))
    run_tasks()
    project = Project.objects.get(normalized_name="fresh")
    assert project.status == ProjectStatus.QUARANTINED
    assert Screening.objects.get(file=file).action == "quarantined-project"
    assert offered(client, "fresh", file) == NONE
    assert "fresh" not in client.get("/simple/").content.decode()
    recipients = {m.to[0]: m.subject for m in mail.outbox}
    assert "quarantined" in recipients[alice.email]
    assert "malicious" in recipients[staff.email]
    assert Event.objects.filter(tag=Tag.PROJECT_QUARANTINED, project_name="fresh").exists()
    # A quarantined project accepts no uploads (PEP 792).
    response = upload(client, alice_token, make_wheel("fresh", "1.1"))
    assert response.status_code == 400
    assert b"quarantined" in response.content

    project_unquarantine(project=project, origin=acting(staff))
    run_tasks()
    assert offered(client, "fresh", file) == ALL


def test_a_check_in_evaluation_takes_no_action(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], staff: User) -> None:
    check_state_set(name="t-marker", state=State.EVALUATION, origin=acting(staff))
    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0",
                                                            payload="EVIL = 1\n"))
    run_tasks()
    result = CheckResult.objects.get(check_name="t-marker")
    assert (result.classification, result.state) == ("malicious", "evaluation")
    assert Project.objects.get(normalized_name="fresh").status == ProjectStatus.ACTIVE
    assert offered(client, "fresh", file) == ALL
    assert not [m for m in mail.outbox if "malicious" in m.subject]
    assert Event.objects.filter(tag=Tag.STAFF_CHECK_STATE_CHANGED).exists()


def test_malware_in_an_established_project_quarantines_only_its_new_release(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], demo: Project, staff: User) -> None:
    old = uploaded(client, upload, alice_token, make_wheel("demo", "1.0"))
    run_tasks()
    Project.objects.filter(pk=demo.pk).update(created=demo.created - timedelta(days=400))
    Release.objects.filter(version="1.0").update(created=demo.created - timedelta(days=300))
    bad = uploaded(client, upload, alice_token, make_wheel("demo", "2.0",
                                                           payload="EVIL = 1\n"))
    run_tasks()
    assert Project.objects.get(pk=demo.pk).status == ProjectStatus.ACTIVE
    release = Release.objects.get(version="2.0")
    assert release.quarantined
    assert offered(client, "demo", bad) == NONE
    assert offered(client, "demo", old) == ALL
    # The quarantined release accepts no more files.
    response = upload(client, alice_token, make_wheel("demo", "2.0", tag="py2-none-any"))
    assert response.status_code == 400 and b"quarantined" in response.content

    release_unquarantine(release=release, origin=acting(staff))
    run_tasks()
    assert offered(client, "demo", bad) == ALL


def test_with_hold_a_file_is_offered_only_once_screened_clean(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], publish: Callable[[], None], settings: Any) -> None:
    settings.WARDEN_SCREEN_HOLD = True
    response = upload(client, alice_token, make_wheel("fresh", "1.0"))
    assert response.status_code == 200
    assert b"being screened" in response.content
    file = File.objects.get(filename__startswith="fresh-1.0")
    publish()   # the pages are published, without the held file
    assert file.held and offered(client, "fresh", file) == NONE
    run_tasks()
    file.refresh_from_db()
    assert not file.held and offered(client, "fresh", file) == ALL
    assert Event.objects.filter(tag=Tag.PROJECT_FILE_SCREENED, filename=file.filename).exists()


def test_with_hold_a_malicious_file_is_never_offered(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], settings: Any) -> None:
    settings.WARDEN_SCREEN_HOLD = True
    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0",
                                                            payload="EVIL = 1\n"))
    run_tasks()
    assert Project.objects.get(normalized_name="fresh").status == ProjectStatus.QUARANTINED
    assert offered(client, "fresh", file) == NONE


def test_results_outlive_the_project(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], alice: User) -> None:
    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0",
                                                            payload="x = 'ODD'\n"))
    run_tasks()
    project_delete(project=Project.objects.get(normalized_name="fresh"), confirm_name="fresh",
                   origin=acting(alice))
    screening = Screening.objects.get(filename=file.filename)
    assert screening.file is None and screening.project_name == "fresh"
    assert screening.results.get(check_name="t-marker").classification == "suspicious"


def test_a_backfill_rescans_every_file_and_never_acts(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], staff: User) -> None:
    check_state_set(name="t-marker", state=State.EVALUATION, origin=acting(staff))
    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0",
                                                            payload="EVIL = 1\n"))
    run_tasks()
    check_state_set(name="t-marker", state=State.ENABLED, origin=acting(staff))
    backfill = check_backfill(name="t-marker", origin=acting(staff))
    assert backfill.total == 1
    run_tasks()
    assert backfill_queue(backfill_id=backfill.pk) == 1   # a rerun queues nothing twice
    rescan = Screening.objects.get(backfill=backfill)
    assert rescan.checks == ["t-marker"] and rescan.state == "done"
    assert rescan.results.get().classification == "malicious"
    assert Project.objects.get(normalized_name="fresh").status == ProjectStatus.ACTIVE
    assert offered(client, "fresh", file) == ALL
    assert Event.objects.filter(tag=Tag.STAFF_CHECK_BACKFILL_STARTED).exists()


def test_no_screening_when_every_check_is_disabled(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist) -> None:
    CheckConfig.objects.all().update(state=State.DISABLED)
    for name in installed():
        CheckConfig.objects.update_or_create(name=name, defaults={"state": State.DISABLED})
    uploaded(client, upload, alice_token, make_wheel("fresh", "1.0"))
    assert not Screening.objects.exists()


def test_scheduled_checks_run_only_from_the_scheduler_over_recent_uploads(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None]) -> None:
    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0"))
    assert "t-scheduled" not in Screening.objects.get(file=file).checks
    run_tasks()
    File.objects.filter(pk=file.pk).update(upload_time=file.upload_time - timedelta(days=3))
    assert scheduled_run(since=timedelta(days=1)) == []
    [queued] = scheduled_run(since=timedelta(days=7))
    assert queued.checks == ["t-scheduled"]
    run_tasks()
    assert queued.results.get().message == "looked again later"


def test_owners_cannot_delete_what_is_quarantined(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], alice: User) -> None:
    from warden.packaging.services import ManageError, file_delete, release_delete

    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0",
                                                            payload="EVIL = 1\n"))
    run_tasks()
    project = Project.objects.get(normalized_name="fresh")
    for attempt in (lambda: project_delete(project=project, confirm_name="fresh",
                                           origin=acting(alice)),
                    lambda: release_delete(release=file.release, origin=acting(alice)),
                    lambda: file_delete(file=file, origin=acting(alice))):
        with pytest.raises(ManageError, match="quarantined"):
            attempt()
    assert File.objects.filter(pk=file.pk).exists()


def test_a_malicious_verdict_too_unsure_to_quarantine_still_alerts_staff(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], staff: User) -> None:
    uploaded(client, upload, alice_token, make_wheel("fresh", "1.0", payload="x = 'MEH'\n"))
    run_tasks()
    assert Project.objects.get(normalized_name="fresh").status == ProjectStatus.ACTIVE
    assert [m.to for m in mail.outbox if "malicious" in m.subject] == [[staff.email]]


def test_a_check_disabled_after_queueing_does_not_run(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], staff: User) -> None:
    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0",
                                                            payload="EVIL = 1\n"))
    check_state_set(name="t-marker", state=State.DISABLED, origin=acting(staff))
    run_tasks()
    assert "t-marker" not in {r.check_name for r in Screening.objects.get(file=file).results.all()}
    assert Project.objects.get(normalized_name="fresh").status == ProjectStatus.ACTIVE


def test_a_scheduled_screening_never_publishes_a_file_its_upload_screening_has_not_cleared(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        settings: Any) -> None:
    from warden.checks.services import screening_run

    settings.WARDEN_SCREEN_HOLD = True
    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0"))
    [scheduled] = scheduled_run(since=timedelta(days=1))
    screening_run(screening_id=scheduled.pk)   # the scheduler's, before the upload's
    file.refresh_from_db()
    assert file.held
    upload_screening = Screening.objects.filter(file=file).exclude(pk=scheduled.pk).get()
    screening_run(screening_id=upload_screening.pk)
    file.refresh_from_db()
    assert not file.held


def test_a_screening_whose_task_failed_is_queued_again_by_requeue(
        client: Client, upload: Upload, alice_token: str, make_wheel: MakeDist,
        run_tasks: Callable[[], None], storage_dir: Path) -> None:
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    file = uploaded(client, upload, alice_token, make_wheel("fresh", "1.0",
                                                            payload="EVIL = 1\n"))
    stored = storage_dir / "packages" / file.path
    kept = stored.read_bytes()
    stored.unlink()            # the worker cannot read it: the task fails
    run_tasks()
    screening = Screening.objects.get(file=file)
    assert screening.state == "pending"
    stored.write_bytes(kept)
    Screening.objects.filter(pk=screening.pk).update(created=screening.created
                                                     - timedelta(hours=1))
    DBTaskResult.objects.all().delete()
    call_command("checks", "requeue", "--older-than-minutes", "30")
    run_tasks()
    screening.refresh_from_db()
    assert screening.state == "done"
    assert Project.objects.get(normalized_name="fresh").status == ProjectStatus.QUARANTINED
