"""An upload, from a parsed request to a committed file.

Order matters: everything that can refuse the upload runs before anything is written, the
bytes reach storage before the transaction that makes them visible, and the transaction
either commits every row (file, release, project, journal, simple page) or none.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.base import File as DjangoFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from packaging.metadata import Metadata
from packaging.utils import canonicalize_version

from warden.accounts.models import User
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.packaging.dists.archive import ArchiveLimits, archive_inspect
from warden.packaging.dists.filenames import DistFilename, filename_parse
from warden.packaging.dists.metadata import (
    metadata_compare,
    metadata_from_form,
    metadata_parse_file,
)
from warden.packaging.errors import UploadError
from warden.packaging.models import File, PackageType, Project, ProjectStatus, UsedFilename
from warden.packaging.names import name_normalize
from warden.packaging.pages import simple_project_refresh
from warden.packaging.services import (
    journal_add,
    project_create,
    project_name_check,
    release_get,
    release_get_or_create,
)
from warden.tokens.models import Token
from warden.tokens.services import TokenContext, token_check_project, token_record_use

log = logging.getLogger("warden.upload")

FILE_EXISTS = "File already exists ({filename}). See the index's help on file name reuse."


@dataclass(frozen=True)
class UploadResult:
    file: File
    created: bool


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


def _storage_path(sha256: str, filename: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}/{filename}"


def _existing(*, filename: str, digests: Mapping[str, str],
              project: Project | None) -> UploadResult | None:
    """An identical re-upload is a no-op (twine retries, CI re-runs); anything else under a
    used name is refused, because installers may have cached the old file's hash. The same
    bytes under a second name are refused too: a file is published once."""
    file = File.objects.filter(filename=filename).select_related("release__project").first()
    if file is not None:
        same_project = project is not None and file.release.project_id == project.pk
        if same_project and hmac.compare_digest(file.sha256, digests["sha256"]):
            return UploadResult(file=file, created=False)
        raise UploadError(FILE_EXISTS.format(filename=filename))
    if UsedFilename.objects.filter(filename=filename).exists():
        raise UploadError(f"This filename ({filename}) was used before and its file was "
                          "removed; a name is never reused. Upload a new version instead.")
    twin = File.objects.filter(Q(sha256=digests["sha256"]) |
                               Q(blake2_256=digests["blake2_256"])).first()
    if twin is not None:
        # Starts like FILE_EXISTS, so that twine's --skip-existing recognizes it.
        raise UploadError(f"File already exists ({filename}): the index has the same bytes "
                          f"as {twin.filename}. A file can be published under one name only.")
    return None


def _status_check(*, project: Project | None) -> None:
    # PEP 792: an index MUST NOT accept new files for an archived or quarantined project
    # (quarantine is how staff stop a project that shipped malware from shipping more).
    if project is not None and project.status in (ProjectStatus.ARCHIVED,
                                                  ProjectStatus.QUARANTINED):
        raise UploadError(f"The project {project.name} is {project.status} and accepts no "
                          "new files.")


def _project_size_check(*, project: Project | None, name: str, size: int) -> None:
    total = project.total_size if project is not None else 0
    if total + size > settings.WARDEN_MAX_PROJECT_SIZE:
        raise UploadError(f"Project size too large: {name} may hold at most "
                          f"{settings.WARDEN_MAX_PROJECT_SIZE} bytes.")


def _sdist_check(*, project: Project | None, meta: Metadata, dist: DistFilename) -> None:
    if project is None or dist.packagetype != PackageType.SDIST:
        return
    release = release_get(project=project, version=str(meta.version))
    if release is not None and release.files.filter(packagetype=PackageType.SDIST).exists():
        raise UploadError("Only one sdist may be uploaded per release.")


def upload_file(*, context: TokenContext, form: Mapping[str, list[str]],
                content: UploadedFile, user_agent: str,
                request: HttpRequest | None = None) -> UploadResult:
    """twine's upload: metadata from the form, checked against the file and the token.
    `request` gives the audit events the client's address."""
    meta = metadata_from_form(form)
    filename = Path(content.name or "").name
    if filename != content.name:
        raise UploadError("The file name must not contain a path.")
    dist = filename_parse(filename=filename, project_name=meta.name,
                          version=str(meta.version), packagetype=_field(form, "filetype"))
    digests: dict[str, str] = content.warden_digests  # type: ignore[attr-defined]
    _digests_check(form, digests)
    project_name = name_normalize(meta.name)
    project = Project.objects.filter(normalized_name=project_name).first()
    token_check_project(context=context, project=project, project_name=project_name)

    def authorize(appeared: Project) -> None:
        token_check_project(context=context, project=appeared, project_name=project_name)

    result = file_publish(
        user=context.token.user, project=project, meta=meta, dist=dist, filename=filename,
        source=Path(content.temporary_file_path()),  # type: ignore[attr-defined]
        size=content.size or 0, digests=digests, uploaded_via=user_agent,
        token=context.token, request=request, check_form_against_file=True,
        authorize=authorize)
    # Any accepted request is a use, a no-op re-upload included: an owner looking at "last
    # used" after a leak must see every request the token was good for.
    token_record_use(context=context, now=timezone.now(), request=request,
                     project=result.file.release.project, version=result.file.release.version,
                     filename=result.file.filename)
    return result


def _sdist_identity_check(*, form: Metadata, pkg_info: Metadata) -> None:
    """An sdist's PKG-INFO must at least name the project and version it is uploaded as.
    Only those two: publishing tools other than twine build the form from their own
    configuration, and older PKG-INFO files legitimately differ from it in other fields."""
    if name_normalize(pkg_info.name) != name_normalize(form.name):
        raise UploadError(f"The sdist's PKG-INFO names project {pkg_info.name!r}, but the "
                          f"upload says {form.name!r}.")
    if canonicalize_version(str(pkg_info.version)) != canonicalize_version(str(form.version)):
        raise UploadError(f"The sdist's PKG-INFO says Version {pkg_info.version}, but the "
                          f"upload says {form.version}.")


def file_publish(*, user: User, project: Project | None, meta: Metadata, dist: DistFilename,
                 filename: str, source: Path, size: int, digests: Mapping[str, str],
                 uploaded_via: str, token: Token | None = None,
                 request: HttpRequest | None = None, via: str = "",
                 check_form_against_file: bool,
                 authorize: Callable[[Project], None] | None = None) -> UploadResult:
    """Validate the archive and commit the file. The caller has authorized `user` for
    `project` (None: the project is new and `user` will own it). If another upload creates
    the project meanwhile, `authorize` (if given) must admit `user` to it, or raise.
    `token` (an upload) or `via` (another interface, e.g. an import) say, with `request`,
    how the file came in, for the audit events."""
    if size == 0:
        raise UploadError("The file is empty.")
    _status_check(project=project)
    existing = _existing(filename=filename, digests=digests, project=project)
    if existing is not None:
        return existing
    # Every refusal we can decide now comes before the bytes reach storage.
    if project is None:
        project_name_check(name=meta.name)
    _project_size_check(project=project, name=project.name if project else meta.name,
                        size=size)
    _sdist_check(project=project, meta=meta, dist=dist)
    limits = ArchiveLimits(max_uncompressed=settings.WARDEN_MAX_UNCOMPRESSED_SIZE)
    metadata_bytes = archive_inspect(path=source, filename=filename, dist=dist, limits=limits)
    is_wheel = dist.packagetype == PackageType.WHEEL
    if is_wheel and check_form_against_file:
        metadata_compare(form=meta, file=metadata_parse_file(metadata_bytes))
    elif check_form_against_file:
        _sdist_identity_check(form=meta, pkg_info=metadata_parse_file(metadata_bytes))
    path = _storage_path(digests["sha256"], filename)
    with source.open("rb") as fh:
        default_storage.save(f"packages/{path}", DjangoFile(fh))
    metadata_sha256 = None
    if is_wheel:
        default_storage.save(f"packages/{path}.metadata", ContentFile(metadata_bytes))
        metadata_sha256 = hashlib.sha256(metadata_bytes).hexdigest()
    try:
        return _commit(user=user, project=project, meta=meta, dist=dist, filename=filename,
                       path=path, size=size, digests=digests, metadata_sha256=metadata_sha256,
                       uploaded_via=uploaded_via, token=token, request=request, via=via)
    except (IntegrityError, UploadError) as exc:
        current = Project.objects.filter(normalized_name=name_normalize(meta.name)).first()
        if project is None and current is not None:
            # A concurrent upload created the project after we looked. Start again as an
            # upload to that project: the user needs a role on it like on any other.
            if authorize is not None:
                authorize(current)
            return file_publish(
                user=user, project=current, meta=meta, dist=dist, filename=filename,
                source=source, size=size, digests=digests, uploaded_via=uploaded_via,
                token=token, request=request, via=via,
                check_form_against_file=check_form_against_file, authorize=authorize)
        if isinstance(exc, IntegrityError):
            # A concurrent upload of the same filename (or bytes) committed first.
            again = _existing(filename=filename, digests=digests, project=current)
            if again is not None:
                return again
        raise


def _commit(*, user: User, project: Project | None, meta: Metadata, dist: DistFilename,
            filename: str, path: str, size: int, digests: Mapping[str, str],
            metadata_sha256: str | None, uploaded_via: str, token: Token | None,
            request: HttpRequest | None, via: str) -> UploadResult:
    with transaction.atomic():
        if project is None:
            project = project_create(name=meta.name, owner=user, token=token, request=request)
        else:
            # Serializes uploads to one project so total_size and serials stay exact.
            project = Project.objects.select_for_update().get(pk=project.pk)
        # Checked again under the lock: a concurrent change may have changed the answer.
        _status_check(project=project)
        _project_size_check(project=project, name=project.name, size=size)
        _sdist_check(project=project, meta=meta, dist=dist)
        release = release_get_or_create(project=project, meta=meta, uploader=user, token=token,
                                        request=request)
        file = File.objects.create(
            release=release, filename=filename, packagetype=dist.packagetype,
            python_version=dist.python_version, requires_python=release.requires_python,
            size=size, sha256=digests["sha256"], blake2_256=digests["blake2_256"],
            md5=digests["md5"], path=path, metadata_sha256=metadata_sha256,
            uploaded_via=uploaded_via[:100], token_id=str(token.pk) if token else "",
        )
        UsedFilename.objects.create(filename=filename)
        project.total_size += size
        Project.objects.filter(pk=project.pk).update(total_size=project.total_size)
        journal_add(project=project, action=f"add {dist.packagetype} file {filename}",
                    version=release.version, user=user)
        # Who published this file, with which token, from where: the question the audit
        # trail exists to answer. The token by id and description only.
        details: dict[str, object] = {"packagetype": dist.packagetype, "sha256": file.sha256,
                                      "size": size}
        if via:
            details["via"] = via
        record_event(tag=Tag.PROJECT_FILE_UPLOADED, request=request, actor=user, token=token,
                     project=project, version=release.version, filename=filename,
                     details=details)
        simple_project_refresh(project=project)
    log.info("uploaded %s to %s", filename, project.normalized_name)
    return UploadResult(file=file, created=True)
