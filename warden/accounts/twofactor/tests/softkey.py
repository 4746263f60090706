"""A software WebAuthn authenticator for tests: what a browser and a security key together
hand to the page, built from the bytes up (EC P-256 / ES256 with `cryptography`, CBOR with
`fido2.cbor`) so that fido2's parser on the server side checks our encoding rather than its
own.

It does what an honest authenticator does by default, and every part an attacker controls
is a keyword argument: the origin the "browser" reports (a phishing site), the RP id it
signs for (a key registered elsewhere), the signature counter (a cloned key), the user
handle, the flags. Unlike a real authenticator it answers even when it is not in the
request's allowCredentials list, so tests can offer one account's key to another.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor
from fido2.utils import websafe_decode, websafe_encode

# Authenticator data flags (WebAuthn §6.1).
UP = 0x01  # user present
UV = 0x04  # user verified
AT = 0x40  # attested credential data included

# A software key has no certified model; all zeroes is what "none" attestation reports.
AAGUID = bytes(16)


class ExcludedCredential(Exception):
    """The browser's InvalidStateError: this key is already registered to the account."""


def _public_key(options: dict[str, Any]) -> dict[str, Any]:
    """Accept the options as the server sends them ({"publicKey": ...}) or unwrapped."""
    return options.get("publicKey", options)


class SoftKey:
    def __init__(self, rp_id: str = "localhost", origin: str = "http://localhost:8000",
                 resident: bool = False) -> None:
        self.rp_id = rp_id
        self.origin = origin
        self.resident = resident
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0
        # A resident (discoverable) credential remembers the account's user handle and
        # returns it when signing in; a non-resident one has nothing to return.
        self.user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return websafe_encode(self.credential_id)

    def _cose_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor.encode({1: 2, 3: -7, -1: 1,  # kty EC2, alg ES256, crv P-256
                            -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def _auth_data(self, *, rp_id: str, flags: int, counter: int,
                   attested: bool = False) -> bytes:
        data = hashlib.sha256(rp_id.encode()).digest() + struct.pack(">BI", flags, counter)
        if attested:
            data += (AAGUID + struct.pack(">H", len(self.credential_id)) + self.credential_id
                     + self._cose_key())
        return data

    @staticmethod
    def _client_data(*, type_: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": type_, "challenge": challenge, "origin": origin,
                           "crossOrigin": False}, separators=(",", ":")).encode()

    def register(self, creation_options: dict[str, Any], *, origin: str | None = None,
                 rp_id: str | None = None, user_verified: bool = True,
                 user_present: bool = True, counter: int = 0,
                 report_cred_props: bool = True) -> dict[str, Any]:
        """navigator.credentials.create(): the PublicKeyCredential as JSON.

        `report_cred_props=False` leaves the credProps extension result out, as some
        browsers do.
        """
        options = _public_key(creation_options)
        excluded = {websafe_decode(c["id"]) for c in options.get("excludeCredentials") or []}
        if self.credential_id in excluded:
            raise ExcludedCredential(self.id)
        if self.resident:
            self.user_handle = websafe_decode(options["user"]["id"])
        self.counter = counter
        flags = AT | (UP if user_present else 0) | (UV if user_verified else 0)
        auth_data = self._auth_data(rp_id=rp_id or options["rp"]["id"], flags=flags,
                                    counter=counter, attested=True)
        attestation = cbor.encode({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data(type_="webauthn.create",
                                        challenge=options["challenge"],
                                        origin=origin or self.origin)
        extensions: dict[str, Any] = {}
        if report_cred_props:
            extensions["credProps"] = {"rk": self.resident}
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "attestationObject": websafe_encode(attestation),
                "transports": ["usb"],
            },
            "clientExtensionResults": extensions,
        }

    def assert_(self, request_options: dict[str, Any], *, counter: int | None = None,
                user_verified: bool = True, user_present: bool = True,
                origin: str | None = None, rp_id: str | None = None,
                user_handle: bytes | None = None) -> dict[str, Any]:
        """navigator.credentials.get(): the PublicKeyCredential as JSON.

        The counter goes up by one each time unless `counter` is given (then it is used
        as is, and remembered: a key at 5 asked for `counter=3` is a clone going back).
        """
        options = _public_key(request_options)
        self.counter = self.counter + 1 if counter is None else counter
        flags = (UP if user_present else 0) | (UV if user_verified else 0)
        auth_data = self._auth_data(rp_id=rp_id or options.get("rpId") or self.rp_id,
                                    flags=flags, counter=self.counter)
        client_data = self._client_data(type_="webauthn.get",
                                        challenge=options["challenge"],
                                        origin=origin or self.origin)
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                          ec.ECDSA(hashes.SHA256()))
        handle = user_handle if user_handle is not None else self.user_handle
        response: dict[str, Any] = {
            "clientDataJSON": websafe_encode(client_data),
            "authenticatorData": websafe_encode(auth_data),
            "signature": websafe_encode(signature),
        }
        if handle is not None:
            response["userHandle"] = websafe_encode(handle)
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "response": response,
            "clientExtensionResults": {},
        }
