"""`warden audit verify`: check every event chain and report the first break in each."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from warden.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check the hash chains of all audit events")

    def handle(self, *args: Any, **options: Any) -> None:
        breaks = audit_verify()
        if not breaks:
            self.stdout.write("All audit chains are intact.")
            return
        for found in breaks:
            self.stdout.write(f"BROKEN {found.chain} at event {found.seq}: {found.reason}")
        raise CommandError(f"{len(breaks)} audit chain(s) are broken.", returncode=3)
