from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """Our own user model from the first migration, so later fields need no swap."""

    class Meta:
        db_table = "accounts_user"


class SecondFactorFailure(models.Model):
    """One failed second-factor attempt: what the hourly and daily caps count
    (`warden.accounts.twofactor.ratelimit`). Rows, not cache counters, because counting
    rows under the user's row lock is exact when attempts arrive in parallel, and a
    cache's read-modify-write increment is not."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    ip_hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "at"], name="twofactor_failure_user"),
            models.Index(fields=["ip_hash", "at"], name="twofactor_failure_ip"),
        ]
