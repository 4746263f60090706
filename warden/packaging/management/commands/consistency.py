"""`warden check` (an alias, see warden/cli.py): is the index consistent after a crash?"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from warden.packaging.consistency import index_check


class Command(BaseCommand):
    help = ("Check that every file row has its bytes, every simple page is stored intact, "
            "and nothing is stuck; exit 1 on any problem. `warden check` runs this; "
            "`warden check --system` runs Django's system checks instead.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--verify-hashes", action="store_true",
                            help="read every file and compare its sha256 (default: existence "
                                 "and size only)")
        parser.add_argument("--repair", action="store_true",
                            help="remove orphaned bytes older than --stuck-after and requeue "
                                 "stuck tasks (default: report only)")
        parser.add_argument("--stuck-after", type=float, default=15.0, metavar="MINUTES",
                            help="a pending change or running task older than this is stuck "
                                 "(default: %(default)s)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        report = index_check(verify_hashes=options["verify_hashes"], repair=options["repair"],
                             stuck_after=timedelta(minutes=options["stuck_after"]))
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), indent=2))
        else:
            for finding in report.problems:
                self.stdout.write(f"PROBLEM {finding.kind}: {finding.name}: {finding.detail}")
            for finding in report.notes:
                self.stdout.write(f"note {finding.kind}: {finding.name}: {finding.detail}")
            for line in report.repaired:
                self.stdout.write(f"repaired: {line}")
            checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
            verdict = "consistent" if report.ok else f"{len(report.problems)} problem(s)"
            self.stdout.write(f"Checked {checked}: {verdict}; "
                              f"{len(report.notes)} orphan(s) noted.")
        if not report.ok:
            # Not CommandError: the report above is the message, and cron wants the status.
            raise SystemExit(1)
