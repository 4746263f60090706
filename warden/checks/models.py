"""Screenings and check results. Kept forever, also after their project is deleted (the file
link becomes NULL; the names stay), because a check's precision can only be measured over
everything it ever said."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from warden.checks.base import Classification, State
from warden.packaging.models import File

CLASSIFICATIONS = [(c.value, c.value) for c in Classification]
STATES = [(s.value, s.value) for s in State]


class CheckConfig(models.Model):
    """The state staff chose for an installed check; a check without a row is in its own
    `default_state`."""

    name = models.CharField(max_length=64, primary_key=True)
    state = models.CharField(max_length=16, choices=STATES)
    changed = models.DateTimeField(auto_now=True)


class Backfill(models.Model):
    """Staff asked to re-run one check (at one version) over every stored file."""

    check_name = models.CharField(max_length=64)
    check_version = models.PositiveIntegerField()
    total = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)


class ScreeningState(models.TextChoices):
    PENDING = "pending"
    DONE = "done"


class Screening(models.Model):
    """One file scanned by a set of checks: an upload's, or one of a backfill's."""

    file = models.ForeignKey(File, on_delete=models.SET_NULL, null=True,
                             related_name="screenings")
    normalized_name = models.CharField(max_length=100, db_index=True)
    project_name = models.CharField(max_length=100)
    version = models.CharField(max_length=100)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField(default=0)
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, related_name="+")
    token_id = models.CharField(max_length=64, blank=True, default="")
    # The checks to run, named when the screening was queued (their states may change).
    checks = models.JSONField(default=list)
    backfill = models.ForeignKey(Backfill, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="screenings")
    state = models.CharField(max_length=16, choices=ScreeningState,
                             default=ScreeningState.PENDING)
    # Of the enabled checks only: what the policy acted on.
    classification = models.CharField(max_length=16, choices=CLASSIFICATIONS, blank=True,
                                      default="")
    confidence = models.FloatField(null=True, blank=True)
    action = models.CharField(max_length=32, blank=True, default="")
    seconds = models.FloatField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)


class Review(models.TextChoices):
    UNREVIEWED = "unreviewed"
    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"


class CheckResult(models.Model):
    """What one check (at one version) said about one file. `classification` is empty when
    the check failed (`error` says how)."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="results")
    check_name = models.CharField(max_length=64)
    check_version = models.PositiveIntegerField()
    # The check's state when it ran: evaluation results are for staff only and never act.
    state = models.CharField(max_length=16, choices=STATES)
    classification = models.CharField(max_length=16, choices=CLASSIFICATIONS, blank=True,
                                      default="")
    confidence = models.FloatField(default=0.0)
    message = models.CharField(max_length=300, blank=True, default="")
    evidence = models.JSONField(default=list)
    error = models.TextField(blank=True, default="")
    seconds = models.FloatField(default=0.0)
    created = models.DateTimeField(auto_now_add=True)
    review = models.CharField(max_length=16, choices=Review, default=Review.UNREVIEWED)
    review_note = models.TextField(blank=True, default="")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    reviewed = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["check_name", "check_version"]),
            models.Index(fields=["review", "classification"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["screening", "check_name"],
                                    name="one_result_per_check_per_screening"),
        ]
