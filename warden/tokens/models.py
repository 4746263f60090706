"""API tokens. Only what is needed to verify and describe a token is stored: never the
token, never its root key (derived from the server secret and the id)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class RevokedReason(models.TextChoices):
    # Empty while the token is live.
    REVOKED = "revoked", "revoked"
    # Found in public (a secret scanner's report, or staff acting on one): its owner is told.
    LEAKED = "leaked", "leaked"


class Token(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="tokens")
    description = models.CharField(max_length=100)
    # The caveats minted into the token, kept for display; verification reads the token's.
    caveats = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=16, blank=True, default="",
                                      choices=RevokedReason.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "description"],
                                    condition=models.Q(revoked__isnull=True),
                                    name="live_token_description_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.id})"
