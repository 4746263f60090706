"""Services on projects and releases: the journal and its serials, project creation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction
from django.test import Client
from packaging.metadata import Metadata

from warden.accounts.models import User
from warden.audit.vocabulary import Tag
from warden.packaging.changes import ProjectChange, project_changed
from warden.packaging.errors import UploadError
from warden.packaging.models import (
    JournalEntry,
    Project,
    Release,
    Role,
    RoleName,
    SimplePage,
)
from warden.packaging.services import (
    prohibited_name_add,
    project_create,
    release_get,
    release_insert,
)
from warden.packaging.tests.conftest import MakeDist, Upload, acting

pytestmark = pytest.mark.django_db


def meta(name: str = "demo", version: str = "1.0", **fields: str) -> Metadata:
    return Metadata.from_raw({"metadata_version": "2.1", "name": name, "version": version,
                              **fields})  # type: ignore[typeddict-item]


def journal_add(*, project: Project, action: str, user: User | None = None) -> int:
    """A change to `project` made known the one way changes are: `project_changed`, in the
    change's transaction."""
    with transaction.atomic():
        return project_changed(project=project, origin=acting(user), change=ProjectChange(
            tag=Tag.PROJECT_ROLE_CHANGED, action=action))


def test_journal_serials_increase_and_the_project_keeps_the_latest(alice: User) -> None:
    demo = project_create(name="demo", owner=alice, origin=acting(alice))
    other = project_create(name="other", owner=alice, origin=acting(alice))

    serials = [journal_add(project=demo, action="a", user=alice),
               journal_add(project=other, action="b", user=alice),
               journal_add(project=demo, action="c", user=alice)]

    assert serials == sorted(serials) and len(set(serials)) == 3
    assert Project.objects.get(pk=demo.pk).last_serial == serials[2]
    assert Project.objects.get(pk=other.pk).last_serial == serials[1]
    assert demo.last_serial == serials[2]  # the caller's object follows too
    assert list(JournalEntry.objects.filter(pk__in=serials).values_list("name", "action")) == [
        ("demo", "a"), ("other", "b"), ("demo", "c")]


def test_journal_serials_are_never_reused_after_entries_are_deleted(alice: User) -> None:
    demo = project_create(name="demo", owner=alice, origin=acting(alice))
    first = journal_add(project=demo, action="a")
    JournalEntry.objects.filter(pk__gte=first).delete()

    # Mirrors resume from the last serial they saw; a reused one would hide a change.
    assert journal_add(project=demo, action="b") > first


def test_project_create_makes_the_creator_its_owner(alice: User) -> None:
    project = project_create(name="My.Project", owner=alice, origin=acting(alice))

    assert (project.name, project.normalized_name) == ("My.Project", "my-project")
    assert list(Role.objects.filter(project=project).values_list("user", "role_name")) == [
        (alice.pk, RoleName.OWNER)]


def test_project_create_journals_the_creation_and_lists_the_project(
        alice: User, run_tasks: Callable[[], None]) -> None:
    project = project_create(name="demo", owner=alice, origin=acting(alice))

    entry = JournalEntry.objects.get(name="demo")
    assert (entry.action, entry.submitted_by) == ("create", alice)
    assert project.last_serial == entry.pk
    run_tasks()  # the root index is rendered by a task
    assert SimplePage.objects.filter(key="").exists()


@pytest.mark.parametrize("name", ["dem0", "DEMO", "de-mo", "d_e_m_o"])
def test_project_create_refuses_a_name_confusable_with_an_existing_one(
        alice: User, mallory: User, name: str) -> None:
    project_create(name="demo", owner=alice, origin=acting(alice))

    with pytest.raises(UploadError, match="too similar"):
        project_create(name=name, owner=mallory, origin=acting(mallory))
    assert not Role.objects.filter(user=mallory).exists()


@pytest.mark.parametrize("name", ["PIP", "p1p", "P_I-P"])
def test_project_create_refuses_a_prohibited_name_and_its_look_alikes(
        alice: User, name: str) -> None:
    prohibited_name_add(name="pip", reason="the installer", origin=acting(None))

    with pytest.raises(UploadError, match="isn't allowed"):
        project_create(name=name, owner=alice, origin=acting(alice))
    assert not Project.objects.exists()


def test_losing_a_creation_race_leaves_the_callers_transaction_usable(mallory: User) -> None:
    # What a concurrent upload leaves behind: the row appeared after the look-alike check
    # looked (here: a row the check can't see, as its key differs), so the INSERT fails.
    # On PostgreSQL that aborts the whole transaction unless the INSERT had a savepoint.
    Project.objects.create(name="dem0", normalized_name="dem0", confusable_key="elsewhere")
    with transaction.atomic():
        with pytest.raises(UploadError, match="too similar"):
            project_create(name="dem0", owner=mallory, origin=acting(mallory))
        assert Project.objects.count() == 1  # the transaction still answers
    assert not Role.objects.exists()


def test_release_get_finds_the_one_release_of_a_pep440_version(alice: User) -> None:
    demo = project_create(name="demo", owner=alice, origin=acting(alice))

    first = release_insert(project=demo, meta=meta(version="1.0", summary="first"),
                           uploader=alice)

    assert release_get(project=demo, version="1.0.0") == first
    assert release_get(project=demo, version="1") == first
    assert release_get(project=demo, version="1.0.1") is None
    assert Release.objects.get().summary == "first"


def test_the_first_upload_of_a_release_sets_its_metadata(
        alice: User, alice_token: str, make_wheel: MakeDist, make_sdist: MakeDist,
        upload: Upload) -> None:
    first = upload(Client(), alice_token, make_wheel("demo", "1.0", summary="first"))
    # 1.0.0 is the same version as 1.0 under PEP 440, so the same release.
    second = upload(Client(), alice_token, make_sdist("demo", "1.0.0", summary="second"))

    assert (first.status_code, second.status_code) == (200, 200), second.reason_phrase
    release = Release.objects.get()
    assert release.summary == "first"
    assert release.files.count() == 2


def test_a_new_release_is_journaled(alice: User, alice_token: str, make_wheel: MakeDist,
                                    upload: Upload) -> None:
    demo = project_create(name="demo", owner=alice, origin=acting(alice))

    assert upload(Client(), alice_token, make_wheel("demo", "2.0")).status_code == 200

    entries = list(JournalEntry.objects.filter(pk__gt=demo.last_serial).order_by("pk"))
    assert [(e.action, e.version) for e in entries] == [
        ("new release", "2.0"), ("add bdist_wheel file demo-2.0-py3-none-any.whl", "2.0")]
    assert Project.objects.get().last_serial == entries[-1].pk
