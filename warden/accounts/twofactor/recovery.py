"""Recovery codes: ten single-use codes for when the phone or key is lost.

Only keyed hashes are stored. A code carries 80 random bits and the hash key comes from the
server's configuration, so neither a copy of the database nor a brute-force search of it
yields a usable code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from warden.accounts.twofactor import secretbox, totp
from warden.accounts.twofactor.errors import RecoveryCodeIncorrect

COUNT = 10
GROUP = 4
# Codes are letters and digits (base32), TOTP codes digits only: one field can take either
# and tell them apart by shape.
_SHAPE = re.compile(r"[a-z2-7]{16}")
SCHEME = "hmac-sha256-v1"


def codes_generate() -> list[str]:
    codes = []
    for _ in range(COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
        codes.append("-".join(raw[i:i + GROUP] for i in range(0, len(raw), GROUP)))
    return codes


def code_normalize(text: str) -> str:
    return totp.code_normalize(text).lower()


def looks_like_recovery_code(text: str) -> bool:
    return bool(_SHAPE.fullmatch(code_normalize(text)))


_LABEL = b"warden recovery codes v1"


def _key(kid: str | None = None) -> bytes:
    """The current hash key, or the one named `kid` (a set hashed before a key rotation
    still works while that key is in WARDEN_2FA_PREVIOUS_KEYS)."""
    if kid is None:
        return secretbox.derived_keys(_LABEL)[0]
    return secretbox.key_named(_LABEL, kid)


def current_key_id() -> str:
    return secretbox.key_id(_key())


def code_hash(code: str, *, salt: str, kid: str | None = None) -> str:
    return hmac.new(_key(kid), f"{salt}:{code_normalize(code)}".encode(),
                    hashlib.sha256).hexdigest()


def codes_data(codes: list[str]) -> dict[str, object]:
    """The Authenticator's `data` for a new set: salted keyed hashes, none used, and not yet
    confirmed (the user proves they saved the set by typing one back)."""
    salt = secrets.token_hex(16)
    return {"scheme": SCHEME, "salt": salt, "kid": current_key_id(),
            "hashes": [code_hash(c, salt=salt) for c in codes],
            "used": [False] * len(codes), "confirmed": False}


def unused_code_index(data: dict[str, object], code: str) -> int:
    """Which unused code of the set `code` is, or raise RecoveryCodeIncorrect. Every hash
    is compared, in constant time, so the time taken does not tell how close a guess
    came."""
    salt = str(data["salt"])
    kid = data.get("kid")
    try:
        wanted = code_hash(code, salt=salt, kid=str(kid) if kid else None)
    except secretbox.SecretBoxError as exc:
        raise RecoveryCodeIncorrect from exc
    found = None
    hashes, used = data["hashes"], data["used"]
    assert isinstance(hashes, list) and isinstance(used, list)
    for index, stored in enumerate(hashes):
        if hmac.compare_digest(str(stored), wanted):
            found = index
    if found is None or used[found]:
        raise RecoveryCodeIncorrect
    return found
