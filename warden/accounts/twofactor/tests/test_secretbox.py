"""Second-factor secrets at rest: sealed with a key from the configuration."""

from __future__ import annotations

from typing import Any

import pytest

from warden.accounts.twofactor import secretbox


def test_a_sealed_value_opens_with_its_purpose() -> None:
    sealed = secretbox.seal("JBSWY3DPEHPK3PXP", purpose="totp:1")
    assert "JBSWY3DP" not in sealed
    assert secretbox.unseal(sealed, purpose="totp:1") == "JBSWY3DPEHPK3PXP"


def test_sealing_twice_gives_different_ciphertexts() -> None:
    assert secretbox.seal("x", purpose="p") != secretbox.seal("x", purpose="p")


def test_a_tampered_value_does_not_open() -> None:
    sealed = secretbox.seal("JBSWY3DPEHPK3PXP", purpose="totp:1")
    body = bytearray(sealed.encode())
    body[-5] = ord("A") if body[-5] != ord("A") else ord("B")
    with pytest.raises(secretbox.SecretBoxError):
        secretbox.unseal(body.decode(), purpose="totp:1")


@pytest.mark.parametrize("junk", ["", "v1:", "v1:!!!", "v2:abcd", "plain text"])
def test_junk_does_not_open(junk: str) -> None:
    with pytest.raises(secretbox.SecretBoxError):
        secretbox.unseal(junk, purpose="totp:1")


def test_another_purpose_does_not_open_it() -> None:
    sealed = secretbox.seal("secret", purpose="totp:1")
    with pytest.raises(secretbox.SecretBoxError):
        secretbox.unseal(sealed, purpose="totp:2")


def test_the_configured_key_is_used_not_the_database(settings: Any) -> None:
    settings.WARDEN_2FA_KEY = "k" * 32
    sealed = secretbox.seal("secret", purpose="p")
    settings.WARDEN_2FA_KEY = "j" * 32
    with pytest.raises(secretbox.SecretBoxError):
        secretbox.unseal(sealed, purpose="p")
    settings.WARDEN_2FA_KEY = None  # falls back to the secret key: a different key again
    with pytest.raises(secretbox.SecretBoxError):
        secretbox.unseal(sealed, purpose="p")


OLD, NEW = "o" * 32, "n" * 32


def test_a_value_sealed_before_a_rotation_opens_with_the_previous_key(settings: Any) -> None:
    settings.WARDEN_2FA_KEY = OLD
    sealed = secretbox.seal("secret", purpose="p")
    settings.WARDEN_2FA_KEY, settings.WARDEN_2FA_PREVIOUS_KEYS = NEW, [OLD]
    assert secretbox.unseal(sealed, purpose="p") == "secret"
    assert not secretbox.is_current(sealed)
    assert secretbox.is_current(secretbox.seal("secret", purpose="p"))


def test_a_value_sealed_with_a_key_no_longer_configured_says_so(settings: Any) -> None:
    settings.WARDEN_2FA_KEY = OLD
    sealed = secretbox.seal("secret", purpose="p")
    settings.WARDEN_2FA_KEY, settings.WARDEN_2FA_PREVIOUS_KEYS = NEW, []
    with pytest.raises(secretbox.SecretBoxError, match="WARDEN_2FA_PREVIOUS_KEYS"):
        secretbox.unseal(sealed, purpose="p")


def test_setting_a_2fa_key_keeps_what_the_secret_key_sealed(settings: Any) -> None:
    settings.WARDEN_2FA_KEY = None
    sealed = secretbox.seal("secret", purpose="p")
    settings.WARDEN_2FA_KEY = NEW
    assert secretbox.unseal(sealed, purpose="p") == "secret"


def test_the_sealed_value_names_its_key_by_a_hash_not_the_key(settings: Any) -> None:
    settings.WARDEN_2FA_KEY = NEW
    sealed = secretbox.seal("secret", purpose="p")
    assert NEW not in sealed and "nnnn" not in sealed.split(":")[1]
