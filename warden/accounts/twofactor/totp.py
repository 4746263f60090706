"""TOTP as RFC 6238 says and authenticator apps expect: HMAC-SHA-1, 6 digits, 30-second
steps. The pure part: codes, secrets, the provisioning URI and its QR code. Accepting a
code (window, replay) is `services._totp_check`, which needs the database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct
from io import BytesIO
from urllib.parse import quote, urlencode

import qrcode
from qrcode.image.svg import SvgPathImage

PERIOD = 30
DIGITS = 6
# One step either side: phones' clocks drift, and a code typed at the end of its 30 s lands
# in the next step. More would widen the window an observed code stays useful in.
SKEW = 1
# How far we look (in steps, either side) only to tell the user their clock is off; codes
# there are never accepted.
SKEW_DIAGNOSIS = 20
_SEPARATORS = re.compile(r"[\s\-]+")


def totp_secret_generate() -> str:
    # 160 bits: the length RFC 4226 recommends for HMAC-SHA-1.
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def totp_code(secret: str, counter: int) -> str:
    key = base64.b32decode(secret.encode("ascii"), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10 ** DIGITS:0{DIGITS}d}"


def code_normalize(text: str) -> str:
    """What people type, as the code it means: `123 456` and `123-456` are `123456`. The
    replay check runs on this form, so spacing a used code differently gains nothing."""
    return _SEPARATORS.sub("", text or "")


def counter_at(timestamp: float) -> int:
    return int(timestamp) // PERIOD


def otpauth_uri(*, secret: str, account: str, issuer: str) -> str:
    label = quote(f"{issuer}:{account}")
    params = {"secret": secret, "issuer": issuer, "algorithm": "SHA1",
              "digits": str(DIGITS), "period": str(PERIOD)}
    return f"otpauth://totp/{label}?{urlencode(params, quote_via=quote)}"


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG, drawn here: the secret never goes to another service."""
    image = qrcode.make(uri, image_factory=SvgPathImage, box_size=8, border=2)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    return svg[svg.index("<svg"):]  # without the XML declaration, to sit inside HTML
