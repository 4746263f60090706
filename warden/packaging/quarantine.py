"""Quarantine (PEP 792) of a project or of one release, and the screening hold.

A quarantined project offers no files anywhere (simple and JSON APIs, downloads, the web
site) and accepts no uploads; a quarantined release does the same for its own files only
(used for an established project, whose older releases users rely on). Releasing restores
everything, because nothing is deleted: the files stay in storage and in the database.

Only staff, an operator's command or Warden's own screening policy (an origin with no actor)
may quarantine or release; owners are told by mail.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from warden.accounts.tasks import notice_queue
from warden.audit.origin import Interface, Origin
from warden.audit.vocabulary import Tag
from warden.packaging.changes import ProjectChange, project_changed
from warden.packaging.models import File, Project, ProjectStatus, Release, Role, RoleName
from warden.packaging.services import ManageError, project_lock

log = logging.getLogger("warden.quarantine")


def _staff_or_system(origin: Origin) -> None:
    # Quarantine takes a project from its owners: only staff, or the index itself (the
    # screening policy, an operator's command), never an owner or a token.
    actor = origin.actor
    if actor is None:
        if origin.interface in (Interface.TASK, Interface.CLI) and origin.token is None:
            return
        raise PermissionDenied("Only staff can quarantine or release.")
    if not (actor.is_active and actor.is_staff):
        raise PermissionDenied("Only staff can quarantine or release.")


def _owners_tell(*, project: Project, template: str, origin: Origin,
                 version: str = "", reason: str = "") -> None:
    owners = Role.objects.filter(project=project, role_name=RoleName.OWNER,
                                 user__is_active=True).select_related("user")
    for role in owners:
        notice_queue(user=role.user, template=template, origin=origin,
                     context={"project": project.name, "version": version, "reason": reason})


def project_quarantine(*, project: Project, reason: str, origin: Origin) -> Project:
    _staff_or_system(origin)
    with transaction.atomic():
        project = project_lock(project=project)
        if project.status == ProjectStatus.QUARANTINED:
            raise ManageError(_("The project %(project)s is already quarantined.")
                              % {"project": project.name})
        project.status, project.status_reason = ProjectStatus.QUARANTINED, reason.strip()
        project.save(update_fields=["status", "status_reason"])
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_QUARANTINED, action="quarantine project",
            details={"reason": reason.strip()[:500]}, index_changed=True))
        _owners_tell(project=project, template="packaging/email/quarantined", origin=origin,
                     reason=reason.strip())
    log.warning("project %s quarantined: %s", project.normalized_name, reason)
    return project


def project_unquarantine(*, project: Project, origin: Origin) -> Project:
    _staff_or_system(origin)
    with transaction.atomic():
        project = project_lock(project=project)
        if project.status != ProjectStatus.QUARANTINED:
            raise ManageError(_("The project %(project)s is not quarantined.")
                              % {"project": project.name})
        project.status, project.status_reason = ProjectStatus.ACTIVE, ""
        project.save(update_fields=["status", "status_reason"])
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_UNQUARANTINED, action="release project from quarantine",
            index_changed=True))
        _owners_tell(project=project, template="packaging/email/unquarantined",
                     origin=origin)
    log.warning("project %s released from quarantine", project.normalized_name)
    return project


def _release_locked(release: Release) -> tuple[Project, Release]:
    project = project_lock(project=release.project)
    try:
        return project, Release.objects.get(pk=release.pk, project=project)
    except Release.DoesNotExist as exc:
        raise ManageError(_("The release %(version)s no longer exists.")
                          % {"version": release.version}) from exc


def release_quarantine(*, release: Release, reason: str, origin: Origin) -> Release:
    _staff_or_system(origin)
    with transaction.atomic():
        project, release = _release_locked(release)
        if release.quarantined:
            raise ManageError(_("Release %(version)s is already quarantined.")
                              % {"version": release.version})
        release.quarantined = True
        release.save(update_fields=["quarantined"])
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_RELEASE_QUARANTINED, action="quarantine release",
            version=release.version, details={"reason": reason.strip()[:500]}))
        _owners_tell(project=project, template="packaging/email/quarantined", origin=origin,
                     version=release.version, reason=reason.strip())
    log.warning("release %s %s quarantined: %s", project.normalized_name, release.version,
                reason)
    return release


def release_unquarantine(*, release: Release, origin: Origin) -> Release:
    _staff_or_system(origin)
    with transaction.atomic():
        project, release = _release_locked(release)
        if not release.quarantined:
            raise ManageError(_("Release %(version)s is not quarantined.")
                              % {"version": release.version})
        release.quarantined = False
        release.save(update_fields=["quarantined"])
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_RELEASE_UNQUARANTINED, action="release from quarantine",
            version=release.version))
        _owners_tell(project=project, template="packaging/email/unquarantined",
                     origin=origin, version=release.version)
    return release


def file_unhold(*, file_id: int, origin: Origin) -> bool:
    """Publish a file that WARDEN_SCREEN_HOLD kept back, now that it was screened. False if
    the file is gone or was not held (a second run is a no-op)."""
    with transaction.atomic():
        file = File.objects.filter(pk=file_id).select_related("release__project").first()
        if file is None:
            return False
        project = project_lock(project=file.release.project)
        if not File.objects.filter(pk=file_id, held=True).update(held=False):
            return False
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_FILE_SCREENED, action=f"publish screened file {file.filename}",
            version=file.release.version, filename=file.filename, file_ids=(file.pk,)))
    return True


def project_status_set(*, project: Project, status: ProjectStatus, reason: str,
                       origin: Origin) -> Project:
    """Give `project` any PEP 792 status, with a reason shown on its pages and index.

    Quarantine and leaving it go through the services above (mail, logs). Archived and
    deprecated are markers: the files stay offered; archived also refuses uploads."""
    _staff_or_system(origin)
    if status == ProjectStatus.QUARANTINED:
        return project_quarantine(project=project, reason=reason, origin=origin)
    if project.status == ProjectStatus.QUARANTINED:
        # Out of quarantine first (its own event and mail), then to the status asked for.
        project = project_unquarantine(project=project, origin=origin)
        if status == ProjectStatus.ACTIVE and not reason.strip():
            return project
    with transaction.atomic():
        project = project_lock(project=project)
        reason = reason.strip()
        if project.status == status and project.status_reason == reason:
            raise ManageError(_("The project %(project)s already has that status.")
                              % {"project": project.name})
        previous = project.status
        project.status, project.status_reason = status, reason
        project.save(update_fields=["status", "status_reason"])
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_STATUS_CHANGED, action=f"set project status {status}",
            details={"status": str(status), "previous": str(previous), "reason": reason[:500]},
            index_changed=True))
    return project
