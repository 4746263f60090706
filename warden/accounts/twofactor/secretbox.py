"""Encryption at rest for second-factor secrets (TOTP seeds, pending recovery codes).

AES-256-GCM with a key from the server's configuration (WARDEN_2FA_KEY, else derived from
the secret key), never from the database: a copy of the database alone must not let anyone
compute a user's codes. The purpose is authenticated data, so a sealed value cannot be moved
to another use (or, with the user id in it, to another account) without failing to open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = "v1"


class SecretBoxError(Exception):
    """A sealed value did not open: wrong key, tampered, or sealed for another purpose."""


def _key() -> bytes:
    material = settings.WARDEN_2FA_KEY or settings.SECRET_KEY
    # HMAC as a key-derivation step: any string of 32+ characters becomes a 256-bit key,
    # and the derived key differs from every other use of the secret key.
    return hmac.new(material.encode(), b"warden 2fa secretbox v1", hashlib.sha256).digest()


def seal(text: str, *, purpose: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key()).encrypt(nonce, text.encode(), purpose.encode())
    return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(sealed: str, *, purpose: str) -> str:
    version, _, body = sealed.partition(":")
    if version != VERSION:
        raise SecretBoxError("unknown format")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
        return AESGCM(_key()).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except (InvalidTag, ValueError) as exc:
        raise SecretBoxError("does not open with this server's key") from exc
