"""State changes to projects and releases. Views, the upload endpoint and the CLI call these;
nothing else writes these tables."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from packaging.metadata import Metadata
from packaging.utils import canonicalize_version

from warden.accounts.models import User
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.packaging.errors import UploadError
from warden.packaging.models import (
    File,
    JournalEntry,
    ProhibitedName,
    Project,
    Release,
    Role,
    RoleName,
    UsedFilename,
)
from warden.packaging.names import name_confusable_key, name_normalize, name_validate
from warden.packaging.pages import (
    simple_index_refresh,
    simple_project_refresh,
    simple_project_unpublish,
)

if TYPE_CHECKING:
    from warden.tokens.models import Token

log = logging.getLogger("warden.packaging")


def journal_add(*, project: Project, action: str, version: str = "",
                user: User | None = None) -> int:
    """Record a change and give the project the new serial. Call inside the change's
    transaction, after which the caller re-renders the project's simple page."""
    entry = JournalEntry.objects.create(name=project.name, version=version, action=action,
                                        submitted_by=user)
    project.last_serial = entry.pk
    Project.objects.filter(pk=project.pk).update(last_serial=entry.pk)
    return entry.pk


def project_name_check(*, name: str) -> None:
    """Raise UploadError unless a new project may be called `name`. `project_create` runs
    this itself; an upload also runs it before writing any bytes, so a refused name leaves
    nothing behind in storage."""
    name_validate(name)
    key = name_confusable_key(name)
    if ProhibitedName.objects.filter(confusable_key=key).exists():
        raise UploadError(f"The name {name!r} isn't allowed on this index.")
    # Look-alikes (`dem0` beside `demo`) are how typosquatting works; the unique
    # confusable_key makes this hold under races too.
    similar = Project.objects.filter(confusable_key=key).first()
    if similar is not None:
        raise UploadError(
            f"The name {name!r} is too similar to the existing project {similar.name!r}.")


def prohibited_name_add(*, name: str, reason: str = "", staff_user: User | None = None,
                        request: HttpRequest | None = None) -> ProhibitedName:
    with transaction.atomic():
        prohibited, _ = ProhibitedName.objects.update_or_create(
            normalized_name=name_normalize(name),
            defaults={"confusable_key": name_confusable_key(name), "reason": reason})
        record_event(tag=Tag.STAFF_NAME_PROHIBITED, request=request, actor=staff_user,
                     project_name=prohibited.normalized_name, details={"reason": reason})
    return prohibited


def project_create(*, name: str, owner: User, token: Token | None = None,
                   request: HttpRequest | None = None) -> Project:
    """A new project owned by `owner` (through `token`, on an upload). Call inside a
    transaction."""
    project_name_check(name=name)
    normalized = name_normalize(name)
    key = name_confusable_key(name)
    try:
        # A savepoint, so the constraint failing doesn't break the caller's transaction.
        with transaction.atomic():
            project = Project.objects.create(name=name, normalized_name=normalized,
                                             confusable_key=key)
    except IntegrityError as exc:
        # Lost a race with another upload creating the same (or a look-alike) name.
        raise UploadError(f"The name {name!r} is too similar to an existing project.") from exc
    Role.objects.create(project=project, user=owner, role_name=RoleName.OWNER)
    journal_add(project=project, action="create", user=owner)
    record_event(tag=Tag.PROJECT_CREATED, request=request, actor=owner, token=token,
                 project=project)
    simple_index_refresh()
    return project


def _text(value: object) -> str:
    return "" if value is None else str(value)


def release_get(*, project: Project, version: str) -> Release | None:
    """The release of `project` whose version equals `version` under PEP 440 (1.0 == 1.0.0)."""
    return Release.objects.filter(project=project,
                                  canonical_version=canonicalize_version(version)).first()


def release_get_or_create(*, project: Project, meta: Metadata, uploader: User,
                          token: Token | None = None,
                          request: HttpRequest | None = None) -> Release:
    """The release for `meta.version`. The first upload of a release sets its metadata."""
    version = str(meta.version)
    release = release_get(project=project, version=version)
    if release is not None:
        return release
    canonical = canonicalize_version(version)
    release = Release.objects.create(
        project=project,
        version=version,
        canonical_version=canonical,
        metadata_version=_text(meta.metadata_version),
        summary=_text(meta.summary),
        description=_text(meta.description),
        description_content_type=_text(meta.description_content_type),
        author=_text(meta.author),
        author_email=_text(meta.author_email),
        maintainer=_text(meta.maintainer),
        maintainer_email=_text(meta.maintainer_email),
        license=_text(meta.license),
        license_expression=_text(meta.license_expression),
        keywords=",".join(meta.keywords or []),
        home_page=_text(meta.home_page),
        download_url=_text(meta.download_url),
        requires_python=_text(meta.requires_python),
        classifiers=list(meta.classifiers or []),
        requires_dist=[str(r) for r in meta.requires_dist or []],
        provides_extra=[str(e) for e in meta.provides_extra or []],
        project_urls=dict(meta.project_urls or {}),
        platform=list(meta.platforms or []),
        uploader=uploader,
    )
    journal_add(project=project, action="new release", version=version, user=uploader)
    record_event(tag=Tag.PROJECT_RELEASE_CREATED, request=request, actor=uploader, token=token,
                 project=project, version=version)
    return release




# --- managing projects: releases, files and the project itself -------------------------------
#
# Who may do what, as on PyPI: owners manage collaborators (see `warden.packaging.roles`) and
# delete the project; owners and maintainers upload, yank and un-yank releases, and delete
# files and releases. Every change takes the project's row lock, re-checks the actor's role
# under it, records a journal entry (the new serial) and re-renders the simple page, all in
# one transaction.
#
# A deleted file's bytes are removed from storage after the transaction commits: files are
# served straight from storage, so bytes left behind would stay downloadable (a file deleted
# because it leaked a secret must stop being served). Its name stays in UsedFilename forever,
# so no other file can ever be published under it.


class ManageError(Exception):
    """A refused management action. `message` is shown to the person who asked, so it says
    what went wrong in their terms."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


MANAGE_ROLES = (RoleName.OWNER, RoleName.MAINTAINER)


def project_lock(*, project: Project) -> Project:
    """The project's row, locked until the transaction ends: changes to one project (and
    the role checks they depend on) run one at a time. Call inside a transaction."""
    try:
        return Project.objects.select_for_update().get(pk=project.pk)
    except Project.DoesNotExist as exc:
        raise ManageError(_("The project %(project)s no longer exists.")
                          % {"project": project.name}) from exc


def role_require(*, project: Project, user: User,
                 role_names: tuple[str, ...] = MANAGE_ROLES) -> Role:
    """`user`'s role on `project`, which must be one of `role_names`; raises otherwise.
    Call under `project_lock`, so the answer holds until the change commits."""
    role = Role.objects.filter(project=project, user=user, role_name__in=role_names).first()
    if role is None or not user.is_active:
        raise ManageError(_("You don't have permission to do this on %(project)s.")
                          % {"project": project.name})
    return role


def _release_locked(*, release: Release, actor: User) -> tuple[Project, Release]:
    project = project_lock(project=release.project)
    role_require(project=project, user=actor)
    try:
        return project, Release.objects.get(pk=release.pk, project=project)
    except Release.DoesNotExist as exc:
        raise ManageError(_("The release %(version)s no longer exists.")
                          % {"version": release.version}) from exc


def _storage_names(files: list[File]) -> list[str]:
    names = []
    for file in files:
        names.append(f"packages/{file.path}")
        if file.metadata_sha256:
            names.append(f"packages/{file.path}.metadata")
    return names


def _storage_remove_on_commit(names: list[str]) -> None:
    """Remove bytes once the rows are gone for good; a rollback leaves them in place."""
    def remove() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:
                # Unreferenced bytes are harmless to the index; log them for the operator.
                log.exception("could not remove %s from storage", name)

    transaction.on_commit(remove)


def release_yank(*, release: Release, actor: User, reason: str,
                 request: HttpRequest | None = None) -> Release:
    """PEP 592: installers skip a yanked release unless it is pinned exactly."""
    reason = reason.strip()
    with transaction.atomic():
        project, release = _release_locked(release=release, actor=actor)
        if release.yanked:
            raise ManageError(_("Release %(version)s is already yanked.")
                              % {"version": release.version})
        release.yanked, release.yanked_reason = True, reason
        release.save(update_fields=["yanked", "yanked_reason"])
        release.files.update(yanked=True)
        journal_add(project=project, action="yank release", version=release.version,
                    user=actor)
        record_event(tag=Tag.PROJECT_RELEASE_YANKED, request=request, actor=actor,
                     project=project, version=release.version, details={"reason": reason})
        simple_project_refresh(project=project)
    return release


def release_unyank(*, release: Release, actor: User,
                   request: HttpRequest | None = None) -> Release:
    with transaction.atomic():
        project, release = _release_locked(release=release, actor=actor)
        if not release.yanked:
            raise ManageError(_("Release %(version)s is not yanked.")
                              % {"version": release.version})
        release.yanked, release.yanked_reason = False, ""
        release.save(update_fields=["yanked", "yanked_reason"])
        release.files.update(yanked=False)
        journal_add(project=project, action="unyank release", version=release.version,
                    user=actor)
        record_event(tag=Tag.PROJECT_RELEASE_UNYANKED, request=request, actor=actor,
                     project=project, version=release.version)
        simple_project_refresh(project=project)
    return release


def file_delete(*, file: File, actor: User, request: HttpRequest | None = None) -> None:
    """Remove one file. Its name stays used: installers and mirrors may have cached its
    hash under that name, so a different file must never appear there."""
    with transaction.atomic():
        project = project_lock(project=file.release.project)
        role_require(project=project, user=actor)
        try:
            file = File.objects.select_related("release").get(pk=file.pk,
                                                              release__project=project)
        except File.DoesNotExist as exc:
            raise ManageError(_("The file %(filename)s no longer exists.")
                              % {"filename": file.filename}) from exc
        # Normally recorded at upload; kept here so no path can make a name reusable.
        UsedFilename.objects.get_or_create(filename=file.filename)
        file.delete()
        project.total_size = max(0, project.total_size - file.size)
        Project.objects.filter(pk=project.pk).update(total_size=project.total_size)
        journal_add(project=project, action=f"remove file {file.filename}",
                    version=file.release.version, user=actor)
        record_event(tag=Tag.PROJECT_FILE_REMOVED, request=request, actor=actor,
                     project=project, version=file.release.version, filename=file.filename,
                     details={"sha256": file.sha256})
        simple_project_refresh(project=project)
        _storage_remove_on_commit(_storage_names([file]))


def release_delete(*, release: Release, actor: User,
                   request: HttpRequest | None = None) -> None:
    """Remove a release and all its files (their names stay used)."""
    with transaction.atomic():
        project, release = _release_locked(release=release, actor=actor)
        files = list(release.files.all())
        for file in files:
            UsedFilename.objects.get_or_create(filename=file.filename)
        release.delete()
        project.total_size = max(0, project.total_size - sum(f.size for f in files))
        Project.objects.filter(pk=project.pk).update(total_size=project.total_size)
        journal_add(project=project, action="remove release", version=release.version,
                    user=actor)
        record_event(tag=Tag.PROJECT_RELEASE_REMOVED, request=request, actor=actor,
                     project=project, version=release.version,
                     details={"files": sorted(f.filename for f in files)})
        simple_project_refresh(project=project)
        _storage_remove_on_commit(_storage_names(files))


def project_purge(*, project: Project, actor: User, action: str,
                  request: HttpRequest | None = None) -> list[File]:
    """Remove a locked project with its roles, invitations, releases and files, for a caller
    that has already authorized `actor`, inside its transaction. File names stay used (the
    UsedFilename rows are kept), the simple pages change with the commit, and the bytes go
    from storage only after it. Returns the removed files."""
    files = list(File.objects.filter(release__project=project))
    for file in files:
        UsedFilename.objects.get_or_create(filename=file.filename)
    journal_add(project=project, action=action, user=actor)
    # Before the delete, while the project still has its id. The event outlives it.
    record_event(tag=Tag.PROJECT_DELETED, request=request, actor=actor, project=project,
                 details={"files": len(files)})
    normalized_name = project.normalized_name
    project.delete()  # cascades to roles, invitations, releases and files
    simple_project_unpublish(normalized_name=normalized_name)
    simple_index_refresh()
    _storage_remove_on_commit(_storage_names(files))
    return files


def project_delete(*, project: Project, actor: User, confirm_name: str,
                   request: HttpRequest | None = None) -> None:
    """Remove the project with its roles, invitations, releases and files. Only an owner
    may, and only by typing its name: a slip of the mouse must not delete a project. The
    file names stay used, so a project registered later under this name can never serve
    different bytes under an old file's name."""
    confirm_name = confirm_name.strip()
    if confirm_name not in (project.name, project.normalized_name):
        raise ManageError(_("Type the project's name, %(project)s, to confirm.")
                          % {"project": project.name})
    with transaction.atomic():
        project = project_lock(project=project)
        role_require(project=project, user=actor, role_names=(RoleName.OWNER,))
        project_purge(project=project, actor=actor, action="remove project",
                      request=request)
