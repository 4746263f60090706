"""State changes to projects and releases. Views, the upload endpoint and the CLI call these;
nothing else writes these tables."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from packaging.metadata import Metadata
from packaging.utils import canonicalize_version

from warden.accounts.models import User
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.lib.tasks import enqueue_on_commit
from warden.packaging.changes import ProjectChange, project_changed, project_removed
from warden.packaging.errors import UploadError
from warden.packaging.limits import PROJECTS, limit_check, limit_refusals_recorded
from warden.packaging.models import (
    File,
    ProhibitedName,
    Project,
    ProjectStatus,
    Release,
    Role,
    RoleName,
    UsedFilename,
)
from warden.packaging.names import name_confusable_key, name_normalize, name_validate
from warden.packaging.tasks import storage_remove

log = logging.getLogger("warden.packaging")


def project_name_check(*, name: str) -> None:
    """Raise UploadError unless a new project may be called `name`. `project_insert` runs
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


def prohibited_name_add(*, name: str, reason: str = "", origin: Origin) -> ProhibitedName:
    with transaction.atomic():
        prohibited, _ = ProhibitedName.objects.update_or_create(
            normalized_name=name_normalize(name),
            defaults={"confusable_key": name_confusable_key(name), "reason": reason})
        record_event(tag=Tag.STAFF_NAME_PROHIBITED, origin=origin,
                     project_name=prohibited.normalized_name, details={"reason": reason})
    return prohibited


def project_insert(*, name: str, owner: User, origin: Origin) -> Project:
    """The rows of a new project owned by `owner`, created by `origin`, for the publishing
    service, which reports the creation through `project_changed`. Call inside its
    transaction. Raises IntegrityError if a project of this name (or a look-alike) was
    created meanwhile, LimitReached if `origin` has created too many projects lately."""
    project_name_check(name=name)
    # Here, where every way of creating a project passes (an upload, a page), under the
    # account's lock: the cap on new projects (warden.packaging.limits).
    limit_check(limit=PROJECTS, origin=origin)
    project = Project.objects.create(name=name, normalized_name=name_normalize(name),
                                     confusable_key=name_confusable_key(name))
    Role.objects.create(project=project, user=owner, role_name=RoleName.OWNER)
    return project


def project_create(*, name: str, owner: User, origin: Origin) -> Project:
    """An empty project owned by `owner` (an upload creates its project in `file_publish`)."""
    with limit_refusals_recorded(origin=origin), transaction.atomic():
        try:
            with transaction.atomic():
                project = project_insert(name=name, owner=owner, origin=origin)
        except IntegrityError as exc:
            raise UploadError(f"The name {name!r} is too similar to an existing "
                              "project.") from exc
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_CREATED, action="create", index_changed=True))
    return project


def _text(value: object) -> str:
    return "" if value is None else str(value)


def release_get(*, project: Project, version: str) -> Release | None:
    """The release of `project` whose version equals `version` under PEP 440 (1.0 == 1.0.0)."""
    return Release.objects.filter(project=project,
                                  canonical_version=canonicalize_version(version)).first()


def release_insert(*, project: Project, meta: Metadata, uploader: User) -> Release:
    """The release for `meta.version`, which has none yet: the first upload of a release
    sets its metadata. For the publishing service, which reports it through
    `project_changed`."""
    version = str(meta.version)
    canonical = canonicalize_version(version)
    return Release.objects.create(
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


def actor_of(origin: Origin) -> User:
    """The person a management action is done by: there must be one, since the rules are
    about their role."""
    if origin.actor is None:
        raise ManageError(_("This action needs a signed-in person."))
    return origin.actor


def _release_locked(*, release: Release, origin: Origin) -> tuple[Project, Release]:
    project = project_lock(project=release.project)
    role_require(project=project, user=actor_of(origin))
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
    """Remove bytes once the rows are gone for good; a rollback leaves them in place. A
    task, so a storage error after the commit is the worker's to log, not a 500 for a change
    that was made."""
    enqueue_on_commit(storage_remove, names=names)


def _release_files_yank(*, release: Release, reason: str | None) -> None:
    release.yanked, release.yanked_reason = reason is not None, reason or ""
    release.save(update_fields=["yanked", "yanked_reason"])
    release.files.update(yanked=reason is not None)


def release_yank(*, release: Release, reason: str, origin: Origin) -> Release:
    """PEP 592: installers skip a yanked release unless it is pinned exactly."""
    reason = reason.strip()
    with transaction.atomic():
        project, release = _release_locked(release=release, origin=origin)
        if release.yanked:
            raise ManageError(_("Release %(version)s is already yanked.")
                              % {"version": release.version})
        _release_files_yank(release=release, reason=reason)
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_RELEASE_YANKED, action="yank release", version=release.version,
            details={"reason": reason}))
    return release


def release_unyank(*, release: Release, origin: Origin) -> Release:
    with transaction.atomic():
        project, release = _release_locked(release=release, origin=origin)
        if not release.yanked:
            raise ManageError(_("Release %(version)s is not yanked.")
                              % {"version": release.version})
        _release_files_yank(release=release, reason=None)
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_RELEASE_UNYANKED, action="unyank release",
            version=release.version))
    return release


def _files_remove(*, project: Project, files: list[File]) -> None:
    """Delete-side bookkeeping shared by every removal: names stay used forever, the
    project's size shrinks, bytes go after the commit."""
    for file in files:
        # Normally recorded at upload; kept here so no path can make a name reusable.
        UsedFilename.objects.get_or_create(filename=file.filename)
    project.total_size = max(0, project.total_size - sum(f.size for f in files))
    Project.objects.filter(pk=project.pk).update(total_size=project.total_size)
    _storage_remove_on_commit(_storage_names(files))


def _not_quarantined(*, project: Project, release: Release | None = None) -> None:
    """Owners may not delete what staff (or the screening policy) quarantined: the bytes
    are the evidence reviewers need, and deleting them would free the project's name for
    whoever uploaded the malware. Staff removal (packaging.staff) prohibits the name."""
    if project.status == ProjectStatus.QUARANTINED or (release is not None
                                                       and release.quarantined):
        raise ManageError(_("%(project)s is quarantined while the index's staff review it; "
                            "nothing of it can be deleted until they release it.")
                          % {"project": project.name})


def file_delete(*, file: File, origin: Origin) -> None:
    """Remove one file. Its name stays used: installers and mirrors may have cached its
    hash under that name, so a different file must never appear there."""
    with transaction.atomic():
        project = project_lock(project=file.release.project)
        role_require(project=project, user=actor_of(origin))
        try:
            file = File.objects.select_related("release").get(pk=file.pk,
                                                              release__project=project)
        except File.DoesNotExist as exc:
            raise ManageError(_("The file %(filename)s no longer exists.")
                              % {"filename": file.filename}) from exc
        _not_quarantined(project=project, release=file.release)
        file_id = file.pk
        file.delete()
        _files_remove(project=project, files=[file])
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_FILE_REMOVED, action=f"remove file {file.filename}",
            version=file.release.version, filename=file.filename, file_ids=(file_id,),
            details={"sha256": file.sha256}))


def release_delete(*, release: Release, origin: Origin) -> None:
    """Remove a release and all its files (their names stay used)."""
    with transaction.atomic():
        project, release = _release_locked(release=release, origin=origin)
        _not_quarantined(project=project, release=release)
        files = list(release.files.all())
        file_ids = tuple(f.pk for f in files)
        release.delete()
        _files_remove(project=project, files=files)
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_RELEASE_REMOVED, action="remove release", version=release.version,
            file_ids=file_ids, details={"files": sorted(f.filename for f in files)}))


def project_purge(*, project: Project, action: str, origin: Origin) -> list[File]:
    """Remove a locked project with its roles, invitations, releases and files, for a caller
    that has already authorized the actor, inside its transaction. File names stay used,
    the project's pages stop being served with the commit, and the bytes go from storage
    only after it. Returns the removed files."""
    files = list(File.objects.filter(release__project=project))
    # Before the delete, while the project still has its id. The event outlives it.
    project_removed(project=project, origin=origin, change=ProjectChange(
        tag=Tag.PROJECT_DELETED, action=action, file_ids=tuple(f.pk for f in files),
        index_changed=True, details={"files": len(files)}))
    _files_remove(project=project, files=files)
    project.delete()  # cascades to roles, invitations, releases and files
    return files


def project_delete(*, project: Project, confirm_name: str, origin: Origin) -> None:
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
        role_require(project=project, user=actor_of(origin), role_names=(RoleName.OWNER,))
        _not_quarantined(project=project)
        project_purge(project=project, action="remove project", origin=origin)
