"""`warden project`: an operator's view of projects and their PEP 792 status.

`warden project status NAME` shows it; `warden project status NAME quarantined --reason
"..."` sets it (archived, deprecated, quarantined, active), through the same service and
audit event as the staff page."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from warden.audit.origin import Origin
from warden.packaging.models import Project, ProjectStatus
from warden.packaging.names import name_normalize
from warden.packaging.quarantine import project_status_set
from warden.packaging.services import ManageError


class Command(BaseCommand):
    help = "Show or set a project's status (PEP 792)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="show or set a project's status")
        status.add_argument("name", help="the project's name (any spelling)")
        status.add_argument("status", nargs="?", choices=[s.value for s in ProjectStatus],
                            help="the new status; omit it to show the current one")
        status.add_argument("--reason", default="",
                            help="why (required for anything but active); owners and "
                                 "installers see it")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        project = Project.objects.filter(normalized_name=name_normalize(name)).first()
        if project is None:
            raise CommandError(f"no project is named {name!r}")
        if options["status"] is None:
            reason = f" ({project.status_reason})" if project.status_reason else ""
            self.stdout.write(f"{project.name}: {project.status}{reason}")
            return
        status, reason = ProjectStatus(options["status"]), options["reason"].strip()
        if status != ProjectStatus.ACTIVE and not reason:
            raise CommandError("--reason is required: the owners and the project's users "
                               "see it")
        try:
            project = project_status_set(project=project, status=status, reason=reason,
                                         origin=Origin.command("warden project status"))
        except ManageError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"{project.name}: {project.status}")
