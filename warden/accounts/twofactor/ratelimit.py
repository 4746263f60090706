"""Caps on failed second-factor attempts, per account and per client address, per hour and
per day.

A six-digit code has a million values and three are accepted at any moment (one step of
skew either side), so every guess must be counted: with these caps an attacker who already
has the password gets 30 guesses a day at an account, about one chance in 11,000 a day.
Only failures count, so a person who types codes right is never slowed down. Successes do
not clear the count either: one right code must not buy an attacker a fresh allowance.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from warden.accounts.models import SecondFactorFailure, User
from warden.accounts.twofactor.errors import SecondFactorError, TooManyAttempts
from warden.audit.client import ip_hash
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag

T = TypeVar("T")

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# (window, cap): per account, and per address (looser: offices share one address).
PER_USER = ((HOUR, 10), (DAY, 30))
PER_ADDRESS = ((HOUR, 50), (DAY, 200))


def _address(origin: Origin) -> str:
    # Kept hashed, like the audit trail keeps it; none for a command (no address to cap).
    return ip_hash(origin.address)


def _retry_at(failures: QuerySet[SecondFactorFailure], now: datetime,
              limits: tuple[tuple[timedelta, int], ...]) -> datetime | None:
    """When the oldest failure that keeps a window at its cap leaves that window."""
    latest = None
    for window, cap in limits:
        recent = failures.filter(at__gt=now - window).order_by("-at")
        boundary = recent.values_list("at", flat=True)[cap - 1:cap].first()
        if boundary is not None:
            candidate = boundary + window
            latest = candidate if latest is None else max(latest, candidate)
    return latest


def attempts_check(*, user: User, origin: Origin) -> None:
    """Raise TooManyAttempts (with when to try again) if this account or this address has
    used up an hourly or daily allowance of failures. Call it before checking a code, with
    the user's row locked, so parallel attempts are counted one after another."""
    now = timezone.now()
    retry = [_retry_at(SecondFactorFailure.objects.filter(user=user), now, PER_USER)]
    address = _address(origin)
    if address:
        retry.append(_retry_at(SecondFactorFailure.objects.filter(ip_hash=address), now,
                               PER_ADDRESS))
    blocked = [moment for moment in retry if moment is not None]
    if blocked:
        raise TooManyAttempts(max(blocked))


def attempt_failed(*, user: User, origin: Origin) -> None:
    now = timezone.now()
    SecondFactorFailure.objects.create(user=user, ip_hash=_address(origin), at=now)
    # Rows older than the longest window count for nothing; the account's own go here.
    SecondFactorFailure.objects.filter(user=user, at__lt=now - DAY).delete()


def limited_attempt(*, user: User, origin: Origin, check: Callable[[], T]) -> T:
    """Run one second-factor check (a code, a key's answer) of `user`, made from `origin`
    (its address is what the per-address caps count), under the caps. The user's row
    stays locked from the check to the count, so parallel attempts are counted one after
    another. A failure is recorded, counted and committed before it is raised, so it
    counts even though the check's own work is undone."""
    failure: SecondFactorError | None = None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        attempts_check(user=user, origin=origin)
        try:
            with transaction.atomic():
                return check()
        except SecondFactorError as exc:
            failure = exc
            attempt_failed(user=user, origin=origin)
            # Recorded with nobody as its actor, like a wrong password (also on the
            # re-authentication form): whoever failed has not proved who they are.
            record_event(tag=Tag.ACCOUNT_TWO_FACTOR_FAILURE, origin=origin.acting_as(None),
                         user=user, details={"reason": type(exc).__name__})
    raise failure
