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


class LoginFailure(models.Model):
    """One wrong password (or an attempt refused while locked out): what the sign-in caps
    count (`warden.accounts.login_limits`). Counted per account, whatever name, address or
    Host header was typed, so no spelling of the same account opens a fresh allowance.
    An attempt on a name no account has is counted by a keyed hash of that name instead,
    so such names lock exactly like real ones and the lock-out reveals nothing."""

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    login_hash = models.CharField(max_length=64, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "at"], name="login_failure_user"),
            models.Index(fields=["login_hash", "at"], name="login_failure_login"),
            models.Index(fields=["ip_hash", "at"], name="login_failure_ip"),
        ]


class SignUp(models.Model):
    """One sign-up the site answered as done (including the "already exists" answer, which
    must look the same), from a client address: what the per-address sign-up caps count."""

    ip_hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["ip_hash", "at"], name="signup_ip")]


class KnownNetwork(models.Model):
    """A network (IPv4 /24, IPv6 /48) an account has signed in from, kept as a keyed hash:
    a sign-in from any other network is mailed to the owner."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    network_hash = models.CharField(max_length=64)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "network_hash"],
                                    name="known_network_unique"),
        ]
