"""Multi-letter look-alikes of project names (`garnma` for `gamma`) are refused, and the keys
stored before the rule learnt them are recomputed by migration 0006."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from warden.accounts.models import User
from warden.packaging.errors import UploadError
from warden.packaging.models import ProhibitedName, Project
from warden.packaging.services import prohibited_name_add, project_create
from warden.packaging.tests.conftest import acting

pytestmark = pytest.mark.django_db

migration = importlib.import_module("warden.packaging.migrations.0006_recompute_confusable_keys")


@pytest.mark.parametrize(("existing", "lookalike"), [
    ("gamma", "garnma"), ("delta", "clelta"), ("wheel", "vvheel"), ("common", "connmon"),
    ("django", "cijango"),
])
def test_project_create_refuses_a_multi_letter_look_alike_of_an_existing_project(
        alice: User, mallory: User, existing: str, lookalike: str) -> None:
    project_create(name=existing, owner=alice, origin=acting(alice))

    with pytest.raises(UploadError, match="too similar"):
        project_create(name=lookalike, owner=mallory, origin=acting(mallory))
    assert not Project.objects.filter(name=lookalike).exists()


def test_project_create_refuses_a_multi_letter_look_alike_of_a_prohibited_name(
        alice: User) -> None:
    prohibited_name_add(name="requests-mock", reason="reserved", origin=acting(None))

    with pytest.raises(UploadError, match="isn't allowed"):
        project_create(name="requests-rnock", owner=alice, origin=acting(alice))


def test_honest_near_names_can_both_be_created(alice: User, mallory: User) -> None:
    project_create(name="numpy", owner=alice, origin=acting(alice))
    project_create(name="numba", owner=mallory, origin=acting(mallory))
    assert Project.objects.count() == 2


def _old_project(name: str) -> Project:
    # A row as the rule before migration 0006 stored it.
    return Project.objects.create(name=name, normalized_name=name,
                                  confusable_key=migration._old_key(name))


def test_the_migration_gives_existing_projects_the_new_key(alice: User,
                                                            mallory: User) -> None:
    _old_project("clelta")
    migration.forwards(apps, None)

    assert Project.objects.get(name="clelta").confusable_key == "delta"
    with pytest.raises(UploadError, match="too similar to the existing project 'clelta'"):
        project_create(name="delta", owner=mallory, origin=acting(mallory))


def test_projects_that_only_now_look_alike_both_keep_working_and_block_new_look_alikes(
        mallory: User) -> None:
    # `garnma` registered first, `gamma` later: both existed before the rule learnt `rn`.
    _old_project("garnma")
    _old_project("gamma")
    migration.forwards(apps, None)

    keys = dict(Project.objects.values_list("name", "confusable_key"))
    assert keys == {"gamma": "gamma", "garnma": "garnma"}
    with pytest.raises(UploadError, match="too similar"):
        project_create(name="gannma", owner=mallory, origin=acting(mallory))


def test_the_migration_recomputes_prohibited_names_and_can_be_reversed() -> None:
    ProhibitedName.objects.create(normalized_name="rnypkg", confusable_key="rnypkg")
    _old_project("clelta")

    migration.forwards(apps, None)
    assert ProhibitedName.objects.get().confusable_key == "mypkg"

    migration.backwards(apps, None)
    assert ProhibitedName.objects.get().confusable_key == "rnypkg"
    assert Project.objects.get().confusable_key == "clelta"
