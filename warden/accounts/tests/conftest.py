"""Personas and helpers for the account tests.

- alice: a registered user with a password and a verified primary address;
- mallory: a stranger with an account of her own.

allauth's rate limits count in Django's cache, which outlives a test; every test starts
with it empty so one test's failed logins never lock another out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.test import Client

from warden.accounts.models import User
from warden.audit.origin import Interface, Origin

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _empty_rate_limits(request: pytest.FixtureRequest) -> Iterator[None]:
    # The cache lives in the database (settings.CACHES), so only tests with database
    # access can have counted anything.
    uses_db = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db"))
    if uses_db:
        # Set the database up now: autouse fixtures run before the test's own.
        request.getfixturevalue("transactional_db" if "transactional_db" in
                                request.fixturenames else "db")
        cache.clear()
    yield
    if uses_db:
        cache.clear()


def user_with_verified_email(username: str, email: str) -> User:
    user = User.objects.create_user(username=username, email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def alice(db: None) -> User:
    return user_with_verified_email("alice", "alice@example.org")


@pytest.fixture
def mallory(db: None) -> User:
    return user_with_verified_email("mallory", "mallory@example.org")


def log_in(client: Client, login: str, password: str = PASSWORD) -> None:
    """Logs in through the real login form, as a browser does (allauth then records
    that a password was entered, which re-authentication depends on)."""
    response = client.post("/accounts/login/", {"login": login, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]


def link_in_last_mail(path_prefix: str) -> str:
    """The path of the first link in the last sent mail that starts with path_prefix."""
    body = str(mail.outbox[-1].body)
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", body)
    assert match, f"no {path_prefix} link in:\n{body}"
    return match.group(1)


@pytest.fixture
def alice_client(alice: User) -> Client:
    client = Client()
    log_in(client, "alice")
    return client


def age_password_entry(client: Client, seconds: float = 301) -> None:
    """Moves every authentication allauth recorded in the client's session `seconds` into
    the past, as if the password had been typed that long ago."""
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] -= seconds
    session["account_authentication_methods"] = records
    session.save()


def web(actor: User | None = None, *, address: str = "") -> Origin:
    """The origin a page builds for a service: `actor` signed in (None: nobody yet, as at
    the login's second step), from `address`."""
    return Origin(interface=Interface.WEB, actor=actor, address=address)


Delivered = Callable[[], AbstractContextManager[None]]


@pytest.fixture
def notices_delivered(django_capture_on_commit_callbacks: Any,
                      run_tasks: Callable[[], None]) -> Delivered:
    """`with notices_delivered(): ...`: what the block commits runs its on-commit callbacks
    (queueing the notices, as in production), then the task worker runs the queue as
    `warden serve`'s does; after the block, the notices are in `mail.outbox`."""
    @contextmanager
    def delivered() -> Iterator[None]:
        # Notices the test's set-up queued (turning TOTP on, say) are not the block's.
        run_tasks()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            yield
        run_tasks()
    return delivered
