"""Keys: Ed25519 pairs in PEM files (encrypted for offline keys), or any securesystemslib
signer URI (a KMS or an HSM holds the key; the URI only names it).

A key file holds the private key; its public half, as TUF metadata lists it, is written
beside it (`<file>.pub.json`) so that holders can hand it to the ceremony without the
private key leaving their machine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from securesystemslib.signer import CryptoSigner, Key, Signer, SSlibKey


class KeyError_(Exception):
    """A key that cannot be used, with the reason in words an operator can act on."""


def public_path(path: Path) -> Path:
    return path.with_name(path.name + ".pub.json")


def key_generate(path: Path, *, passphrase: bytes | None) -> SSlibKey:
    """Write a new Ed25519 private key to `path` (readable by its owner only; encrypted when
    `passphrase` is given) and its public key beside it. Refuses to overwrite a key."""
    private = Ed25519PrivateKey.generate()
    encryption = BestAvailableEncryption(passphrase) if passphrase else NoEncryption()
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyError_(f"{path} exists; refusing to overwrite a key") from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public = SSlibKey.from_crypto(private.public_key())
    public_path(path).write_text(json.dumps(public_to_dict(public), indent=1) + "\n")
    return public


def public_to_dict(key: Key) -> dict[str, object]:
    return {"keyid": key.keyid, **key.to_dict()}


def public_read(path: Path) -> Key:
    """A public key from a `.pub.json` file (or the key file beside which it was written)."""
    if not path.name.endswith(".pub.json"):
        path = public_path(path)
    try:
        data = json.loads(path.read_text())
        keyid = data.pop("keyid")
        return Key.from_dict(keyid, data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyError_(f"{path}: not a public key file ({exc})") from exc


def key_public_of(path: Path, *, passphrase: bytes | None = None) -> SSlibKey:
    """The public key of the private key in `path`."""
    return signer_from_file(path, passphrase=passphrase).public_key


def signer_from_file(path: Path, *, passphrase: bytes | None = None,
                     public: Key | None = None) -> CryptoSigner:
    """The signer for the key in `path`, under `public`'s keyid when given (metadata may
    name a key by another keyid than the one computed from it)."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise KeyError_(f"cannot read the key file {path}: {exc.strerror}") from exc
    try:
        private = load_pem_private_key(pem, passphrase or None)
    except TypeError as exc:
        raise KeyError_(f"{path} is encrypted: give its passphrase") from exc
    except ValueError as exc:
        raise KeyError_(f"{path}: not a private key, or a wrong passphrase") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyError_(f"{path}: not an Ed25519 key")
    own = SSlibKey.from_crypto(private.public_key())
    if public is not None and (not isinstance(public, SSlibKey) or public.keyval != own.keyval):
        raise KeyError_(f"{path} is not the key the repository trusts "
                        f"(keyid {public.keyid[:16]}...)")
    return CryptoSigner(private, public if isinstance(public, SSlibKey) else own)


def signer_for(public: Key, *, key_file: Path | None, key_uri: str | None,
               passphrase: bytes | None = None) -> Signer:
    """The signer for `public`: from a signer URI if one is configured, else from a file.
    Refuses a key that is not the one the metadata trusts."""
    if key_uri:
        try:
            return Signer.from_priv_key_uri(key_uri, public)
        except Exception as exc:  # any backend's failure, reported with the URI's scheme
            raise KeyError_(f"cannot load the key at {key_uri.split(':', 1)[0]}:...: "
                            f"{exc}") from exc
    if key_file is None:
        raise KeyError_("no key configured")
    return signer_from_file(key_file, passphrase=passphrase, public=public)
