"""Release, file and project services: yank, un-yank, delete; what the simple API shows
afterwards, and that deleted file names are never reusable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from warden.accounts.models import User
from warden.packaging.models import (
    File,
    JournalEntry,
    Project,
    Release,
    Role,
    RoleInvitation,
    SimplePage,
    UsedFilename,
)
from warden.packaging.roles import role_invite
from warden.packaging.services import (
    ManageError,
    file_delete,
    project_create,
    project_delete,
    release_delete,
    release_unyank,
    release_yank,
)
from warden.packaging.tests.conftest import Upload, acting

from .conftest import simple_json, stored

pytestmark = pytest.mark.django_db


def json_files(project: Project | str) -> dict[str, dict[str, Any]]:
    return {f["filename"]: f for f in simple_json(project)["files"]}


# --- yanking ----------------------------------------------------------------------------------


def test_yanking_republishes_the_simple_page_with_the_reason(
        published: Release, bob: User, run_tasks: Callable[[], None]) -> None:
    release_yank(release=published, origin=acting(bob), reason="broken on Windows")
    run_tasks()

    files = json_files("demo")
    assert files and all(f["yanked"] == "broken on Windows" for f in files.values())
    published.refresh_from_db()
    assert published.yanked and published.yanked_reason == "broken on Windows"
    assert JournalEntry.objects.filter(action="yank release", version="1.0",
                                       submitted_by=bob).exists()


def test_yanking_without_a_reason_marks_the_files_yanked(
        published: Release, alice: User, run_tasks: Callable[[], None]) -> None:
    release_yank(release=published, origin=acting(alice), reason="  ")
    run_tasks()
    assert all(f["yanked"] is True for f in json_files("demo").values())


def test_unyanking_republishes_the_simple_page(published: Release, alice: User,
                                               run_tasks: Callable[[], None]) -> None:
    release_yank(release=published, origin=acting(alice), reason="oops")
    run_tasks()
    release_unyank(release=published, origin=acting(alice))
    run_tasks()
    assert all(f["yanked"] is False for f in json_files("demo").values())
    assert not File.objects.filter(yanked=True).exists()


def test_a_stranger_cannot_yank(published: Release, mallory: User) -> None:
    with pytest.raises(ManageError):
        release_yank(release=published, origin=acting(mallory), reason="mine now")
    published.refresh_from_db()
    assert not published.yanked


def test_yanking_twice_and_unyanking_an_unyanked_release_are_refused(published: Release,
                                                                     alice: User) -> None:
    with pytest.raises(ManageError):
        release_unyank(release=published, origin=acting(alice))
    release_yank(release=published, origin=acting(alice), reason="first")
    with pytest.raises(ManageError):
        release_yank(release=published, origin=acting(alice), reason="second")
    published.refresh_from_db()
    assert published.yanked_reason == "first"


# --- deleting files -------------------------------------------------------------------------


def test_deleting_a_file_removes_it_from_the_simple_page_and_from_storage(
        published: Release, bob: User, storage_dir: Path, django_capture_on_commit_callbacks: Any,
        run_tasks: Callable[[], None]) -> None:
    wheel = published.files.get(packagetype="bdist_wheel")
    assert stored(storage_dir, wheel)

    with django_capture_on_commit_callbacks(execute=True):
        file_delete(file=wheel, origin=acting(bob))
    run_tasks()

    assert wheel.filename not in json_files("demo")
    assert len(json_files("demo")) == 1
    assert not File.objects.filter(filename=wheel.filename).exists()
    assert not stored(storage_dir, wheel)
    assert not (storage_dir / "packages" / f"{wheel.path}.metadata").exists()
    assert UsedFilename.objects.filter(filename=wheel.filename).exists()
    assert Project.objects.get(name="demo").total_size == published.files.get().size


def test_a_deleted_files_name_can_never_be_uploaded_again(
        published: Release, alice: User, alice_token: str, make_wheel: Any,
        upload: Upload, run_tasks: Callable[[], None]) -> None:
    wheel = published.files.get(packagetype="bdist_wheel")
    file_delete(file=wheel, origin=acting(alice))

    # Neither different bytes nor the very same bytes may appear under the old name.
    different = upload(Client(), alice_token, make_wheel("demo", "1.0", payload="V = 2\n"))
    same = upload(Client(), alice_token, make_wheel("demo", "1.0"))

    assert different.status_code == 400 and same.status_code == 400
    assert b"never reused" in same.content
    run_tasks()
    assert wheel.filename not in json_files("demo")


def test_a_stranger_cannot_delete_a_file(published: Release, mallory: User,
                                         storage_dir: Path) -> None:
    wheel = published.files.get(packagetype="bdist_wheel")
    with pytest.raises(ManageError):
        file_delete(file=wheel, origin=acting(mallory))
    assert File.objects.filter(pk=wheel.pk).exists() and stored(storage_dir, wheel)


def test_a_file_of_another_project_cannot_be_deleted_through_ones_own_role(
        published: Release, mallory: User) -> None:
    project_create(name="mallorys", owner=mallory, origin=acting(mallory))
    wheel = published.files.get(packagetype="bdist_wheel")
    with pytest.raises(ManageError):
        file_delete(file=wheel, origin=acting(mallory))
    assert File.objects.filter(pk=wheel.pk).exists()


def test_bytes_stay_when_the_deletion_rolls_back(published: Release, alice: User,
                                                 storage_dir: Path, monkeypatch: Any) -> None:
    from warden.packaging import services

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("making the change known failed")

    monkeypatch.setattr(services, "project_changed", fail)
    wheel = published.files.get(packagetype="bdist_wheel")
    with pytest.raises(RuntimeError):
        file_delete(file=wheel, origin=acting(alice))
    assert File.objects.filter(pk=wheel.pk).exists() and stored(storage_dir, wheel)


# --- deleting releases and projects -----------------------------------------------------------


def test_deleting_a_release_removes_its_files_and_keeps_their_names_used(
        published: Release, bob: User, storage_dir: Path,
        django_capture_on_commit_callbacks: Any, run_tasks: Callable[[], None]) -> None:
    files = list(published.files.all())
    with django_capture_on_commit_callbacks(execute=True):
        release_delete(release=published, origin=acting(bob))
    run_tasks()

    page = simple_json("demo")
    assert page["files"] == [] and "1.0" not in page["versions"]
    assert not Release.objects.filter(pk=published.pk).exists()
    assert not any(stored(storage_dir, f) for f in files)
    assert set(UsedFilename.objects.values_list("filename", flat=True)) >= {
        f.filename for f in files}
    assert Project.objects.get(name="demo").total_size == 0


def test_a_project_is_deleted_only_with_its_exact_name(published: Release,
                                                       alice: User) -> None:
    demo = published.project
    for wrong in ("", "dem", "demo2", "DEMO", "other"):
        with pytest.raises(ManageError, match="Type the project's name"):
            project_delete(project=demo, origin=acting(alice), confirm_name=wrong)
    assert Project.objects.filter(pk=demo.pk).exists()


def test_a_maintainer_cannot_delete_the_project(published: Release, bob: User) -> None:
    with pytest.raises(ManageError):
        project_delete(project=published.project, origin=acting(bob), confirm_name="demo")
    assert Project.objects.filter(name="demo").exists()


def test_deleting_a_project_removes_everything_but_the_used_names(
        published: Release, alice: User, carol: User, storage_dir: Path,
        django_capture_on_commit_callbacks: Any, run_tasks: Callable[[], None]) -> None:
    demo = published.project
    files = list(File.objects.filter(release__project=demo))
    role_invite(project=demo, invitee_username="carol", role_name="maintainer",
                origin=acting(alice))
    run_tasks()
    assert SimplePage.objects.filter(key="demo").exists()

    with django_capture_on_commit_callbacks(execute=True):
        project_delete(project=demo, origin=acting(alice), confirm_name="demo")

    assert not Project.objects.filter(name="demo").exists()
    assert not Role.objects.exists() and not RoleInvitation.objects.exists()
    assert not Release.objects.exists() and not File.objects.exists()
    assert UsedFilename.objects.filter(filename__in=[f.filename for f in files]).count() == 2
    # The project's page goes with the deletion, before any task runs.
    assert not SimplePage.objects.filter(key="demo").exists()
    run_tasks()
    assert not any(stored(storage_dir, f) for f in files)  # the worker removes the bytes
    assert not SimplePage.objects.filter(key="demo").exists()
    assert simple_json("")["projects"] == []
    assert JournalEntry.objects.filter(name="demo", action="remove project").exists()


def test_after_a_project_is_deleted_its_old_file_names_stay_unusable(
        published: Release, alice: User, alice_token: str, make_wheel: Any,
        upload: Upload) -> None:
    project_delete(project=published.project, origin=acting(alice), confirm_name="demo")

    response = upload(Client(), alice_token, make_wheel("demo", "1.0", payload="V = 3\n"))

    assert response.status_code == 400 and b"never reused" in response.content
