"""The `warden` command: Django's management commands under our name (`warden serve`,
`warden token create`, `warden migrate`, ...)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warden.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["warden", *sys.argv[1:]])


if __name__ == "__main__":
    main()
