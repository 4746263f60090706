"""Reports from secret scanners, in the format of GitHub's secret scanning partner program.

A report is a POST whose body is a JSON array of {"token", "type", "url", "source"}, signed
by the scanner: `Github-Public-Key-Identifier` names one of its keys and
`Github-Public-Key-Signature` is base64 of the DER ECDSA (P-256, SHA-256) signature over the
exact bytes of the body. The keys are the operator's configuration
(`WARDEN_TOKEN_SCANNER_KEYS[_FILE]`, in the shape GitHub publishes them), never fetched while
serving: a fetch at request time would let whoever can tamper with that fetch sign reports.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

__all__ = [
    "MAX_REPORT_BYTES",
    "MAX_REPORT_TOKENS",
    "LeakReport",
    "ReportRejected",
    "leak_reports_parse",
    "report_signature_verify",
    "scanner_keys_parse",
]

# GitHub batches what it found; a real report is a few kilobytes. The bounds keep a broken or
# hostile scanner from making one request cost minutes of work.
MAX_REPORT_BYTES = 1024 * 1024
MAX_REPORT_TOKENS = 1000
_MAX_TOKEN_LENGTH = 16 * 1024
_MAX_TEXT_LENGTH = 2048


class ReportRejected(Exception):
    """A report we refuse as a whole; nothing in it was acted on. `message` is for the
    scanner's operator and names no token."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class LeakReport:
    token: str
    type: str
    url: str
    source: str


@functools.lru_cache(maxsize=4)
def scanner_keys_parse(text: str) -> Mapping[str, ec.EllipticCurvePublicKey]:
    """The keys of a document shaped like GitHub's
    {"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}, by identifier. Raises
    ValueError, naming what is wrong. A key marked not current is kept: during a rotation a
    scanner may still send reports signed with it, and the operator distrusts a key by
    removing it from the document."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    entries = document.get("public_keys") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError('expected {"public_keys": [...]} with at least one key')
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for number, entry in enumerate(entries, start=1):
        identifier = entry.get("key_identifier") if isinstance(entry, dict) else None
        pem = entry.get("key") if isinstance(entry, dict) else None
        if not isinstance(identifier, str) or not identifier or not isinstance(pem, str):
            raise ValueError(f"key {number}: needs a key_identifier and a PEM key")
        try:
            key = load_pem_public_key(pem.encode())
        except ValueError as exc:
            raise ValueError(f"key {identifier}: not a PEM public key") from exc
        # Only what the partner program signs with; an RSA or other-curve key here would be
        # a configuration mistake, not a key we know how to check.
        if not isinstance(key, ec.EllipticCurvePublicKey) or \
                not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"key {identifier}: not an ECDSA P-256 key")
        if identifier in keys:
            raise ValueError(f"key {identifier}: listed twice")
        keys[identifier] = key
    return keys


def report_signature_verify(*, body: bytes, key_id: str, signature: str,
                            keys: Mapping[str, ec.EllipticCurvePublicKey]) -> None:
    """Raise ReportRejected (401) unless `signature` is a signature of exactly `body` by the
    configured key `key_id`."""
    if not key_id or not signature:
        raise ReportRejected("The report is not signed: it needs the headers "
                             "Github-Public-Key-Identifier and Github-Public-Key-Signature.",
                             status=401)
    key = keys.get(key_id)
    if key is None:
        raise ReportRejected(f"The report is signed with the key {key_id[:80]!r}, which this "
                             "index does not trust.", status=401)
    try:
        der = base64.b64decode(signature, validate=True)
        key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise ReportRejected("The report's signature does not match its body.",
                             status=401) from exc


def _text(entry: Mapping[str, Any], field: str, *, limit: int, number: int) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ReportRejected(f"Entry {number}: {field!r} must be a non-empty string of at most "
                             f"{limit} characters.", status=400)
    # Shown to people in a mail and in their history: no line breaks or other controls.
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ReportRejected(f"Entry {number}: {field!r} contains control characters.",
                             status=400)
    return value


def leak_reports_parse(body: bytes) -> list[LeakReport]:
    """The entries of a report body (already size-bounded and signature-checked); raises
    ReportRejected (400) on anything but a JSON array of well-formed entries."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportRejected("The report is not valid JSON.", status=400) from exc
    if not isinstance(document, list):
        raise ReportRejected("The report must be a JSON array of "
                             '{"token", "type", "url", "source"}.', status=400)
    if len(document) > MAX_REPORT_TOKENS:
        raise ReportRejected(f"The report has {len(document)} entries; at most "
                             f"{MAX_REPORT_TOKENS} are accepted at once.", status=400)
    reports = []
    for number, entry in enumerate(document, start=1):
        if not isinstance(entry, dict):
            raise ReportRejected(f"Entry {number} is not an object.", status=400)
        reports.append(LeakReport(
            token=_text(entry, "token", limit=_MAX_TOKEN_LENGTH, number=number),
            type=_text(entry, "type", limit=_MAX_TEXT_LENGTH, number=number),
            url=_text(entry, "url", limit=_MAX_TEXT_LENGTH, number=number),
            source=_text(entry, "source", limit=_MAX_TEXT_LENGTH, number=number),
        ))
    return reports
