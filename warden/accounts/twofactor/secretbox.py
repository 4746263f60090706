"""Encryption at rest for second-factor secrets (TOTP seeds, pending recovery codes).

AES-256-GCM with a key from the server's configuration (WARDEN_2FA_KEY, else derived from
the secret key), never from the database: a copy of the database alone must not let anyone
compute a user's codes. The purpose is authenticated data, so a sealed value cannot be moved
to another use (or, with the user id in it, to another account) without failing to open.

Keys rotate: a sealed value names the key that sealed it (by a hash, never the key), values
sealed with a key in WARDEN_2FA_PREVIOUS_KEYS still open, and `warden twofactor rekey`
seals them again with the current key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = "v2"
_LABEL = b"warden 2fa secretbox v1"


class SecretBoxError(Exception):
    """A sealed value did not open: wrong key, tampered, or sealed for another purpose."""


def derived_keys(label: bytes) -> list[bytes]:
    """The current key first, then the ones that may still open old values: the configured
    previous keys, and (once WARDEN_2FA_KEY is set) the key derived from the secret key,
    which sealed everything before that."""
    materials = [settings.WARDEN_2FA_KEY or settings.SECRET_KEY,
                 *settings.WARDEN_2FA_PREVIOUS_KEYS]
    if settings.WARDEN_2FA_KEY:
        materials.append(settings.SECRET_KEY)
    # HMAC as a key-derivation step: any string of 32+ characters becomes a 256-bit key,
    # and the derived key differs from every other use of the same material.
    keys = [hmac.new(m.encode(), label, hashlib.sha256).digest() for m in materials]
    return list(dict.fromkeys(keys))


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"key id:" + key).hexdigest()[:12]


def key_named(label: bytes, kid: str) -> bytes:
    """The configured key (current or previous) whose id is `kid`, or raise."""
    key = next((k for k in derived_keys(label) if key_id(k) == kid), None)
    if key is None:
        raise SecretBoxError("sealed with a key this server no longer has "
                             "(add it to WARDEN_2FA_PREVIOUS_KEYS)")
    return key


def seal(text: str, *, purpose: str) -> str:
    key = derived_keys(_LABEL)[0]
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, text.encode(), purpose.encode())
    return f"{VERSION}:{key_id(key)}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def is_current(sealed: str) -> bool:
    """Sealed with the current key (else `warden twofactor rekey` would seal it again)."""
    parts = sealed.split(":")
    return len(parts) == 3 and parts[0] == VERSION and \
        parts[1] == key_id(derived_keys(_LABEL)[0])


def unseal(sealed: str, *, purpose: str) -> str:
    version, kid, body = [*sealed.split(":", 2), "", ""][:3]
    if version != VERSION:
        raise SecretBoxError("unknown format")
    key = key_named(_LABEL, kid)
    try:
        raw = base64.urlsafe_b64decode(body.encode())
        return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except (InvalidTag, ValueError) as exc:
        raise SecretBoxError("does not open with this server's key") from exc
