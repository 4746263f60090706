"""Caps on failed passwords, per account and per client address.

Counted per account (its primary key), never per typed name: the account is open to
exactly as many guesses whether they come by username, by any of its addresses, or through
any spelling of the Host header. A name no account has is counted by a keyed hash of the
name, so it locks after as many failures as a real one and a lock-out tells nobody whether
the account exists. Successes never clear the count: a right password now and then must
not buy an attacker a fresh allowance.

Rows, not cache counters (like `warden.accounts.twofactor.ratelimit`): counted under the
account's row lock, parallel attempts on one account are counted one after another.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import ngettext

from warden.accounts.models import LoginFailure, User
from warden.audit.client import ip_hash

DAY = timedelta(days=1)

Limits = tuple[tuple[timedelta, int], ...]


class TooManyLoginFailures(ValidationError):
    """Sign-in refused without looking at the password. A ValidationError so that every
    form that checks a password (login, re-authentication, the admin's) shows it as the
    form's error; Django's `authenticate()` lets it through from the backend."""

    def __init__(self, retry_at: datetime) -> None:
        self.retry_at = retry_at
        minutes = max(1, int((retry_at - timezone.now()).total_seconds() + 59) // 60)
        # Says when, and the same whatever the password was: a right password typed while
        # locked out must not be told apart from a wrong one.
        super().__init__(ngettext(
            "Too many failed login attempts. For your account's safety, try again after "
            "%(time)s (in about %(minutes)d minute).",
            "Too many failed login attempts. For your account's safety, try again after "
            "%(time)s (in about %(minutes)d minutes).", minutes) % {
                "time": date_format(timezone.localtime(retry_at), "DATETIME_FORMAT"),
                "minutes": minutes}, code="too_many_login_attempts")


def login_hash(login: str) -> str:
    """A keyed hash of a typed name, case-folded: how attempts on unknown names are counted
    (the name itself, perhaps a password typed in the wrong field, is never stored)."""
    key = hmac.new(settings.SECRET_KEY.encode(), b"warden-login-name", hashlib.sha256).digest()
    return hmac.new(key, login.strip().casefold().encode(), hashlib.sha256).hexdigest()


def _per_account() -> Limits:
    window = timedelta(minutes=settings.WARDEN_LOGIN_LOCKOUT_MINUTES)
    return ((window, settings.WARDEN_LOGIN_LIMIT_PER_ACCOUNT),
            (DAY, settings.WARDEN_LOGIN_LIMIT_PER_ACCOUNT_DAY))


def _per_address() -> Limits:
    window = timedelta(minutes=settings.WARDEN_LOGIN_LOCKOUT_MINUTES)
    return ((window, settings.WARDEN_LOGIN_LIMIT_PER_ADDRESS),
            (DAY, settings.WARDEN_LOGIN_LIMIT_PER_ADDRESS_DAY))


def _retry_at(failures: QuerySet[LoginFailure], now: datetime,
              limits: Limits) -> datetime | None:
    """When the oldest failure that keeps a window at its cap leaves that window."""
    latest = None
    for window, cap in limits:
        boundary = (failures.filter(at__gt=now - window).order_by("-at")
                    .values_list("at", flat=True)[cap - 1:cap].first())
        if boundary is not None:
            candidate = boundary + window
            latest = candidate if latest is None else max(latest, candidate)
    return latest


def _account_failures(*, user: User | None, login: str) -> QuerySet[LoginFailure]:
    if user is not None:
        return LoginFailure.objects.filter(user=user)
    return LoginFailure.objects.filter(user=None, login_hash=login_hash(login))


def login_attempts_check(*, user: User | None, login: str, address: str) -> None:
    """Raise TooManyLoginFailures if the account `user` (or, if no account has the name,
    the name `login`) or the client `address` has used up an allowance of failures. Call it
    before the password is checked, with the user's row locked."""
    now = timezone.now()
    blocked = [_retry_at(_account_failures(user=user, login=login), now, _per_account())]
    hashed = ip_hash(address)
    if hashed:
        blocked.append(_retry_at(LoginFailure.objects.filter(ip_hash=hashed), now,
                                 _per_address()))
    moments = [moment for moment in blocked if moment is not None]
    if moments:
        raise TooManyLoginFailures(max(moments))


def login_attempt_failed(*, user: User | None, login: str, address: str) -> None:
    now = timezone.now()
    LoginFailure.objects.create(user=user, login_hash="" if user else login_hash(login),
                                ip_hash=ip_hash(address), at=now)
    # Rows older than the longest window count for nothing.
    LoginFailure.objects.filter(at__lt=now - DAY).delete()
