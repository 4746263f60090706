"""Caps on sign-ups per client address, per hour and per day: one address must not mint
accounts in bulk (spam projects, name squatting, mail sent in our name to addresses typed
in by someone else).

Every sign-up the site answers as done counts, including the answer for an address that
already has an account (which must look the same, or the cap would tell which addresses
are taken). Rows, not cache counters, like the sign-in caps (`login_limits`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import ngettext

from warden.accounts.models import SignUp
from warden.audit.client import ip_hash

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


class TooManySignUps(Exception):
    def __init__(self, retry_at: datetime) -> None:
        self.retry_at = retry_at
        self.minutes = max(1, int((retry_at - timezone.now()).total_seconds() + 59) // 60)
        self.message = ngettext(
            "Too many accounts were created from your network. Try again after %(time)s "
            "(in about %(minutes)d minute).",
            "Too many accounts were created from your network. Try again after %(time)s "
            "(in about %(minutes)d minutes).", self.minutes) % {
                "time": date_format(timezone.localtime(retry_at), "DATETIME_FORMAT"),
                "minutes": self.minutes}
        super().__init__(self.message)


def signup_check(*, address: str) -> None:
    """Raise TooManySignUps (with when to try again) if `address` has used up its hourly
    or daily allowance. A request without an address (a test client, a command) is not
    capped: there is nothing to count it by."""
    hashed = ip_hash(address)
    if not hashed:
        return
    now = timezone.now()
    mine = SignUp.objects.filter(ip_hash=hashed)
    blocked = []
    for window, cap in ((HOUR, settings.WARDEN_SIGNUP_LIMIT_PER_ADDRESS_HOUR),
                        (DAY, settings.WARDEN_SIGNUP_LIMIT_PER_ADDRESS_DAY)):
        boundary = (mine.filter(at__gt=now - window).order_by("-at")
                    .values_list("at", flat=True)[cap - 1:cap].first())
        if boundary is not None:
            blocked.append(boundary + window)
    if blocked:
        raise TooManySignUps(max(blocked))


def signup_count(*, address: str) -> None:
    now = timezone.now()
    SignUp.objects.create(ip_hash=ip_hash(address), at=now)
    SignUp.objects.filter(at__lt=now - DAY).delete()
