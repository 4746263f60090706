"""`warden audit verify`: check every event chain and report the first break in each.
`warden audit retention`: erase IP data past WARDEN_AUDIT_IP_RETENTION_DAYS (for cron when
scaled out; `warden serve` schedules it daily itself)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from warden.audit.services import audit_verify
from warden.audit.tasks import audit_ip_retention


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check the hash chains of all audit events")
        sub.add_parser("retention", help="erase IP data older than the retention period")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "retention":
            erased = audit_ip_retention.call()
            self.stdout.write(f"Erased the IP data of {erased} event(s).")
            return
        breaks = audit_verify()
        if not breaks:
            self.stdout.write("All audit chains are intact.")
            return
        for found in breaks:
            self.stdout.write(f"BROKEN {found.chain} at event {found.seq}: {found.reason}")
        raise CommandError(f"{len(breaks)} audit chain(s) are broken.", returncode=3)
