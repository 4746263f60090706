"""`warden user create NAME`: accounts from the command line (operators, CI, benchmarks)."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from warden.audit.services import record_event
from warden.audit.vocabulary import Tag


class Command(BaseCommand):
    help = "Create a user account."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create an account")
        create.add_argument("username")
        create.add_argument("--email", required=True)
        create.add_argument("--no-password", action="store_true",
                            help="no password: the account can only use API tokens")
        create.add_argument("--staff", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username = options["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        user = User(username=username, email=options["email"], is_staff=options["staff"])
        if options["no_password"]:
            user.set_unusable_password()
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            user.set_password(password)
        with transaction.atomic():
            user.save()
            record_event(tag=Tag.ACCOUNT_CREATED, user=user,
                         details={"via": "warden user create"})
        self.stderr.write(f"Created user {username}.")
