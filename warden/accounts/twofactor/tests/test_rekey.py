"""Rotating WARDEN_2FA_KEY: apps and recovery codes keep working; `warden twofactor rekey`
seals the TOTP secrets again; a login seals its own on the way."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from warden.accounts.models import User
from warden.accounts.tests.conftest import web
from warden.accounts.twofactor import secretbox, services
from warden.accounts.twofactor.errors import RecoveryCodeIncorrect
from warden.accounts.twofactor.tests.conftest import Clock, data, totp_on

pytestmark = pytest.mark.django_db
OLD, NEW = "o" * 32, "n" * 32


@pytest.fixture
def rotated(settings: Any) -> Any:
    """Sets the old key; calling the result rotates to the new one (old kept as previous)."""
    settings.WARDEN_2FA_KEY = OLD

    def rotate(keep_old: bool = True) -> None:
        settings.WARDEN_2FA_KEY = NEW
        settings.WARDEN_2FA_PREVIOUS_KEYS = [OLD] if keep_old else []
    return rotate


def test_after_a_rotation_the_app_and_the_codes_still_work(alice: User, clock: Clock,
                                                           rotated: Any) -> None:
    codes = totp_on(alice, clock)
    assert codes is not None
    rotated()
    services.second_factor_verify(origin=web(alice), user=alice, code=clock.code())
    services.second_factor_verify(origin=web(alice), user=alice, code=codes[0])
    # The login sealed the secret again with the new key.
    assert secretbox.is_current(data(alice, "totp")["secret"])


def test_rekey_seals_every_secret_with_the_new_key(alice: User, bob: User, clock: Clock,
                                                    rotated: Any) -> None:
    totp_on(alice, clock)
    totp_on(bob, clock)
    rotated()
    out = StringIO()
    call_command("twofactor", "rekey", stdout=out)
    assert "Sealed 2 TOTP secret(s)" in out.getvalue()
    assert "2 recovery-code set(s) were hashed with a previous key" in out.getvalue()
    # Without the old key now, the apps still work (their secrets were sealed again).
    rotated(keep_old=False)
    services.second_factor_verify(origin=web(alice), user=alice, code=clock.code())
    out = StringIO()
    call_command("twofactor", "rekey", stdout=out)
    assert "Sealed 0 TOTP secret(s)" in out.getvalue()


def test_new_recovery_codes_free_the_previous_key(alice: User, clock: Clock,
                                                  rotated: Any) -> None:
    old_codes = totp_on(alice, clock)
    assert old_codes is not None
    rotated()
    new_codes = services.recovery_codes_regenerate(origin=web(alice), user=alice)
    rotated(keep_old=False)
    services.second_factor_verify(origin=web(alice), user=alice, code=new_codes[0])
    with pytest.raises(RecoveryCodeIncorrect):
        services.second_factor_verify(origin=web(alice), user=alice, code=old_codes[1])


def test_rekey_stops_with_a_clear_error_when_a_key_is_missing(alice: User, clock: Clock,
                                                              rotated: Any) -> None:
    totp_on(alice, clock)
    rotated(keep_old=False)
    with pytest.raises(CommandError, match="WARDEN_2FA_PREVIOUS_KEYS"):
        call_command("twofactor", "rekey", stdout=StringIO())
