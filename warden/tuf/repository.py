"""The repository's layout and the metadata files in storage (PEP 458 with TAP 15 bins).

    root (offline, t-of-n) ─┬─ targets (offline) ── bins (offline) ── bin-0000 … bin-NNNN (online)
                            ├─ snapshot (online)
                            └─ timestamp (online)

Every metadata file but timestamp.json is immutable and stored as `tuf/<N>.<role>.json`
(consistent snapshots); timestamp.json lives in the database (`State`). Target paths are the
URL paths relative to the index root, as the simple pages link them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import Signer
from tuf.api.metadata import SPECIFICATION_VERSION, Metadata, Root, SuccinctRoles, Targets
from tuf.api.serialization.json import JSONSerializer

from warden.tuf.models import Role, Staged

ROOT, TARGETS, BINS, SNAPSHOT, TIMESTAMP = "root", "targets", "bins", "snapshot", "timestamp"
OFFLINE_ROLES = (ROOT, TARGETS, BINS)
BIN_PREFIX = "bin"
# What `bins` delegates: files and their metadata (packages/ab/cd/<sha256>/<name>), project
# pages (simple/<name>/index.*) and the root page (simple/index.*). A pattern's `*` never
# matches a `/`, so each shape is listed.
BINS_PATHS = ("packages/*/*/*/*", "simple/*/*", "simple/*")

OFFLINE_LIFETIME = timedelta(days=365)
ONLINE_LIFETIME = timedelta(days=1)
# Online roles are signed again when less than this is left, so a client never meets an
# expired one while the signer runs, even after an outage of several hours.
ONLINE_REFRESH = timedelta(hours=12)
# Offline roles: warn the operator this long before they expire.
OFFLINE_WARNING = timedelta(days=30)
# A superseded metadata file stays this long: a client that read the previous timestamp
# may still be walking the snapshot it named.
OBSOLETE_KEEP = timedelta(hours=1)

_COMPACT = JSONSerializer(compact=True)
# Metadata of any role (python-tuf types it by its signed part).
Meta = Metadata[Any]


class NotInitialized(Exception):
    """The repository has no root yet (`warden tuf init`)."""


def metadata_name(role: str, version: int) -> str:
    return f"tuf/{version}.{role}.json"


def metadata_bytes(md: Meta) -> bytes:
    return md.to_bytes(_COMPACT)


SPEC_VERSION = ".".join(SPECIFICATION_VERSION)


def online_signed(role: str, version: int, expires: datetime, **fields: Any) -> dict[str, Any]:
    """The signed part of an online role, as python-tuf's `to_dict` would give it."""
    return {"_type": role, "spec_version": SPEC_VERSION, "version": version,
            "expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), **fields}


def envelope_sign(signed: dict[str, Any], signer: Signer) -> bytes:
    """A metadata file: `signed`, signed by `signer`, as compact JSON.

    The signature is over the canonical JSON of `signed` (TUF's OLPC canonical form). For
    what Warden signs (ASCII names, whole numbers) that is exactly `json.dumps` with sorted
    keys and no spaces, which is C code and some twenty times faster than the reference
    encoder on a snapshot of 16,384 bins. The two differ only in escaping, and any escape
    shows as a backslash: then the reference encoder is used."""
    payload = json.dumps(signed, sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False).encode()
    if b"\\" in payload:
        canonical = encode_canonical(signed)
        assert canonical is not None  # None only when given an output function
        payload = canonical.encode()
    signature = signer.sign(payload)
    return json.dumps({"signatures": [signature.to_dict()], "signed": signed},
                      separators=(",", ":"), ensure_ascii=False).encode()


def meta_of(version: int, data: bytes) -> dict[str, Any]:
    """A snapshot or timestamp entry pinning a metadata file by version, length and hash."""
    return {"version": version, "length": len(data),
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}


def meta_pinned(role: str, version: int) -> dict[str, Any]:
    return meta_of(version, metadata_read(role, version))


def metadata_write(role: str, version: int, data: bytes) -> str:
    """Write a metadata file. A file already at that name was written by a publish that
    crashed before its commit, so no timestamp ever named it: it is replaced."""
    name = metadata_name(role, version)
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(data))
    return name


def metadata_read(role: str, version: int) -> bytes:
    with default_storage.open(metadata_name(role, version), "rb") as fh:
        return fh.read()


def current_version(role: str) -> int:
    """The role's latest version: an imported one the signer has yet to publish (`Staged`)
    or else the published one. Drafts build on it and the signer signs under it."""
    for model in (Staged, Role):
        row = model.objects.filter(name=role).values_list("version", flat=True).first()
        if row is not None:
            return row
    raise NotInitialized(role)


def current(role: str) -> Meta:
    return Metadata.from_bytes(metadata_read(role, current_version(role)))


def current_root() -> Metadata[Root]:
    md: Metadata[Root] = current(ROOT)
    assert isinstance(md.signed, Root)
    return md


def current_bins() -> Metadata[Targets]:
    md: Metadata[Targets] = current(BINS)
    assert isinstance(md.signed, Targets)
    return md


def succinct(bins: Meta) -> SuccinctRoles:
    delegations = bins.signed.delegations
    if delegations is None or delegations.succinct_roles is None:
        raise NotInitialized("bins delegates no hashed bins")
    return delegations.succinct_roles


def bin_number(roles: SuccinctRoles, path: str) -> int:
    name = roles.get_role_for_target(path)
    return int(name.rsplit("-", 1)[1], 16)


def bin_name(roles: SuccinctRoles, number: int) -> str:
    return f"{roles.name_prefix}-{number:0{roles.suffix_len}x}"


def is_initialized() -> bool:
    """A root exists, published or imported for the signer to publish."""
    return Role.objects.filter(name=ROOT).exists() or Staged.objects.filter(name=ROOT).exists()


def expiry(now: datetime, lifetime: timedelta) -> datetime:
    # Whole seconds: TUF's date format has no fractions.
    return (now + lifetime).replace(microsecond=0)
