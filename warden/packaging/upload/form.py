"""twine's upload form, read into the value the publishing service takes."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile

from warden.packaging.dists.filenames import filename_parse
from warden.packaging.dists.metadata import metadata_from_form
from warden.packaging.errors import UploadError
from warden.packaging.publish import IncomingFile


def _field(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[-1].strip()


def _digests_check(form: Mapping[str, list[str]], digests: Mapping[str, str]) -> None:
    """The client's digests must match the bytes we received: a mismatch means corruption
    in transit or a client lying about what it sent, and both must stop the upload."""
    sent = {
        "sha256": _field(form, "sha256_digest").lower(),
        "blake2_256": _field(form, "blake2_256_digest").lower(),
        "md5": _field(form, "md5_digest").lower(),
    }
    if not any(sent.values()):
        raise UploadError("Include at least one message digest (sha256_digest) with the file.")
    for algorithm, value in sent.items():
        # Constant time, so the comparison leaks nothing about our digest of the bytes.
        if value and not hmac.compare_digest(value.encode(), digests[algorithm].encode()):
            raise UploadError(f"The {algorithm} digest supplied does not match the file's "
                              "contents. The file may have been corrupted on the way.")


def incoming_from_form(*, form: Mapping[str, list[str]], content: UploadedFile,
                       client: str) -> IncomingFile:
    """The upload as twine described it; `content` was hashed as it arrived
    (`handler.HashingUploadHandler`)."""
    meta = metadata_from_form(form)
    filename = Path(content.name or "").name
    if filename != content.name:
        raise UploadError("The file name must not contain a path.")
    dist = filename_parse(filename=filename, project_name=meta.name,
                          version=str(meta.version), packagetype=_field(form, "filetype"))
    digests: dict[str, str] = content.warden_digests  # type: ignore[attr-defined]
    _digests_check(form, digests)
    return IncomingFile(
        filename=filename, dist=dist, meta=meta, meta_is_claim=True,
        source=Path(content.temporary_file_path()),  # type: ignore[attr-defined]
        size=content.size or 0, digests=digests, client=client)
