"""Publishing a file: the one service every way in (twine's upload, `warden import`) calls.

Read top to bottom, it is the upload's whole story:
1. everything that can refuse the file without writing anything (name, status, size, scope,
   the archive and its metadata against what the uploader claims);
2. the bytes go to storage under their content address;
3. one transaction: lock (or create) the project, check again under the lock, the release,
   the file, the token's use, and `project_changed`;
4. if the transaction fails, the bytes written in step 2 are removed again, unless a
   committed file row holds them (a concurrent upload of the same bytes won).

A crash leaves either nothing visible or everything consistent: bytes in storage are served
only when a committed row names them, and a retried upload of the same bytes is a no-op.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.base import File as DjangoFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from packaging.metadata import Metadata
from packaging.utils import canonicalize_version

from warden.accounts.models import User
from warden.audit.origin import Origin
from warden.audit.vocabulary import Tag
from warden.lib.failpoints import failpoint
from warden.packaging.authorize import upload_authorize
from warden.packaging.changes import ProjectChange, project_changed
from warden.packaging.dists.archive import ArchiveLimits, archive_inspect
from warden.packaging.dists.filenames import DistFilename
from warden.packaging.dists.metadata import metadata_compare, metadata_parse_file
from warden.packaging.errors import UploadError
from warden.packaging.limits import (
    PROJECTS,
    UPLOADS,
    limit_check,
    limit_precheck,
    limit_refusals_recorded,
)
from warden.packaging.models import File, PackageType, Project, ProjectStatus, UsedFilename
from warden.packaging.names import name_normalize
from warden.packaging.services import (
    project_insert,
    project_name_check,
    release_get,
    release_insert,
)
from warden.packaging.storage import storage_path, storage_remove
from warden.tokens.services import TokenContext, token_record_use

log = logging.getLogger("warden.upload")

FILE_EXISTS = "File already exists ({filename}). See the index's help on file name reuse."


@dataclass(frozen=True)
class IncomingFile:
    """A distribution on its way in. `meta` is what the uploader says it is (twine's form),
    checked against the archive's own metadata when `meta_is_claim`; an import reads `meta`
    from the archive itself. `source` is a local file holding the bytes, whose digests the
    caller computed while receiving them."""

    filename: str
    dist: DistFilename
    meta: Metadata
    meta_is_claim: bool
    source: Path
    size: int
    digests: Mapping[str, str]
    client: str = ""

    @property
    def project_name(self) -> str:
        return name_normalize(self.meta.name)

    @property
    def version(self) -> str:
        return str(self.meta.version)


@dataclass(frozen=True)
class Published:
    file: File
    created: bool


def file_publish(*, incoming: IncomingFile, owner: User, origin: Origin,
                 context: TokenContext | None) -> Published:
    """Publish `incoming` as `owner` (the new project's owner, if it creates one). `context`
    is the token an upload came with, checked by `upload_authorize` before anything is
    written and again under the project's lock; None only for an operator's command."""
    if incoming.size == 0:
        raise UploadError("The file is empty.")
    project = Project.objects.filter(normalized_name=incoming.project_name).first()
    if context is not None:
        upload_authorize(context=context, project=project, project_name=incoming.project_name)
    _status_check(project=project)
    existing = _existing(incoming=incoming, project=project)
    if existing is not None:
        _use_record(context=context, origin=origin, file=existing.file)
        return existing
    # Every refusal that can be decided now comes before the bytes reach storage.
    if project is None:
        project_name_check(name=incoming.meta.name)
    # The caps on abuse (warden.packaging.limits), early so a flood costs no storage; what
    # holds is the count again under the locks in `_commit`.
    with limit_refusals_recorded(origin=origin):
        if project is None:
            limit_precheck(limit=PROJECTS, origin=origin)
        limit_precheck(limit=UPLOADS, origin=origin)
    _size_check(project=project, incoming=incoming)
    _sdist_check(project=project, incoming=incoming)
    metadata_bytes = _archive_check(incoming)
    failpoint("upload.checked")
    names = _bytes_store(incoming, metadata_bytes)
    failpoint("upload.stored")
    try:
        with limit_refusals_recorded(origin=origin), transaction.atomic():
            return _commit(incoming=incoming, owner=owner, origin=origin, context=context,
                           metadata_bytes=metadata_bytes)
    except IntegrityError as exc:
        # A concurrent upload of the same filename (or bytes) committed first: the same
        # file is a no-op, anything else the usual refusal.
        _bytes_remove_unless_published(names)
        current = Project.objects.filter(normalized_name=incoming.project_name).first()
        again = _existing(incoming=incoming, project=current)
        if again is None:
            raise UploadError(FILE_EXISTS.format(filename=incoming.filename)) from exc
        _use_record(context=context, origin=origin, file=again.file)
        return again
    except BaseException:
        _bytes_remove_unless_published(names)
        raise


def _commit(*, incoming: IncomingFile, owner: User, origin: Origin,
            context: TokenContext | None, metadata_bytes: bytes) -> Published:
    changes: list[ProjectChange] = []
    project, created = _project_lock_or_insert(incoming=incoming, owner=owner, origin=origin)
    if created:
        changes.append(ProjectChange(tag=Tag.PROJECT_CREATED, action="create",
                                     index_changed=True))
    if context is not None:
        # Checked again under the lock: roles and the project may have changed since.
        upload_authorize(context=context, project=None if created else project,
                         project_name=incoming.project_name)
    _status_check(project=project)
    existing = _existing(incoming=incoming, project=project)
    if existing is not None:
        _use_record(context=context, origin=origin, file=existing.file)
        return existing
    # After the no-op: a retried upload of the same bytes is never refused, nor counted.
    limit_check(limit=UPLOADS, origin=origin)
    _size_check(project=project, incoming=incoming)
    _sdist_check(project=project, incoming=incoming)
    release = release_get(project=project, version=incoming.version)
    if release is not None and release.quarantined:
        raise UploadError(f"Release {release.version} of {project.name} is quarantined while "
                          "the index's staff review it, and accepts no new files.")
    if release is None:
        release = release_insert(project=project, meta=incoming.meta, uploader=owner)
        changes.append(ProjectChange(tag=Tag.PROJECT_RELEASE_CREATED, action="new release",
                                     version=release.version))
    digests = incoming.digests
    file = File.objects.create(
        release=release, filename=incoming.filename, packagetype=incoming.dist.packagetype,
        python_version=incoming.dist.python_version, requires_python=release.requires_python,
        size=incoming.size, sha256=digests["sha256"], blake2_256=digests["blake2_256"],
        md5=digests["md5"], path=storage_path(digests["sha256"], incoming.filename),
        metadata_sha256=(hashlib.sha256(metadata_bytes).hexdigest()
                         if incoming.dist.packagetype == PackageType.WHEEL else None),
        uploaded_via=incoming.client[:100],
        token_id=str(context.token.pk) if context is not None else "",
    )
    UsedFilename.objects.create(filename=incoming.filename)
    project.total_size += incoming.size
    Project.objects.filter(pk=project.pk).update(total_size=project.total_size)
    # Who published this file, with which token, from where: the question the audit trail
    # exists to answer. The token by id and description only.
    changes.append(ProjectChange(
        tag=Tag.PROJECT_FILE_UPLOADED,
        action=f"add {incoming.dist.packagetype} file {incoming.filename}",
        version=release.version, filename=incoming.filename, file_ids=(file.pk,),
        details={"packagetype": incoming.dist.packagetype, "sha256": file.sha256,
                 "size": incoming.size}))
    for change in changes:
        project_changed(project=project, change=change, origin=origin)
    _use_record(context=context, origin=origin, file=file)
    failpoint("upload.committing")
    # Runs right after the commit, before the response: the client never hears of it.
    transaction.on_commit(lambda: failpoint("upload.committed"))
    log.info("published %s to %s", incoming.filename, project.normalized_name)
    return Published(file=file, created=True)


def _project_lock_or_insert(*, incoming: IncomingFile, owner: User,
                            origin: Origin) -> tuple[Project, bool]:
    """The project's row, locked (serialising uploads to one project keeps total_size and
    serials exact), or a new one owned by `owner`; True if it is new."""
    locked = Project.objects.select_for_update()
    project = locked.filter(normalized_name=incoming.project_name).first()
    if project is not None:
        return project, False
    try:
        # A savepoint: losing the race below must not break the upload's transaction.
        with transaction.atomic():
            return project_insert(name=incoming.meta.name, owner=owner, origin=origin), True
    except IntegrityError:
        # Another upload created it since we looked (its insert made ours wait, then fail):
        # carry on as an upload to that project, whose roles are checked under its lock.
        project = locked.filter(normalized_name=incoming.project_name).first()
        if project is None:
            raise UploadError(f"The name {incoming.meta.name!r} is too similar to an "
                              "existing project.") from None
        return project, False


def _use_record(*, context: TokenContext | None, origin: Origin, file: File) -> None:
    # Any accepted request is a use, a no-op re-upload included: an owner looking at "last
    # used" after a leak must see every request the token was good for.
    if context is not None:
        token_record_use(context=context, origin=origin,
                         project_name=file.release.project.normalized_name,
                         version=file.release.version, filename=file.filename)


def _existing(*, incoming: IncomingFile, project: Project | None) -> Published | None:
    """An identical re-upload is a no-op (twine retries, CI re-runs); anything else under a
    used name is refused, because installers may have cached the old file's hash. The same
    bytes under a second name are refused too: a file is published once."""
    filename, digests = incoming.filename, incoming.digests
    file = File.objects.filter(filename=filename).select_related("release__project").first()
    if file is not None:
        same_project = project is not None and file.release.project_id == project.pk
        if same_project and hmac.compare_digest(file.sha256, digests["sha256"]):
            return Published(file=file, created=False)
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


def _size_check(*, project: Project | None, incoming: IncomingFile) -> None:
    total = project.total_size if project is not None else 0
    if total + incoming.size > settings.WARDEN_MAX_PROJECT_SIZE:
        name = project.name if project is not None else incoming.meta.name
        raise UploadError(f"Project size too large: {name} may hold at most "
                          f"{settings.WARDEN_MAX_PROJECT_SIZE} bytes.")


def _sdist_check(*, project: Project | None, incoming: IncomingFile) -> None:
    if project is None or incoming.dist.packagetype != PackageType.SDIST:
        return
    release = release_get(project=project, version=incoming.version)
    if release is not None and release.files.filter(packagetype=PackageType.SDIST).exists():
        raise UploadError("Only one sdist may be uploaded per release.")


def _archive_check(incoming: IncomingFile) -> bytes:
    """The archive's own metadata, after checking the archive is safe to read and says what
    the uploader claims."""
    limits = ArchiveLimits(max_uncompressed=settings.WARDEN_MAX_UNCOMPRESSED_SIZE)
    metadata_bytes = archive_inspect(path=incoming.source, filename=incoming.filename,
                                     dist=incoming.dist, limits=limits)
    if incoming.meta_is_claim:
        found = metadata_parse_file(metadata_bytes)
        if incoming.dist.packagetype == PackageType.WHEEL:
            metadata_compare(form=incoming.meta, file=found)
        else:
            _sdist_identity_check(form=incoming.meta, pkg_info=found)
    return metadata_bytes


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


def _bytes_store(incoming: IncomingFile, metadata_bytes: bytes) -> list[str]:
    """Write the file (and a wheel's PEP 658 metadata); returns the storage names."""
    path = f"packages/{storage_path(incoming.digests['sha256'], incoming.filename)}"
    names = [path]
    with incoming.source.open("rb") as fh:
        default_storage.save(path, DjangoFile(fh))
    if incoming.dist.packagetype == PackageType.WHEEL:
        failpoint("upload.stored_file")
        default_storage.save(f"{path}.metadata", ContentFile(metadata_bytes))
        names.append(f"{path}.metadata")
    return names


def _bytes_remove_unless_published(names: list[str]) -> None:
    """Remove what a failed publish wrote. Names are content-addressed, so a committed row
    naming the same path (a concurrent upload of the very same file) keeps them."""
    path = names[0].removeprefix("packages/")
    if File.objects.filter(path=path).exists():
        return
    # At once, not as a task: nothing committed, so nothing can be left half done.
    storage_remove(names=names)
