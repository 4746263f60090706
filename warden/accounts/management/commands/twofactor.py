"""`warden twofactor rekey`: after rotating WARDEN_2FA_KEY (the old key moved to
WARDEN_2FA_PREVIOUS_KEYS), seal every TOTP secret again with the new key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from warden.accounts.twofactor.secretbox import SecretBoxError
from warden.accounts.twofactor.services import secrets_rekey


class Command(BaseCommand):
    help = "Two-factor authentication upkeep."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rekey", help="seal every TOTP secret again with the current "
                       "WARDEN_2FA_KEY")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            resealed, stale = secrets_rekey()
        except SecretBoxError as exc:
            raise CommandError(f"A TOTP secret does not open: {exc}. Nothing after it was "
                               "changed; what was sealed again stays sealed.") from exc
        self.stdout.write(f"Sealed {resealed} TOTP secret(s) again with the current key.")
        if stale:
            self.stdout.write(
                f"{stale} recovery-code set(s) were hashed with a previous key: keep that key "
                "in WARDEN_2FA_PREVIOUS_KEYS until their users generate new codes.")
        else:
            self.stdout.write("No recovery codes depend on a previous key: previous keys "
                              "can go from WARDEN_2FA_PREVIOUS_KEYS.")
