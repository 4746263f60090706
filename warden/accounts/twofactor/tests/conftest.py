"""A clock the tests set, and helpers to give a persona TOTP through the real service."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from warden.accounts.models import User
from warden.accounts.twofactor import services, totp

# A fixed secret (RFC 6238's test key), so a failing test can be replayed by hand.
SECRET = base64.b32encode(b"12345678901234567890").decode()
T0 = 1_800_000_000.0  # a step boundary: 1_800_000_000 / 30 is whole


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
    codes = services.totp_activate(request=None, user=user, secret=secret,
                                   code=clock.code(secret))
    clock.step(2)
    return codes


def data(user: User, kind: str) -> Any:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.get(user=user, type=kind).data


# The root personas come with TOTP already (the policy needs it elsewhere); here the tests
# set factors up themselves, so alice and bob start with none.
@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user(username="alice", email="alice@example.invalid")


@pytest.fixture
def bob(db: None) -> User:
    return User.objects.create_user(username="bob", email="bob@example.invalid")
