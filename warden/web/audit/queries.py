"""Read-only queries behind the audit pages. Who may see what is decided here by the chain
asked for: a user's own account chain, one project's chain, or (staff) everything."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from warden.audit.models import Event, EventQuerySet
from warden.packaging.models import Project
from warden.packaging.names import name_normalize


def user_chain(user_id: int) -> str:
    return f"user:{user_id}"


def project_chain(normalized_name: str) -> str:
    return f"project:{normalized_name}"


def events_of_user(*, user_id: int, tag: str = "") -> EventQuerySet:
    """The events of a user's own account chain, newest first."""
    events = Event.objects.filter(chain=user_chain(user_id))
    if tag:
        events = events.filter(tag=tag)
    return events.order_by("-seq")


def events_of_project(*, project: Project, tag: str = "") -> EventQuerySet:
    """A project's events, newest first. Events of an earlier, deleted project of the same
    name are left out: its history belongs to its own people (and to staff), not to whoever
    registers the name next."""
    events = Event.objects.filter(chain=project_chain(project.normalized_name),
                                  created__gte=project.created - timedelta(seconds=1))
    events = events.filter(Q(project_id=project.pk) | Q(project_id__isnull=True))
    if tag:
        events = events.filter(tag=tag)
    return events.order_by("-seq")


def tags_of_chain(chain: str) -> list[str]:
    return sorted(Event.objects.filter(chain=chain).values_list("tag", flat=True).distinct())


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def events_search(*, username: str = "", project: str = "", tag: str = "",
                  ip_prefix: str = "", date_from: date | None = None,
                  date_to: date | None = None) -> EventQuerySet:
    """Staff search over all events, newest first. `username` matches the actor or the user
    the event is about; `date_to` includes that whole day (in the current time zone)."""
    events = Event.objects.all()
    if username:
        events = events.filter(Q(actor_username__iexact=username) | Q(username__iexact=username))
    if project:
        events = events.filter(project_name=name_normalize(project))
    if tag:
        events = events.filter(tag=tag)
    if ip_prefix:
        events = events.filter(ip_prefix=ip_prefix)
    if date_from:
        events = events.filter(created__gte=_day_start(date_from))
    if date_to:
        events = events.filter(created__lt=_day_start(date_to + timedelta(days=1)))
    return events.order_by("-created", "-id")
