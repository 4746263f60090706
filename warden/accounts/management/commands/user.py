"""`warden user create NAME`: accounts from the command line (operators, CI, benchmarks).
`warden user reset-2fa NAME --reason TEXT`: account recovery, like the admin's action."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from warden.accounts.models import User as UserModel
from warden.accounts.twofactor.errors import SecondFactorError
from warden.accounts.twofactor.policy import has_two_factor
from warden.accounts.twofactor.services import two_factor_reset
from warden.accounts.usernames import username_check
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag


class Command(BaseCommand):
    help = "Create a user account, or reset its two-factor authentication."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create an account")
        create.add_argument("username")
        create.add_argument("--email", required=True)
        create.add_argument("--no-password", action="store_true",
                            help="no password: the account can only use API tokens")
        create.add_argument("--staff", action="store_true")
        reset = sub.add_parser(
            "reset-2fa", help="remove every second factor and the recovery codes of an "
            "account whose owner lost them; the owner is told by email")
        reset.add_argument("username")
        reset.add_argument("--reason", required=True, metavar="TEXT",
                           help="how you verified that the request comes from the account's "
                           "owner (recorded in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        match options["action"]:
            case "create":
                self._create(options)
            case "reset-2fa":
                self._reset_two_factor(options)

    def _reset_two_factor(self, options: dict[str, Any]) -> None:
        username = options["username"]
        user = UserModel.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not has_two_factor(user):
            raise CommandError(f"User {username} has no second factor; nothing to reset.")
        try:
            # An operator at the command line: no actor, the command is named instead.
            removed = two_factor_reset(user=user, reason=options["reason"],
                                       origin=Origin.command("warden user reset-2fa"))
        except SecondFactorError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stderr.write(
            f"Removed every second factor of {username} ({removed} authenticator(s), the "
            "recovery codes included); they were told by email. They can log in with their "
            "password and must set up a new second factor.")

    def _create(self, options: dict[str, Any]) -> None:
        User = get_user_model()
        username = options["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        # The same rule as sign-up: ASCII only, and no look-alike of an existing username.
        try:
            username_check(username=username)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
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
                         origin=Origin.command("warden user create"))
        self.stderr.write(f"Created user {username}.")
