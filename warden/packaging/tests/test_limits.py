"""The caps on new projects and uploads (warden.packaging.limits): the spammer is stopped,
per account and per address, with a 429 that says when to come back; a release pipeline is
not; retries of the same bytes and operators' imports are never counted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.origin import Interface, Origin
from warden.audit.vocabulary import Tag
from warden.packaging.importer import import_file
from warden.packaging.limits import LimitReached
from warden.packaging.models import File, Project
from warden.packaging.services import project_create, project_delete
from warden.packaging.tests.conftest import MakeDist, Upload, files_under
from warden.packaging.tests.test_upload_concurrency import race, racing_commits
from warden.web.audit.sentences import event_sentence

pytestmark = pytest.mark.django_db

# The race's fixture, shared with the upload races.
racing_commits = racing_commits
HOME, OFFICE = "203.0.113.7", "198.51.100.9"
NAMES = [f"spam-{letter}" for letter in "abcdefghijkl"]
DAY = 24 * 3600


@pytest.fixture
def caps(settings: Any) -> Any:
    """`caps(projects_user=, projects_address=, uploads_user=, uploads_address=)`: lower
    (or turn off, with 0) the caps this test is about; the others keep their defaults."""
    def set_caps(**caps: int) -> None:
        for key, value in caps.items():
            what, scope = key.split("_")
            unit = "DAY" if what == "projects" else "HOUR"
            setattr(settings, f"WARDEN_LIMIT_{what.upper()}_PER_"
                    f"{'USER' if scope == 'user' else 'ADDRESS'}_{unit}", value)
    return set_caps


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def new_project(upload: Upload, make_wheel: MakeDist, token: str, name: str,
                address: str = HOME) -> Any:
    return upload(from_address(address), token, make_wheel(name, "1.0"))


def assert_limited(response: Any, *parts: str) -> int:
    """The response is a 429 whose reason phrase and body say `parts`; its Retry-After."""
    reason = response.reason_phrase
    assert response.status_code == 429, (response.status_code, reason)
    for part in parts:
        assert part in reason, reason
        assert part in response.content.decode(), response.content
    return int(response["Retry-After"])


def web_origin(user: User, address: str = HOME) -> Origin:
    return Origin(interface=Interface.WEB, actor=user, address=address)


# --- the attack: one account, then many accounts from one address ---------------------------


def test_an_account_creating_projects_past_its_daily_cap_gets_429_with_when_to_retry(
        caps: Any, alice_token: str, upload: Upload, make_wheel: MakeDist,
        storage_dir: Path) -> None:
    caps(projects_user=3)
    for name in NAMES[:3]:
        assert new_project(upload, make_wheel, alice_token, name).status_code == 200
    stored = files_under(storage_dir)

    refused = new_project(upload, make_wheel, alice_token, NAMES[3])

    retry_after = assert_limited(
        refused, "Too many new projects: this account may create 3 projects a day.",
        "Try again in 1 day.")
    assert DAY - 120 < retry_after <= DAY
    assert not Project.objects.filter(normalized_name=NAMES[3]).exists()
    # Refused before the bytes reached storage: a flood costs no disk.
    assert files_under(storage_dir) == stored


def test_a_second_account_from_the_same_address_is_capped_per_address(
        caps: Any, alice_token: str, mallory_token: str, upload: Upload,
        make_wheel: MakeDist) -> None:
    caps(projects_user=3, projects_address=4)
    for name in NAMES[:3]:
        assert new_project(upload, make_wheel, alice_token, name).status_code == 200
    assert new_project(upload, make_wheel, mallory_token, NAMES[3]).status_code == 200

    refused = new_project(upload, make_wheel, mallory_token, NAMES[4])

    assert_limited(refused, "Too many new projects from your network address: it may create "
                            "4 projects a day.")
    # The same account elsewhere still has most of its own allowance.
    assert new_project(upload, make_wheel, mallory_token, NAMES[5],
                       address=OFFICE).status_code == 200


def test_the_cap_counts_the_account_whatever_its_username_or_address(
        caps: Any, alice: User, alice_token: str, upload: Upload,
        make_wheel: MakeDist) -> None:
    caps(projects_user=2)
    for name in NAMES[:2]:
        assert new_project(upload, make_wheel, alice_token, name).status_code == 200
    alice.username = "alice-renamed"
    alice.save(update_fields=["username"])

    refused = new_project(upload, make_wheel, alice_token, NAMES[2], address=OFFICE)

    assert_limited(refused, "this account may create 2 projects a day")


def test_deleting_a_project_does_not_give_back_its_place_under_the_cap(
        caps: Any, alice: User, alice_token: str, upload: Upload,
        make_wheel: MakeDist) -> None:
    caps(projects_user=2)
    for name in NAMES[:2]:
        assert new_project(upload, make_wheel, alice_token, name).status_code == 200
    project_delete(project=Project.objects.get(normalized_name=NAMES[0]),
                   confirm_name=NAMES[0], origin=web_origin(alice))

    assert_limited(new_project(upload, make_wheel, alice_token, NAMES[2]), "Too many")


def test_the_allowance_comes_back_once_the_oldest_creation_leaves_the_day(
        caps: Any, alice_token: str, upload: Upload, make_wheel: MakeDist,
        monkeypatch: pytest.MonkeyPatch) -> None:
    caps(projects_user=2)
    for name in NAMES[:2]:
        assert new_project(upload, make_wheel, alice_token, name).status_code == 200
    retry_after = assert_limited(new_project(upload, make_wheel, alice_token, NAMES[2]))
    later = timezone.now() + timedelta(seconds=retry_after + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert new_project(upload, make_wheel, alice_token, NAMES[2]).status_code == 200


def test_the_page_service_for_new_projects_is_capped_too(caps: Any, alice: User) -> None:
    caps(projects_user=2)
    for name in NAMES[:2]:
        project_create(name=name, owner=alice, origin=web_origin(alice))

    with pytest.raises(LimitReached) as refused:
        project_create(name=NAMES[2], owner=alice, origin=web_origin(alice))

    assert refused.value.scope == "account" and refused.value.retry_after > 0
    assert not Project.objects.filter(normalized_name=NAMES[2]).exists()
    # Recorded though the refused transaction was rolled back.
    assert Event.objects.filter(tag=Tag.ACCOUNT_PROJECT_LIMIT_REACHED, user_id=alice.pk).exists()


# --- uploads --------------------------------------------------------------------------------


def test_uploads_past_the_hourly_cap_are_refused_but_retries_of_the_same_bytes_never_count(
        caps: Any, alice_token: str, upload: Upload, make_wheel: MakeDist) -> None:
    caps(uploads_user=2)
    client = from_address(HOME)
    first = make_wheel("demo", "1.0")
    assert upload(client, alice_token, first).status_code == 200
    for _ in range(3):  # twine retrying, a CI job re-run
        again = upload(client, alice_token, first)
        assert again.status_code == 200 and b"already uploaded" in again.content
    assert upload(client, alice_token, make_wheel("demo", "1.1")).status_code == 200

    refused = upload(client, alice_token, make_wheel("demo", "1.2"))

    assert_limited(refused, "Too many uploads: this account may upload 2 files an hour.",
                   "Try again in")
    assert not File.objects.filter(release__version="1.2").exists()
    # Over the cap, a retry of what was accepted is still the no-op it always is.
    assert upload(client, alice_token, first).status_code == 200


PYTHONS = ["cp38", "cp39", "cp310", "cp311", "cp312", "cp313", "cp314", "cp313t", "cp314t",
           "pp310"]
PLATFORMS = ["manylinux_2_17_x86_64", "manylinux_2_17_aarch64", "manylinux_2_17_i686",
             "musllinux_1_2_x86_64", "musllinux_1_2_aarch64", "macosx_10_9_x86_64",
             "macosx_11_0_arm64", "win_amd64", "win32", "win_arm64"]


def test_a_release_pipeline_uploading_a_hundred_wheels_passes_the_default_caps(
        alice_token: str, upload: Upload, make_wheel: MakeDist) -> None:
    client = from_address(HOME)  # one CI runner, one address, one token
    tags = [f"{python}-{python if python.startswith('cp') else 'pypy310_pp73'}-{platform}"
            for python in PYTHONS for platform in PLATFORMS]
    assert len(tags) == 100

    statuses = [upload(client, alice_token, make_wheel("bigwheel", "1.0", tag=tag)).status_code
                for tag in tags]

    assert statuses == [200] * 100
    assert File.objects.filter(release__project__normalized_name="bigwheel").count() == 100


# --- the audit trail, the switches, the exemptions ------------------------------------------


def test_a_refusal_is_recorded_once_an_hour_however_often_the_client_retries(
        caps: Any, alice: User, alice_token: str, upload: Upload,
        make_wheel: MakeDist) -> None:
    caps(projects_user=1)
    assert new_project(upload, make_wheel, alice_token, NAMES[0]).status_code == 200
    for name in NAMES[1:5]:
        assert new_project(upload, make_wheel, alice_token, name).status_code == 429

    events = list(Event.objects.filter(tag=Tag.ACCOUNT_PROJECT_LIMIT_REACHED))

    assert len(events) == 1
    event = events[0]
    assert (event.user_id, event.actor_id) == (alice.pk, alice.pk)
    assert event.token_description == "ci"
    assert event.details["scope"] == "account" and event.details["cap"] == 1
    assert event_sentence(event).startswith(
        "Token 'ci' was refused a new project: the limit on new projects was reached from ")


def test_a_cap_of_zero_turns_the_limit_off(caps: Any, alice_token: str, upload: Upload,
                                           make_wheel: MakeDist) -> None:
    caps(projects_user=0, projects_address=0, uploads_user=0, uploads_address=0)

    statuses = [new_project(upload, make_wheel, alice_token, name).status_code
                for name in NAMES[:4]]

    assert statuses == [200] * 4
    assert not Event.objects.filter(tag__in=[Tag.ACCOUNT_PROJECT_LIMIT_REACHED,
                                             Tag.ACCOUNT_UPLOAD_LIMIT_REACHED]).exists()


def test_an_operators_import_is_neither_capped_nor_counted(
        caps: Any, alice: User, alice_token: str, upload: Upload,
        make_wheel: MakeDist) -> None:
    caps(projects_user=1, projects_address=1, uploads_user=1, uploads_address=1)
    origin = Origin.command("warden import", actor=alice)

    for name in NAMES[:3]:
        import_file(path=make_wheel(name, "1.0"), owner=alice, origin=origin)

    assert Project.objects.count() == 3
    # alice's own allowance is untouched by what the operator imported in her name.
    assert new_project(upload, make_wheel, alice_token, NAMES[3]).status_code == 200


# --- races: the count under the lock decides ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_account_racing_two_new_projects_past_its_cap_gets_one(
        racing_commits: None, caps: Any, alice_token: str, upload: Upload,
        make_wheel: MakeDist) -> None:
    caps(projects_user=1)
    first, second = make_wheel(NAMES[0], "1.0"), make_wheel(NAMES[1], "1.0")

    responses = race(lambda: upload(from_address(HOME), alice_token, first),
                     lambda: upload(from_address(OFFICE), alice_token, second))

    assert sorted(r.status_code for r in responses) == [200, 429], [
        r.reason_phrase for r in responses]
    assert Project.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_accounts_racing_from_one_address_past_its_cap_get_one_new_project(
        racing_commits: None, caps: Any, alice_token: str, mallory_token: str,
        upload: Upload, make_wheel: MakeDist) -> None:
    caps(projects_address=1)
    first, second = make_wheel(NAMES[0], "1.0"), make_wheel(NAMES[1], "1.0")

    responses = race(lambda: upload(from_address(HOME), alice_token, first),
                     lambda: upload(from_address(HOME), mallory_token, second))

    assert sorted(r.status_code for r in responses) == [200, 429], [
        r.reason_phrase for r in responses]
    assert Project.objects.count() == 1
