"""A secret scanner for tests: ECDSA P-256 keys made fresh in each test (never a key on
disk), the key document an operator configures, and signed reports."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass
class Scanner:
    key_id: str
    current: bool = True
    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def entry(self) -> dict[str, object]:
        pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return {"key_identifier": self.key_id, "key": pem.decode(), "is_current": self.current}

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.private.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


def keys_document(*scanners: Scanner) -> str:
    return json.dumps({"public_keys": [scanner.entry() for scanner in scanners]})


def report(*tokens: str, url: str = "https://example.invalid/leak/blob/main/ci.yml",
           source: str = "content") -> bytes:
    return json.dumps([{"token": token, "type": "warden_api_token", "url": url,
                        "source": source} for token in tokens]).encode()
