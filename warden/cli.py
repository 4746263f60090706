"""The `warden` command: Django's management commands under our name (`warden serve`,
`warden token create`, `warden migrate`, ...).

`warden check` is ours: the index's consistency check (`consistency`, like devpi-fsck),
what an operator runs after a crash. Django's system checks stay reachable as
`warden check --system [ARGS...]` (e.g. `warden check --system --deploy`)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warden.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["warden", *command_args(sys.argv[1:])])


def command_args(args: list[str]) -> list[str]:
    """The management command line for `warden ARGS`."""
    if args[:1] == ["check"]:
        rest = args[1:]
        if "--system" in rest:
            rest.remove("--system")
            return ["check", *rest]
        return ["consistency", *rest]
    return args


if __name__ == "__main__":
    main()
