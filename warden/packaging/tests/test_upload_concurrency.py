"""Uploads racing each other: the database, not luck, decides, and nobody sees a 500.

Each test holds both uploads at the door of their transaction until both have passed every
check made before it, so the race is the one a real deployment can lose."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client

from warden.accounts.models import User
from warden.packaging import publish
from warden.packaging.models import File, Project, Release, Role
from warden.packaging.services import project_create
from warden.packaging.tests.conftest import MakeDist, Upload, acting, files_under

pytestmark = pytest.mark.django_db(transaction=True)


# The test database on SQLite is in memory with a shared cache, where a second writer fails
# at once ("table is locked") instead of waiting as it does on a database file with
# BEGIN IMMEDIATE. There, the threads take turns from their commit onwards, which is what the
# file's write lock would make them do; PostgreSQL runs them truly in parallel.
_turns = threading.Lock()
_state = threading.local()


@pytest.fixture
def racing_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each thread waits at the door of its transaction (its bytes stored, the last step
    before it) until the other thread has reached its own."""
    barrier = threading.Barrier(2, timeout=10)
    original = publish._bytes_store

    def bytes_store(*args: Any, **kwargs: Any) -> Any:
        names = original(*args, **kwargs)
        if not getattr(_state, "waited", False):
            _state.waited = True
            barrier.wait()
            if connection.vendor == "sqlite":
                _turns.acquire()
                _state.has_turn = True
        return names

    monkeypatch.setattr(publish, "_bytes_store", bytes_store)


def race(*attempts: Callable[[], HttpResponse]) -> list[HttpResponse]:
    results: list[Any] = [None] * len(attempts)

    def run(index: int) -> None:
        try:
            results[index] = attempts[index]()
        except BaseException as exc:  # reported by the test, not lost in the thread
            results[index] = exc
        finally:
            connection.close()
            if getattr(_state, "has_turn", False):
                _turns.release()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def test_the_same_file_uploaded_twice_at_once_is_stored_once_and_both_succeed(
        racing_commits: None, alice: User, alice_token: str, make_wheel: MakeDist,
        upload: Upload, storage_dir: Path) -> None:
    project_create(name="demo", owner=alice, origin=acting(alice))
    wheel = make_wheel("demo", "1.0")

    responses = race(lambda: upload(Client(), alice_token, wheel),
                     lambda: upload(Client(), alice_token, wheel))

    assert [r.status_code for r in responses] == [200, 200], [r.reason_phrase for r in responses]
    assert File.objects.count() == 1
    assert Project.objects.get().total_size == wheel.stat().st_size
    path = File.objects.get().path
    assert files_under(storage_dir / "packages") == [path, f"{path}.metadata"]


def test_the_first_file_of_a_new_project_uploaded_twice_at_once_creates_it_once(
        racing_commits: None, alice: User, alice_token: str, make_wheel: MakeDist,
        upload: Upload) -> None:
    wheel = make_wheel("fresh", "1.0")

    responses = race(lambda: upload(Client(), alice_token, wheel),
                     lambda: upload(Client(), alice_token, wheel))

    assert [r.status_code for r in responses] == [200, 200], [r.reason_phrase for r in responses]
    assert Project.objects.count() == 1
    assert File.objects.count() == 1
    assert Role.objects.get().user == alice


def test_a_stranger_racing_to_create_the_same_project_does_not_get_into_it(
        racing_commits: None, alice: User, alice_token: str, mallory_token: str,
        make_wheel: MakeDist, make_sdist: MakeDist, upload: Upload) -> None:
    wheel, sdist = make_wheel("fresh", "1.0"), make_sdist("fresh", "1.0")

    alices, mallorys = race(lambda: upload(Client(), alice_token, wheel),
                            lambda: upload(Client(), mallory_token, sdist))

    statuses = sorted([alices.status_code, mallorys.status_code])
    assert statuses == [200, 403], [alices.reason_phrase, mallorys.reason_phrase]
    winner = User.objects.get(username="alice" if alices.status_code == 200 else "mallory")
    project = Project.objects.get()
    assert list(project.roles.values_list("user", flat=True)) == [winner.pk]
    assert File.objects.count() == 1


def test_two_different_sdists_of_one_release_at_once_leave_one_and_refuse_the_other(
        racing_commits: None, alice: User, alice_token: str, make_sdist: MakeDist,
        upload: Upload, storage_dir: Path) -> None:
    project_create(name="demo", owner=alice, origin=acting(alice))
    tar_gz, zip_sdist = make_sdist("demo", "1.0"), make_sdist("demo", "1.0", fmt="zip")

    responses = race(lambda: upload(Client(), alice_token, tar_gz),
                     lambda: upload(Client(), alice_token, zip_sdist))

    assert sorted(r.status_code for r in responses) == [200, 400]
    refused = next(r for r in responses if r.status_code == 400)
    assert "one sdist" in refused.reason_phrase
    assert Release.objects.get().files.count() == 1
    # The loser's bytes went with its transaction; the winner's stay.
    assert files_under(storage_dir / "packages") == [Release.objects.get().files.get().path]
