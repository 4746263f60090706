"""A clock the tests set, and helpers to give a persona TOTP through the real service."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client

from warden.accounts.models import User
from warden.accounts.tests.conftest import (  # noqa: F401 (notices_delivered: a fixture here too)
    log_in,
    notices_delivered,
    user_with_verified_email,
    web,
)
from warden.accounts.twofactor import secretbox, services, totp
from warden.accounts.twofactor.tests.softkey import SoftKey

# A fixed secret (RFC 6238's test key), so a failing test can be replayed by hand.
SECRET = base64.b32encode(b"12345678901234567890").decode()
T0 = 1_800_000_000.0
ADD_KEY = "/accounts/2fa/keys/add/"  # a step boundary: 1_800_000_000 / 30 is whole


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def step(self, steps: int = 1) -> None:
        self.now += steps * totp.PERIOD

    @property
    def counter(self) -> int:
        return totp.counter_at(self.now)

    def code(self, secret: str = SECRET, offset: int = 0) -> str:
        return totp.totp_code(secret, self.counter + offset)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(T0)
    monkeypatch.setattr(services, "time", fake)
    return fake


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Iterator[None]:
    cache.clear()
    yield


def totp_on(user: User, clock: Clock, secret: str = SECRET) -> list[str] | None:
    """TOTP for `user` through the service, as the set-up page does; then the clock moves
    two steps on, so every code in the test's window (one step either side) is fresh."""
    codes = services.totp_activate(user=user, secret=secret, code=clock.code(secret),
                                   origin=web(user))
    clock.step(2)
    return codes


def data(user: User, kind: str) -> Any:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.get(user=user, type=kind).data


# The root personas come with TOTP already (the policy needs it elsewhere); here the tests
# set factors up themselves, so alice and bob start with none, but with a password to log in
# with and a verified address (setting a factor up requires one).
@pytest.fixture
def alice(db: None) -> User:
    return user_with_verified_email("alice", "alice@example.org")


@pytest.fixture
def bob(db: None) -> User:
    return user_with_verified_email("bob", "bob@example.org")


@pytest.fixture(autouse=True)
def _relying_party(settings: Any) -> None:
    settings.WARDEN_WEBAUTHN_RP_ID = "localhost"


@pytest.fixture
def alice_client(alice: User) -> Client:
    client = Client()
    log_in(client, "alice")
    return client


def add_key(client: Client, key: SoftKey, *, name: str = "Blue key",
            passkey: bool = False) -> HttpResponse:
    """What the add page and webauthn.js do: fetch options, let the key answer, post."""
    options = client.get(ADD_KEY + ("?passkey=1" if passkey else "?passkey=0"),
                         HTTP_ACCEPT="application/json").json()
    data = {"name": name, "credential": json.dumps(key.register(options["creation_options"]))}
    if passkey:
        data["passkey"] = "on"
    response: HttpResponse = client.post(ADD_KEY, data)
    return response


def setup_secret(client: Client) -> str:
    """The secret the set-up page put (sealed) in the session."""
    from warden.accounts.twofactor.views_manage import TOTP_SETUP_PURPOSE, TOTP_SETUP_SESSION_KEY

    return secretbox.unseal(client.session[TOTP_SETUP_SESSION_KEY], purpose=TOTP_SETUP_PURPOSE)
