"""How a token is written down: `wdn_` + body + checksum (docs/tokens-leaks.md).

The body is the serialized macaroon (version 2, URL-safe base64 without padding). The
checksum is the CRC32 (IEEE, as zlib computes it) of the body's ASCII bytes, written in base62
(0-9, A-Z, a-z) as exactly six characters, most significant first, zero-padded. It lets a
secret scanner tell a Warden token from random text offline, and lets us refuse a mistyped or
truncated token before any database work. It is not a security control: the macaroon's
signature is.

Tokens minted before this format are `warden-` + body, without a checksum; they keep working
(`LEGACY_TOKEN_PREFIX`), and a holder who attenuates a token offline may also write the
result in that form.
"""

from __future__ import annotations

import re
import zlib

from warden.tokens.caveats import TokenError

__all__ = [
    "CHECKSUM_LENGTH",
    "LEGACY_TOKEN_PREFIX",
    "TOKEN_PATTERN",
    "TOKEN_PREFIX",
    "token_body",
    "token_checksum",
    "token_encode",
]

# Fixed, not per deployment: a scanner recognises "a Warden token" whichever index minted it,
# and a token reported to the wrong index is answered like any unknown one.
TOKEN_PREFIX = "wdn_"  # noqa: S105 (a public marker, not a secret)
LEGACY_TOKEN_PREFIX = "warden-"  # noqa: S105
CHECKSUM_LENGTH = 6
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# What a scanner can match: every body starts with the macaroon's version and location
# ("\x02\x01\x06warden", base64 "AgEGd2FyZGVu"); the checksum has no "-" or "_".
TOKEN_PATTERN = re.compile(r"wdn_(AgEGd2FyZGVu[A-Za-z0-9_-]{60,8000})([0-9A-Za-z]{6})")


def token_checksum(body: str) -> str:
    """Six base62 characters of the CRC32 of `body` (ASCII)."""
    value = zlib.crc32(body.encode("ascii"))
    digits = []
    for _ in range(CHECKSUM_LENGTH):
        value, digit = divmod(value, 62)
        digits.append(_BASE62[digit])
    return "".join(reversed(digits))


def token_encode(body: str) -> str:
    """The token for the serialized macaroon `body`, in the current format."""
    return TOKEN_PREFIX + body + token_checksum(body)


def token_body(raw: str) -> str:
    """The serialized macaroon inside token `raw` (either format). Raises TokenError on a
    prefix that isn't ours or a checksum that doesn't match: pure string work, so a mistyped
    or made-up token costs no database query."""
    if raw.startswith(TOKEN_PREFIX):
        rest = raw.removeprefix(TOKEN_PREFIX)
        body, checksum = rest[:-CHECKSUM_LENGTH], rest[-CHECKSUM_LENGTH:]
        if not body or not body.isascii() or checksum != token_checksum(body):
            raise TokenError("Invalid API token: its checksum doesn't match. "
                             "Was it copied in full?")
        return body
    if raw.startswith(LEGACY_TOKEN_PREFIX):
        return raw.removeprefix(LEGACY_TOKEN_PREFIX)
    raise TokenError(f"Invalid API token: Warden tokens start with {TOKEN_PREFIX!r}.")
