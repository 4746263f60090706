"""Caps on failed second-factor attempts: per account and per address, hourly and daily,
with a message that says when to try again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from warden.accounts.models import SecondFactorFailure, User
from warden.accounts.tests.conftest import web
from warden.accounts.twofactor import ratelimit, services
from warden.accounts.twofactor.errors import CodeIncorrect, TooManyAttempts
from warden.accounts.twofactor.tests.conftest import Clock, totp_on
from warden.audit.models import Event
from warden.audit.origin import Origin

pytestmark = pytest.mark.django_db
WRONG = "000000"


def _from(address: str) -> Origin:
    return web(address=address)


def _fail(user: User, times: int, address: str = "198.51.100.7") -> None:
    for _ in range(times):
        with pytest.raises(CodeIncorrect):
            services.second_factor_verify(origin=_from(address), user=user, code=WRONG)


def test_the_hourly_cap_per_account_stops_even_a_right_code(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    _fail(alice, 10)
    with pytest.raises(TooManyAttempts) as refused:
        services.second_factor_verify(origin=_from("198.51.100.7"), user=alice,
                                      code=clock.code())
    retry_in = refused.value.retry_at - timezone.now()
    assert timedelta(minutes=59) < retry_in <= timedelta(hours=1)
    assert "try again after" in str(refused.value.message)
    assert "60 minutes" in str(refused.value.message)


def test_the_account_cap_holds_across_addresses(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    for n in range(10):
        _fail(alice, 1, address=f"198.51.100.{n}")
    with pytest.raises(TooManyAttempts):
        services.second_factor_verify(origin=_from("203.0.113.9"), user=alice, code=WRONG)


def test_refused_attempts_are_not_counted_again(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    _fail(alice, 10)
    for _ in range(5):
        with pytest.raises(TooManyAttempts):
            services.second_factor_verify(origin=web(), user=alice, code=WRONG)
    assert SecondFactorFailure.objects.filter(user=alice).count() == 10


def test_the_hourly_cap_lifts_after_an_hour(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    _fail(alice, 10)
    SecondFactorFailure.objects.update(at=timezone.now() - timedelta(minutes=61))
    services.second_factor_verify(origin=web(), user=alice, code=clock.code())


def test_the_daily_cap_per_account(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    two_hours_ago = timezone.now() - timedelta(hours=2)
    SecondFactorFailure.objects.bulk_create(
        SecondFactorFailure(user=alice, at=two_hours_ago + timedelta(seconds=i))
        for i in range(30))
    with pytest.raises(TooManyAttempts) as refused:
        services.second_factor_verify(origin=web(), user=alice, code=clock.code())
    # The first of the thirty leaves the day's window 22 hours from now.
    retry_in = refused.value.retry_at - timezone.now()
    assert timedelta(hours=21, minutes=59) < retry_in < timedelta(hours=22, minutes=1)


def test_the_hourly_cap_per_address_spans_accounts(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    for n in range(5):
        user = User.objects.create_user(username=f"u{n}")
        totp_on(user, clock)
        _fail(user, 10, address="192.0.2.1")
    with pytest.raises(TooManyAttempts):
        services.second_factor_verify(origin=_from("192.0.2.1"), user=alice,
                                      code=clock.code())
    # The same account from elsewhere is not blocked by that address's failures.
    services.second_factor_verify(origin=_from("192.0.2.2"), user=alice, code=clock.code())


def test_successes_do_not_reset_the_count(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    _fail(alice, 9)
    services.second_factor_verify(origin=web(), user=alice, code=clock.code())
    _fail(alice, 1)
    with pytest.raises(TooManyAttempts):
        services.second_factor_verify(origin=web(), user=alice, code=WRONG)


def test_each_failure_is_audited_without_the_code(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    _fail(alice, 2)
    events = Event.objects.filter(tag="account:two_factor:failure", user_id=alice.pk)
    assert events.count() == 2
    assert all(WRONG not in str(e.details) for e in events)


def test_old_failures_of_the_account_are_cleared(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    SecondFactorFailure.objects.create(user=alice, at=timezone.now() - timedelta(days=2))
    _fail(alice, 1)
    assert SecondFactorFailure.objects.filter(user=alice).count() == 1


def test_the_caps_are_an_hour_and_a_day() -> None:
    assert [window for window, _cap in ratelimit.PER_USER] == [ratelimit.HOUR, ratelimit.DAY]
    assert [window for window, _cap in ratelimit.PER_ADDRESS] == [ratelimit.HOUR,
                                                                  ratelimit.DAY]
