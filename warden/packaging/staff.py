"""Staff actions on projects. `project_delete` is the owners' path (a role and the typed name);
staff remove a project they hold no role on, e.g. malware or a squatted name, through here."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction

from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.packaging.models import Project
from warden.packaging.services import prohibited_name_add, project_lock, project_purge

log = logging.getLogger("warden.staff")


def project_remove(*, project: Project, origin: Origin) -> None:
    """Remove `project` with its roles, invitations, releases and files, as `project_delete`
    does for an owner. The file names stay used (UsedFilename rows are never deleted), so
    nobody can later publish different bytes under an old file's name."""
    # The admin already admits staff only; checked here too so no other caller can skip it.
    staff_user = origin.actor
    if staff_user is None or not (staff_user.is_active and staff_user.is_staff):
        raise PermissionDenied("Only staff can remove a project they have no role on.")
    with transaction.atomic():
        project = project_lock(project=project)
        normalized_name = project.normalized_name
        # On the staff chain (who removed what) as well as the project's own, which
        # project_purge records: staff acting on a project they hold no role on.
        record_event(tag=Tag.STAFF_PROJECT_REMOVED, origin=origin, project=project)
        files = project_purge(project=project, action="remove project (staff)", origin=origin)
    log.info("staff %s removed project %s (%d file(s))", staff_user.username, normalized_name,
             len(files))


def project_remove_and_prohibit(*, project: Project, reason: str, origin: Origin) -> None:
    """Remove `project` (as `project_remove`) and prohibit its name, both or neither: a
    removed malware project whose name stayed free could be registered again at once by
    whoever uploaded it."""
    with transaction.atomic():
        project_remove(project=project, origin=origin)
        prohibited_name_add(name=project.name, reason=reason, origin=origin)
