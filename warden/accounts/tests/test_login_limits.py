"""Caps on failed passwords: counted per account whatever it was called and whichever host
name was used, and per client address; a right password while locked out is refused
exactly like a wrong one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from warden.accounts.models import LoginFailure, User
from warden.accounts.tests.conftest import PASSWORD, user_with_verified_email
from warden.audit.models import Event
from warden.audit.vocabulary import Tag

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "wrong" * 3
LOCKED = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def _both_host_names(settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]


def attempt(login: str, password: str = WRONG, *, host: str = "localhost:8000",
            address: str = "198.51.100.7") -> tuple[Client, str]:
    client = Client(HTTP_HOST=host, REMOTE_ADDR=address)
    response = client.post(LOGIN, {"login": login, "password": password})
    return client, response.content.decode()


def logged_in(client: Client) -> bool:
    return client.session.get("_auth_user_id") is not None


def fail(times: int, login: str, **kwargs: str) -> None:
    for _ in range(times):
        _client, page = attempt(login, **kwargs)
        assert LOCKED not in page


def test_failures_by_username_lock_the_account_by_email_address_too(alice):
    fail(5, "alice")
    client, page = attempt("alice@example.org", PASSWORD)
    assert LOCKED in page and not logged_in(client)


def test_failures_by_email_address_lock_the_account_by_username_too(alice):
    fail(5, "ALICE@example.org")
    client, page = attempt("Alice", PASSWORD)
    assert LOCKED in page and not logged_in(client)


def test_another_spelling_of_the_host_does_not_open_a_locked_account(alice):
    fail(5, "alice", host="localhost:8000")
    client, page = attempt("alice", PASSWORD, host="127.0.0.1:8000")
    assert LOCKED in page and not logged_in(client)


def test_another_address_does_not_open_a_locked_account(alice):
    fail(5, "alice", address="198.51.100.7")
    client, page = attempt("alice", PASSWORD, address="203.0.113.9")
    assert LOCKED in page and not logged_in(client)


def without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_a_right_password_while_locked_is_refused_like_a_wrong_one(alice):
    fail(5, "alice")
    right_client, right = attempt("alice", PASSWORD)
    wrong_client, wrong = attempt("alice", WRONG)
    assert not logged_in(right_client) and not logged_in(wrong_client)
    assert LOCKED in right
    assert without_csrf(right) == without_csrf(wrong)


def test_the_refusal_says_when_to_try_again(alice):
    fail(5, "alice")
    _client, page = attempt("alice", PASSWORD)
    assert re.search(r"try again after .+ \(in about 15 minutes\)", page), page


def test_a_name_no_account_has_locks_after_as_many_failures_as_a_real_one(alice):
    fail(5, "nobody")
    _client, page = attempt("nobody")
    # Otherwise the lock-out itself would tell which names have accounts.
    assert LOCKED in page


def test_one_address_is_capped_across_many_accounts(settings, alice):
    settings.WARDEN_LOGIN_LIMIT_PER_ADDRESS = 4
    for i in range(4):
        fail(1, f"guess{i}", address="198.51.100.7")
    client, page = attempt("alice", PASSWORD, address="198.51.100.7")
    assert LOCKED in page and not logged_in(client)
    # Somebody else, elsewhere, is not held up by that address.
    client, page = attempt("alice", PASSWORD, address="203.0.113.9")
    assert logged_in(client)


def test_the_caps_are_settings(settings, alice):
    settings.WARDEN_LOGIN_LIMIT_PER_ACCOUNT = 2
    fail(2, "alice")
    _client, page = attempt("alice", PASSWORD)
    assert LOCKED in page


def test_the_daily_cap_holds_after_the_short_window_has_passed(settings, alice):
    settings.WARDEN_LOGIN_LIMIT_PER_ACCOUNT_DAY = 8
    fail(5, "alice")
    for failure in LoginFailure.objects.all():
        failure.at -= timedelta(minutes=16)
        failure.save()
    fail(3, "alice")
    client, page = attempt("alice", PASSWORD)
    assert LOCKED in page and not logged_in(client)


def test_the_lock_lifts_when_the_window_has_passed(alice):
    fail(5, "alice")
    for failure in LoginFailure.objects.all():
        failure.at -= timedelta(minutes=15, seconds=1)
        failure.save()
    client, _page = attempt("alice", PASSWORD)
    assert logged_in(client)


def test_a_success_does_not_clear_the_count(alice):
    fail(4, "alice")
    client, _page = attempt("alice", PASSWORD)
    assert logged_in(client)
    fail(1, "alice")
    _client, page = attempt("alice", PASSWORD)
    assert LOCKED in page


def test_a_failed_login_is_still_recorded_on_the_account(alice):
    fail(1, "alice@example.org")
    events = Event.objects.filter(tag=Tag.ACCOUNT_LOGIN_FAILURE)
    assert [e.user_id for e in events] == [alice.pk]


def test_another_account_is_not_locked_by_failures_on_one(alice):
    user_with_verified_email("bob", "bob@example.org")
    fail(5, "alice")
    client, _page = attempt("bob", PASSWORD, address="203.0.113.9")
    assert logged_in(client)


def test_failed_re_authentication_counts_towards_the_account_cap(alice):
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.post(LOGIN, {"login": "alice", "password": PASSWORD})
    for _ in range(5):
        client.post("/accounts/reauthenticate/", {"password": WRONG})
    page = client.post("/accounts/reauthenticate/", {"password": PASSWORD}).content.decode()
    assert LOCKED in page
    _client, page = attempt("alice", PASSWORD)
    assert LOCKED in page


def test_the_failures_are_counted_per_account_not_per_name(alice):
    fail(2, "alice")
    fail(2, "alice@example.org")
    assert LoginFailure.objects.filter(user=alice).count() == 4
    assert not LoginFailure.objects.filter(user=None).exists()
    assert User.objects.count() == 1
