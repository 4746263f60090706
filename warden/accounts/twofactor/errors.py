"""Every way a second-factor check can fail. Checks raise these (never return False, which
a caller can forget to test); views show `exc.message` beside the field."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class SecondFactorError(Exception):
    message: str | Promise = _("That did not work.")

    def __init__(self, message: str | Promise | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class CodeIncorrect(SecondFactorError):
    message = _("That code is not correct. Check that you typed the newest code your "
                "authenticator app shows.")


class RecoveryCodeIncorrect(SecondFactorError):
    message = _("That recovery code is not correct, or it has been used already. Each "
                "recovery code works once.")


class CodeAlreadyUsed(SecondFactorError):
    message = _("That code has been used already. Wait for your authenticator app to show "
                "a new code, then type the new one.")


class ClockOutOfSync(SecondFactorError):
    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        super().__init__(ngettext(
            "That code would be right if your device's clock were about %(minutes)d minute "
            "off. Set your phone or computer to get the time automatically, then try a new "
            "code.",
            "That code would be right if your device's clock were about %(minutes)d minutes "
            "off. Set your phone or computer to get the time automatically, then try a new "
            "code.", minutes) % {"minutes": minutes})


class KeyNotRecognised(SecondFactorError):
    message = _("That security key or passkey is not registered to this account, or it did "
                "not answer. Try another key, or use your authenticator app or a recovery "
                "code.")


class KeyCloned(SecondFactorError):
    message = _("That security key reported a signature counter lower than before, which "
                "is what a copied key does. It was refused; if it is yours, remove it and "
                "register it again, and tell your administrator.")


class TooManyAttempts(SecondFactorError):
    def __init__(self, retry_at: datetime) -> None:
        self.retry_at = retry_at
        local = timezone.localtime(retry_at)
        minutes = max(1, int((retry_at - timezone.now()).total_seconds() + 59) // 60)
        super().__init__(ngettext(
            "Too many failed attempts. For your account's safety, try again after %(time)s "
            "(in about %(minutes)d minute).",
            "Too many failed attempts. For your account's safety, try again after %(time)s "
            "(in about %(minutes)d minutes).", minutes) % {
                "time": date_format(local, "DATETIME_FORMAT"), "minutes": minutes})


class LastFactorRequired(SecondFactorError):
    message = _("This is your last second factor, and this site requires two-factor "
                "authentication for your account. Add another authenticator app or "
                "security key first, then remove this one.")


class TwoFactorRequired(SecondFactorError):
    message = _("This site requires two-factor authentication for this. Set up an "
                "authenticator app or a security key first.")


class TwoFactorRequiredForUpload(SecondFactorError):
    def __init__(self, username: str, url: str) -> None:
        super().__init__(_(
            "User %(username)s has no two-factor authentication, which this index requires "
            "for uploads. Set it up at %(url)s, then upload again.") % {
                "username": username, "url": url})


class AlreadyActive(SecondFactorError):
    message = _("An authenticator app is already set up for this account. Remove it first "
                "to set up another one.")


class NoFactor(SecondFactorError):
    message = _("Set up an authenticator app or a security key first: recovery codes "
                "replace a lost second factor, they are not one on their own.")


class UnverifiedEmail(SecondFactorError):
    message = _("Verify your email addresses first (or remove the unverified ones): "
                "account recovery depends on them.")
