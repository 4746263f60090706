"""Services on projects and releases: the journal and its serials, project creation."""

from __future__ import annotations

import pytest
from django.db import transaction
from packaging.metadata import Metadata

from warden.accounts.models import User
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
    journal_add,
    prohibited_name_add,
    project_create,
    release_get,
    release_get_or_create,
)

pytestmark = pytest.mark.django_db


def meta(name: str = "demo", version: str = "1.0", **fields: str) -> Metadata:
    return Metadata.from_raw({"metadata_version": "2.1", "name": name, "version": version,
                              **fields})  # type: ignore[typeddict-item]


def test_journal_serials_increase_and_the_project_keeps_the_latest(alice: User) -> None:
    demo = project_create(name="demo", owner=alice)
    other = project_create(name="other", owner=alice)

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
    demo = project_create(name="demo", owner=alice)
    first = journal_add(project=demo, action="a")
    JournalEntry.objects.filter(pk__gte=first).delete()

    # Mirrors resume from the last serial they saw; a reused one would hide a change.
    assert journal_add(project=demo, action="b") > first


def test_project_create_makes_the_creator_its_owner(alice: User) -> None:
    project = project_create(name="My.Project", owner=alice)

    assert (project.name, project.normalized_name) == ("My.Project", "my-project")
    assert list(Role.objects.filter(project=project).values_list("user", "role_name")) == [
        (alice.pk, RoleName.OWNER)]


def test_project_create_journals_the_creation_and_lists_the_project(alice: User) -> None:
    project = project_create(name="demo", owner=alice)

    entry = JournalEntry.objects.get(name="demo")
    assert (entry.action, entry.submitted_by) == ("create", alice)
    assert project.last_serial == entry.pk
    assert SimplePage.objects.filter(key="").exists()


@pytest.mark.parametrize("name", ["dem0", "DEMO", "de-mo", "d_e_m_o"])
def test_project_create_refuses_a_name_confusable_with_an_existing_one(
        alice: User, mallory: User, name: str) -> None:
    project_create(name="demo", owner=alice)

    with pytest.raises(UploadError, match="too similar"):
        project_create(name=name, owner=mallory)
    assert not Role.objects.filter(user=mallory).exists()


@pytest.mark.parametrize("name", ["PIP", "p1p", "P_I-P"])
def test_project_create_refuses_a_prohibited_name_and_its_look_alikes(
        alice: User, name: str) -> None:
    prohibited_name_add(name="pip", reason="the installer")

    with pytest.raises(UploadError, match="isn't allowed"):
        project_create(name=name, owner=alice)
    assert not Project.objects.exists()


def test_losing_a_creation_race_leaves_the_callers_transaction_usable(mallory: User) -> None:
    # What a concurrent upload leaves behind: the row appeared after the look-alike check
    # looked (here: a row the check can't see, as its key differs), so the INSERT fails.
    # On PostgreSQL that aborts the whole transaction unless the INSERT had a savepoint.
    Project.objects.create(name="dem0", normalized_name="dem0", confusable_key="elsewhere")
    with transaction.atomic():
        with pytest.raises(UploadError, match="too similar"):
            project_create(name="dem0", owner=mallory)
        assert Project.objects.count() == 1  # the transaction still answers
    assert not Role.objects.exists()


def test_release_get_or_create_returns_one_release_per_pep440_version(alice: User) -> None:
    demo = project_create(name="demo", owner=alice)

    first = release_get_or_create(project=demo, meta=meta(version="1.0", summary="first"),
                                  uploader=alice)
    again = release_get_or_create(project=demo, meta=meta(version="1.0.0", summary="second"),
                                  uploader=alice)

    assert again.pk == first.pk
    assert Release.objects.get().summary == "first"  # the first upload sets the metadata
    assert release_get(project=demo, version="1") == first
    assert release_get(project=demo, version="1.0.1") is None


def test_a_new_release_is_journaled(alice: User) -> None:
    demo = project_create(name="demo", owner=alice)

    release_get_or_create(project=demo, meta=meta(version="2.0"), uploader=alice)

    entry = JournalEntry.objects.latest("pk")
    assert (entry.action, entry.version) == ("new release", "2.0")
    assert Project.objects.get().last_serial == entry.pk
