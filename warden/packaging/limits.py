"""Caps on how many projects an account, and a network address, may create a day, and on how
many files they may upload an hour.

A spammer (or a stolen token) can otherwise fill the index with thousands of projects, taking
names and storage, faster than staff can remove them. The default caps are far above what a
release pipeline needs (a hundred wheels in one release is well under the hourly cap on
uploads) and far below a flood. The address caps are looser than the account caps, because
an office or a CI farm shares one address; they stop one client from spreading its flood over
many fresh accounts. Operators set the caps (0 turns one off) in `warden.settings`.

Only successes count, and they are counted from the audit events that record them
(`PROJECT_CREATED`, `PROJECT_FILE_UPLOADED`), by the actor's account id and the address's
keyed hash: no second counter that could drift from the truth, a deleted project still counts
(creating and deleting does not buy a fresh allowance), and renaming the account changes
nothing. A retried upload of the same bytes records no such event, so it never counts and is
never refused. Only what comes over the network is capped and counted: an operator's command
(`warden import`) or the system has no address, and neither do its events.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy

from warden.accounts.models import User
from warden.audit.client import ip_hash
from warden.audit.models import Event
from warden.audit.origin import Origin
from warden.audit.services import NO_ADDRESS_COMMITMENT, record_event
from warden.audit.vocabulary import Tag
from warden.packaging.errors import UploadError

ACCOUNT, ADDRESS = "account", "address"
# A refused client may retry in a loop; the trail keeps one refusal per account and limit
# per this period, enough to see that (and when) the cap bit without drowning the rest.
REFUSALS_RECORDED_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Limit:
    counted: Tag  # the event of one success
    refused: Tag  # the event a refusal records
    window: timedelta
    account_setting: str
    address_setting: str
    messages: dict[str, Promise]

    def cap(self, scope: str) -> int:
        return int(getattr(settings, self.account_setting if scope == ACCOUNT
                           else self.address_setting))


PROJECTS = Limit(
    counted=Tag.PROJECT_CREATED, refused=Tag.ACCOUNT_PROJECT_LIMIT_REACHED,
    window=timedelta(days=1), account_setting="WARDEN_LIMIT_PROJECTS_PER_USER_DAY",
    address_setting="WARDEN_LIMIT_PROJECTS_PER_ADDRESS_DAY",
    messages={
        ACCOUNT: gettext_lazy("Too many new projects: this account may create %(cap)s "
                              "projects a day. Try again in %(wait)s."),
        ADDRESS: gettext_lazy("Too many new projects from your network address: it may "
                              "create %(cap)s projects a day. Try again in %(wait)s."),
    })
UPLOADS = Limit(
    counted=Tag.PROJECT_FILE_UPLOADED, refused=Tag.ACCOUNT_UPLOAD_LIMIT_REACHED,
    window=timedelta(hours=1), account_setting="WARDEN_LIMIT_UPLOADS_PER_USER_HOUR",
    address_setting="WARDEN_LIMIT_UPLOADS_PER_ADDRESS_HOUR",
    messages={
        ACCOUNT: gettext_lazy("Too many uploads: this account may upload %(cap)s files an "
                              "hour. Try again in %(wait)s."),
        ADDRESS: gettext_lazy("Too many uploads from your network address: it may upload "
                              "%(cap)s files an hour. Try again in %(wait)s."),
    })


class LimitReached(UploadError):
    """A cap is used up. An UploadError, so every interface that reports refusals reports
    this one; the upload endpoint answers 429 with `retry_after` (whole seconds)."""

    def __init__(self, *, limit: Limit, scope: str, cap: int, retry_after: int) -> None:
        # Rounded up to the minute, so "Try again in 1 minute" is never too early.
        minutes = max(1, math.ceil(retry_after / 60))
        now = timezone.now()
        # Plain spaces: the message becomes an HTTP reason phrase and a line in a terminal.
        wait = timeuntil(now + timedelta(minutes=minutes), now).replace("\xa0", " ")
        super().__init__(str(limit.messages[scope]) % {"cap": cap, "wait": wait})
        self.limit, self.scope, self.cap, self.retry_after = limit, scope, cap, retry_after


def _retry_at(events: QuerySet[Event], now: datetime, window: timedelta,
              cap: int) -> datetime | None:
    """When the oldest success that keeps the window at its cap leaves it; None if the
    window has room (or the cap is off)."""
    if cap <= 0:
        return None
    recent = events.filter(created__gt=now - window).order_by("-created")
    boundary = recent.values_list("created", flat=True)[cap - 1:cap].first()
    return None if boundary is None else boundary + window


def _refusal(*, limit: Limit, origin: Origin) -> LimitReached | None:
    address = ip_hash(origin.address)
    if not address:
        return None
    now = timezone.now()
    counted = Event.objects.filter(tag=limit.counted.value).exclude(
        ip_commitment=NO_ADDRESS_COMMITMENT)
    scopes = [(ADDRESS, counted.filter(ip_hash=address))]
    if origin.actor is not None:
        # By the account's id: a new username is the same account.
        scopes.insert(0, (ACCOUNT, counted.filter(actor_id=origin.actor.pk)))
    worst: LimitReached | None = None
    for scope, events in scopes:
        cap = limit.cap(scope)
        retry_at = _retry_at(events, now, limit.window, cap)
        if retry_at is None:
            continue
        retry_after = max(1, math.ceil((retry_at - now).total_seconds()))
        if worst is None or retry_after > worst.retry_after:
            worst = LimitReached(limit=limit, scope=scope, cap=cap, retry_after=retry_after)
    return worst


def limit_precheck(*, limit: Limit, origin: Origin) -> None:
    """Raise LimitReached if `origin`'s account or address has used up `limit`, without
    locking: an early refusal (before an upload's bytes reach storage). The count that
    holds is `limit_check`'s."""
    refusal = _refusal(limit=limit, origin=origin)
    if refusal is not None:
        raise refusal


def limit_check(*, limit: Limit, origin: Origin) -> None:
    """Raise LimitReached if `origin`'s account or address has used up `limit`. Call it
    inside the transaction that records the counted event: it locks the account's row (and,
    on PostgreSQL, the address) until that transaction ends, so parallel requests are
    counted one after another and none slips past the cap."""
    if not ip_hash(origin.address):
        return
    if origin.actor is not None:
        User.objects.select_for_update().filter(pk=origin.actor.pk).first()
    if connection.vendor == "postgresql":
        # Accounts sharing an address have no row in common to lock. (SQLite runs one
        # writing transaction at a time anyway.)
        key = int(ip_hash(origin.address)[:15], 16)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    limit_precheck(limit=limit, origin=origin)


def limit_refusal_record(*, refusal: LimitReached, origin: Origin) -> None:
    """Record that `origin` was refused, at most once per account and limit per
    REFUSALS_RECORDED_EVERY. Call it after the refused transaction rolled back."""
    actor = origin.actor
    if actor is None:
        return
    since = timezone.now() - REFUSALS_RECORDED_EVERY
    if Event.objects.filter(tag=refusal.limit.refused.value, user_id=actor.pk,
                            created__gt=since).exists():
        return
    record_event(tag=refusal.limit.refused, origin=origin, user=actor, details={
        "scope": refusal.scope, "cap": refusal.cap, "retry_after": refusal.retry_after})


@contextmanager
def limit_refusals_recorded(*, origin: Origin) -> Iterator[None]:
    """Record a LimitReached raised inside (once its transaction has rolled back), then let
    it go on: the refusal must be in the trail though the refused change is not."""
    try:
        yield
    except LimitReached as refusal:
        limit_refusal_record(refusal=refusal, origin=origin)
        raise
