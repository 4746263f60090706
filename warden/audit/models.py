"""Audit events: append-only, hash-chained per subject, outliving what they describe.

No foreign keys: an event must survive the deletion of its user, project or token, and a
cascade (or SET_NULL) would be an update of history. Ids and names are copied instead.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models

from warden.audit.vocabulary import Tag


class AppendOnlyError(Exception):
    """Something tried to change or delete an audit event."""


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be updated.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("Audit events cannot be deleted.")

    def _erase(self, **kwargs: Any) -> int:
        # The one permitted change (IP data past retention), for warden.audit.services.
        return super().update(**kwargs)


class Event(models.Model):
    # Any value of `Tag`, which record_event enforces. Not `choices`: the vocabulary grows
    # with every feature, and choices would make each new tag a schema migration.
    tag = models.CharField(max_length=64)
    created = models.DateTimeField(db_index=True)
    chain = models.CharField(max_length=120)
    seq = models.PositiveBigIntegerField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True, default="")
    token_id = models.CharField(max_length=64, blank=True, default="")
    token_description = models.CharField(max_length=100, blank=True, default="")
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    username = models.CharField(max_length=150, blank=True, default="")
    project_id = models.BigIntegerField(null=True, blank=True)
    project_name = models.CharField(max_length=100, blank=True, default="", db_index=True)
    version = models.CharField(max_length=100, blank=True, default="")
    filename = models.CharField(max_length=255, blank=True, default="")
    # A keyed hash of the address (to match events from one address without storing it) and
    # its network prefix (for people to read). Erased after the retention period; the
    # commitment stays, so erasing them does not break the chain.
    ip_hash = models.CharField(max_length=64, blank=True, default="")
    ip_prefix = models.CharField(max_length=64, blank=True, default="")
    ip_commitment = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=200, blank=True, default="")
    details = models.JSONField(default=dict)

    objects = EventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq"),
        ]
        indexes = [
            models.Index(fields=["chain", "seq"], name="audit_event_chain_idx"),
            # The abuse limits (warden.packaging.limits) count an account's and an address's
            # recent events of one kind on every upload: without these, that count reads
            # every event of the window.
            models.Index(fields=["actor_id", "tag", "created"], name="audit_event_actor_tag"),
            models.Index(fields=["ip_hash", "tag", "created"], name="audit_event_ip_tag"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be deleted.")

    @property
    def tag_enum(self) -> Tag:
        return Tag(self.tag)


class ChainHead(models.Model):
    """The newest event of each chain. Locked while an event is appended, so concurrent
    events on one subject queue instead of forking the chain; and it lets `warden audit
    verify` notice that the newest events of a chain were deleted."""

    chain = models.CharField(max_length=120, primary_key=True)
    seq = models.PositiveBigIntegerField()
    last_hash = models.CharField(max_length=64)
