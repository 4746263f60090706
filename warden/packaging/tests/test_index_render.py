"""The root index is published by the signer after the change commits, once per batch of
new projects, and lists every project whose creation committed, whatever its serial."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Max
from django.test import Client

from warden.accounts.models import User
from warden.packaging import pages, publisher
from warden.packaging.models import JournalEntry, SimplePage
from warden.packaging.pages import INDEX_KEY, page_path
from warden.packaging.services import project_create
from warden.packaging.tests.conftest import MakeDist, Upload, acting

pytestmark = pytest.mark.django_db


def index_state() -> tuple[int, str, str]:
    page = SimplePage.objects.get(key=INDEX_KEY)
    return page.serial, page.html_sha256, page.json_sha256


def index_projects() -> list[str]:
    page = SimplePage.objects.get(key=INDEX_KEY)
    with default_storage.open(page_path(page.json_sha256), "rb") as fh:
        return [p["name"] for p in json.loads(fh.read())["projects"]]


@pytest.fixture
def index_renders(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[str, str]]]:
    """The project lists the root index is rendered from, one per render."""
    rendered: list[list[tuple[str, str]]] = []
    original = pages.index_render

    def index_render(*, projects: Iterable[tuple[str, str]]) -> tuple[bytes, bytes]:
        listed = list(projects)
        rendered.append(listed)
        return original(projects=listed)

    monkeypatch.setattr(publisher, "index_render", index_render)
    return rendered


def test_creating_a_project_leaves_the_root_index_as_it_was_until_the_signer_runs(
        alice: User, run_tasks: Callable[[], None]) -> None:
    run_tasks()
    before = index_state()

    project_create(name="fresh", owner=alice, origin=acting(alice))

    assert index_state() == before  # not rendered inside the creation's transaction
    run_tasks()
    assert index_state() != before
    assert index_projects() == ["fresh"]


def test_an_upload_that_creates_a_project_leaves_the_root_index_to_the_signer(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        run_tasks: Callable[[], None]) -> None:
    run_tasks()
    before = index_state()

    assert upload(client, alice_token, make_wheel("fresh", "1.0")).status_code == 200

    assert index_state() == before
    run_tasks()
    assert index_projects() == ["fresh"]


def test_many_new_projects_render_the_root_index_once_at_the_latest_serial(
        alice: User, run_tasks: Callable[[], None],
        index_renders: list[list[tuple[str, str]]]) -> None:
    names = ["one", "two", "three", "four"]
    for name in names:
        project_create(name=name, owner=alice, origin=acting(alice))
    assert index_renders == []  # nothing rendered while the changes were made

    run_tasks()

    assert len(index_renders) == 1
    assert sorted(normalized for _, normalized in index_renders[0]) == sorted(names)
    latest = JournalEntry.objects.aggregate(latest=Max("pk"))["latest"]
    assert SimplePage.objects.get(key=INDEX_KEY).serial == latest
    assert sorted(index_projects()) == sorted(names)


def test_each_burst_of_new_projects_renders_the_root_index_once(
        alice: User, run_tasks: Callable[[], None],
        index_renders: list[list[tuple[str, str]]]) -> None:
    for name in ("one", "two"):
        project_create(name=name, owner=alice, origin=acting(alice))
    run_tasks()
    for name in ("three", "four"):
        project_create(name=name, owner=alice, origin=acting(alice))
    run_tasks()

    assert [sorted(n for _, n in listed) for listed in index_renders] == [
        ["one", "two"], ["four", "one", "three", "two"]]


def test_a_project_whose_change_commits_after_a_newer_serial_is_still_listed(
        alice: User, run_tasks: Callable[[], None]) -> None:
    # On PostgreSQL journal serials come from a sequence: a creation can take serial 1,
    # commit after another creation took serial 2, and find the index already rendered at
    # serial 2 without it. Simulated here by a page that claims a serial beyond the change's.
    project_create(name="two", owner=alice, origin=acting(alice))
    run_tasks()
    SimplePage.objects.filter(key=INDEX_KEY).update(serial=10**9)

    project_create(name="one", owner=alice, origin=acting(alice))
    run_tasks()

    assert sorted(index_projects()) == ["one", "two"]


@pytest.mark.django_db(transaction=True)
def test_a_creation_that_commits_after_a_later_serial_reaches_the_index_on_postgresql(
        alice: User, run_tasks: Callable[[], None]) -> None:
    # The real race: "one" takes the first serial and commits only after "two" (a later
    # serial) has committed and the index was rendered without it.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs writing transactions one at a time")
    created, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def create_slowly() -> None:
        try:
            with transaction.atomic():
                project_create(name="one", owner=alice, origin=acting(alice))
                created.set()
                assert release.wait(20)
        except BaseException as exc:
            errors.append(exc)
            created.set()
        finally:
            connection.close()

    thread = threading.Thread(target=create_slowly)
    thread.start()
    assert created.wait(20)
    project_create(name="two", owner=alice, origin=acting(alice))
    run_tasks()
    assert index_projects() == ["two"]
    release.set()
    thread.join(30)
    assert not errors, errors
    run_tasks()

    assert sorted(index_projects()) == ["one", "two"]
