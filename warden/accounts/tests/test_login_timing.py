"""Account enumeration by timing: every failed login costs exactly one password hash,
whether the name is a username or an address, known or not, the account enabled or not.
Counted by wrapping the hashers (what the time is spent on), not by a stopwatch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.hashers import get_hashers
from django.test import Client

from warden.accounts.models import User
from warden.accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "wrong" * 3


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each password hash computed (a new one, or one checked against a stored one)."""
    done: list[str] = []

    def counted(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            done.append(name)
            return method(*args, **kwargs)
        return wrapper

    for hasher in get_hashers():
        for name in ("encode", "verify"):
            monkeypatch.setattr(hasher, name, counted(f"{hasher.algorithm}.{name}",
                                                      getattr(hasher, name)))
    yield done


def failed_login(login: str, password: str = WRONG) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"login": login, "password": password})
    assert client.session.get("_auth_user_id") is None
    assert response.status_code in (200, 302)


@pytest.mark.parametrize("login", [
    "nobody",
    "nobody@example.org",
    "alice",
    "ALICE",
    "alice@example.org",
    "Alice@Example.org",
])
def test_a_failed_login_costs_exactly_one_password_hash(alice, hashes, login):
    failed_login(login)
    assert len(hashes) == 1, hashes


def test_a_disabled_account_costs_one_password_hash_too(alice, hashes):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    failed_login("alice")
    failed_login("alice@example.org", PASSWORD)
    assert len(hashes) == 2, hashes


def test_an_account_without_a_usable_password_costs_one_hash_too(alice, hashes):
    alice.set_unusable_password()
    alice.save()
    hashes.clear()
    failed_login("alice")
    assert len(hashes) == 1, hashes


def test_a_locked_out_attempt_costs_one_hash_too(alice, hashes):
    for _ in range(5):
        failed_login("alice")
    for login, password in (("alice", PASSWORD), ("alice", WRONG)):
        hashes.clear()
        failed_login(login, password)
        assert len(hashes) == 1, (login, hashes)


def test_every_failure_uses_the_default_hasher(alice, hashes):
    # A throwaway hash with a cheaper hasher than the accounts' would be told apart.
    failed_login("nobody")
    failed_login("alice")
    default = get_hashers()[0].algorithm
    assert [h.split(".")[0] for h in hashes] == [default, default]
