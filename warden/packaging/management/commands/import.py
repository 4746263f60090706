"""`warden import DIRECTORY --owner USER`: bring an existing index's files in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from warden.audit.origin import Origin
from warden.packaging.errors import UploadError
from warden.packaging.importer import ImportSummary, import_candidates, import_file


class Command(BaseCommand):
    help = "Import a directory of distributions (for example a pypiserver or devpi export)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--owner", required=True,
                            help="user who owns projects that do not exist yet")

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        try:
            owner = get_user_model().objects.get(username=options["owner"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {options['owner']!r}.") from exc
        paths = list(import_candidates(directory))
        summary = ImportSummary()
        # The files are published in the owner's name (their history shows them), through
        # an operator's command (the events say which).
        origin = Origin.command("warden import", actor=owner)
        for path in tqdm(paths, desc="Importing", unit="file", file=self.stderr._out,
                         disable=not paths):
            shown = str(path.relative_to(directory))
            try:
                result = import_file(path=path, owner=owner, origin=origin)
            except UploadError as exc:
                summary.refused.append((shown, exc.message))
                continue
            (summary.imported if result.created else summary.present).append(shown)
        self.stdout.write(f"Imported {len(summary.imported)} file(s); "
                          f"{len(summary.present)} already present; "
                          f"{len(summary.refused)} refused.")
        for shown, reason in summary.refused:
            self.stdout.write(f"  refused {shown}: {reason}")
        if summary.refused:
            raise CommandError(f"{len(summary.refused)} file(s) were refused (listed above).",
                               returncode=2)
