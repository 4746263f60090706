"""The one place a change to a project is made known.

Every use case that changes a project (an upload, a yank, a deletion, a collaborator, the
project itself) calls `project_changed` once, inside its own transaction. It journals the
change (the new serial), records the audit event, leaves a pending change for the
publisher (which renders the pages and signs them as TUF targets) and tells the extension
point `warden.lib.signals.project_changed`, so that what follows a change (screening's check
runs) is added here, once, and no use case can forget it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from warden.accounts.models import User
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.lib import signals
from warden.packaging.models import JournalEntry, PendingChange, Project, SimplePage


@dataclass(frozen=True)
class ProjectChange:
    """What happened to a project: the audit event's tag, the journal's words, and what it
    touched. `user` is the account the change is about when it is not the actor's (a
    collaborator invited or removed); `file_ids` the files added or removed;
    `index_changed` says the list of projects changed (created, deleted, hidden)."""

    tag: Tag
    action: str
    version: str = ""
    filename: str = ""
    user: User | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    file_ids: tuple[int, ...] = ()
    index_changed: bool = False


def project_changed(*, project: Project, change: ProjectChange, origin: Origin) -> int:
    """Journal `change` to `project`, record its audit event, queue its pages and tell the
    extension point. Call inside the change's transaction, with the project row locked (or
    just created), so serials follow the order of commits. Returns the new serial."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("project_changed must run inside the change's transaction")
    entry = JournalEntry.objects.create(name=project.name, version=change.version,
                                        action=change.action, submitted_by=origin.actor)
    project.last_serial = entry.pk
    Project.objects.filter(pk=project.pk).update(last_serial=entry.pk)
    record_event(tag=change.tag, origin=origin, user=change.user, project=project,
                 version=change.version, filename=change.filename, details=change.details)
    _pages_queue(project=project, change=change)
    signals.project_changed.send(sender=Project, project_id=project.pk,
                                 normalized_name=project.normalized_name, change=change,
                                 origin=origin)
    return entry.pk


def project_removed(*, project: Project, change: ProjectChange, origin: Origin) -> None:
    """`project_changed` for a project about to be deleted: the same journal, event and
    extension point, and its page stops being served when the deletion commits (a project
    removed for shipping malware must not stay installable until a worker gets round to
    it)."""
    project_changed(project=project, change=change, origin=origin)
    SimplePage.objects.filter(key=project.normalized_name).delete()


def _pages_queue(*, project: Project, change: ProjectChange) -> None:
    # A row, not a task: the publisher (the TUF signer) drains these in batches, so a
    # burst of changes to one project costs one render and one signature.
    PendingChange.objects.create(normalized_name=project.normalized_name,
                                 index_changed=change.index_changed)
