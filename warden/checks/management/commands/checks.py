"""`warden checks`: the installed malware checks, their states, and scans outside uploads.

`scan` runs on archive files through the same sandboxed code the upload path uses and needs
no database: without one it runs every check not disabled by its own default state.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from warden.audit.origin import Origin
from warden.checks import evaluate
from warden.checks.base import Classification, State
from warden.checks.registry import installed
from warden.checks.sandbox import Sandbox
from warden.checks.scanning import archive_scan, checks_running, default_states


def _states() -> dict[str, State]:
    from warden.checks.services import check_states

    try:
        return check_states()
    except DatabaseError:
        # No database here (a laptop, a CI job): the checks' own defaults.
        return default_states()


class Command(BaseCommand):
    help = "List, configure and run the malware checks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="installed checks, their versions and states")
        state = sub.add_parser("state", help="set a check's state")
        state.add_argument("name")
        state.add_argument("state", choices=[s.value for s in State])
        scan = sub.add_parser("scan", help="scan archive files; one JSON object per line")
        scan.add_argument("files", nargs="+", type=Path)
        scan.add_argument("--check", action="append", default=[], metavar="NAME",
                          help="run only this check (repeatable)")
        scan.add_argument("--fail-on", choices=["suspicious", "malicious"],
                          help="exit with status 3 when a file is classified this or worse")
        scheduled = sub.add_parser("run-scheduled", help="queue the checks with the "
                                   "schedule hook over recent uploads (run from cron)")
        scheduled.add_argument("--since-hours", type=int, default=24,
                               help="uploads of the last N hours (default 24)")
        requeue = sub.add_parser("requeue", help="queue again the screenings still pending "
                                 "(their task failed); run from cron")
        requeue.add_argument("--older-than-minutes", type=int, default=30)
        evaluate.add_arguments(sub.add_parser(
            "evaluate", help="recall, false positives and speed over a labelled corpus"))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list()
        elif action == "state":
            self._state(options["name"], State(options["state"]))
        elif action == "scan":
            self._scan(options)
        elif action == "requeue":
            from warden.checks.services import screenings_requeue

            count = screenings_requeue(older_than=timedelta(minutes=options["older_than_minutes"]))
            self.stdout.write(f"queued {count} screening(s) again")
        elif action == "run-scheduled":
            from warden.checks.services import scheduled_run

            queued = scheduled_run(since=timedelta(hours=options["since_hours"]))
            self.stdout.write(f"queued {len(queued)} screening(s)")
        else:
            status = evaluate.handle(options, self.stdout)
            if status:
                raise SystemExit(status)

    def _list(self) -> None:
        states = _states()
        for name, cls in installed().items():
            self.stdout.write(f"{name:<24} v{cls.version:<3} {states[name].value:<10} "
                              f"{','.join(sorted(h.value for h in cls.hooks)):<20} "
                              f"{cls.summary}")

    def _state(self, name: str, state: State) -> None:
        from warden.checks.services import check_state_set

        if name not in installed():
            raise CommandError(f"no installed check is named {name!r} (warden checks list)")
        check_state_set(name=name, state=state, origin=Origin.command("warden checks state"))
        self.stdout.write(f"{name}: {state.value}")

    def _scan(self, options: dict[str, Any]) -> None:
        names = options["check"] or checks_running(_states())
        unknown = [n for n in names if n not in installed()]
        if unknown:
            raise CommandError(f"no installed check is named {', '.join(unknown)}")
        worst = Classification.CLEAN
        sandbox = Sandbox()
        try:
            for path in options["files"]:
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    raise CommandError(f"{path}: {exc.strerror or exc}") from exc
                report = archive_scan(sandbox=sandbox, filename=path.name, data=data,
                                      checks=names)
                self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
                if report.classification.rank > worst.rank:
                    worst = report.classification
        finally:
            sandbox.close()
        fail_on = options["fail_on"]
        if fail_on and worst.rank >= Classification(fail_on).rank:
            raise SystemExit(3)
