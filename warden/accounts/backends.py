"""The one authentication backend: every password check (the login form, re-authentication,
the admin's login) comes here.

Two things no configuration of Django's and allauth's backends together gives:

- Every failure costs the same: the typed name is resolved to at most one account, then
  exactly one password hash is computed whether or not an account was found (a throwaway
  hash with the default hasher otherwise), so the time taken tells nobody whether a
  username or an address exists (ACCOUNT_PREVENT_ENUMERATION promises so). allauth's own
  backend tries the name as an address and then as a username, and Django's ModelBackend
  after it, one hash each.
- The sign-in caps (`warden.accounts.login_limits`) are applied per account, before the
  password is looked at, whatever the account was named by.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.models import EmailAddress
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest

from warden.accounts.login_limits import (
    TooManyLoginFailures,
    login_attempt_failed,
    login_attempts_check,
)
from warden.accounts.models import User
from warden.audit.client import client_ip


def account_resolve(*, login: str) -> User | None:
    """The one account a typed name means: the account with that username (in any case),
    else, for something shaped like an address, the account whose verified or primary
    address it is. None if there is no such account or it would be ambiguous."""
    login = login.strip()
    if not login:
        return None
    by_name = list(User.objects.filter(username__iexact=login)[:2])
    if len(by_name) == 1:
        return by_name[0]
    if "@" not in login:
        return None
    addresses = (EmailAddress.objects.filter(email__iexact=login)
                 .filter(Q(verified=True) | Q(primary=True)))
    # A verified address outranks someone else's unverified primary one (which anybody can
    # type in at sign-up); two accounts claiming one address resolve to neither.
    owners = {a.user_id for a in addresses if a.verified} or {a.user_id for a in addresses}
    if len(owners) != 1:
        return None
    return User.objects.filter(pk=owners.pop()).first()


def _typed_login(credentials: dict[str, Any]) -> str:
    # The login form passes a typed address both as `email` and as `username` (the same
    # text, resolved once); re-authentication passes the account's username and its
    # primary address, which may have no EmailAddress row: the username names it exactly.
    for field in ("username", "email"):
        value = credentials.get(field)
        if isinstance(value, str) and value.strip():
            return value
    return ""


class LoginBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None,  # type: ignore[override]
                     **credentials: Any) -> User | None:
        password = credentials.get("password")
        if not isinstance(password, str) or not password:
            return None
        login = _typed_login(credentials)
        address = client_ip(request) if request is not None else ""
        with transaction.atomic():
            user = account_resolve(login=login) if login else None
            if user is not None:
                # Parallel guesses at one account are counted one after another.
                User.objects.select_for_update().filter(pk=user.pk).first()
            try:
                login_attempts_check(user=user, login=login, address=address)
            except TooManyLoginFailures:
                # The refusal costs a hash like any answer, and looks the same whether the
                # password was right or not: it is never checked.
                make_password(password)
                raise
            if user is None:
                make_password(password)
                login_attempt_failed(user=None, login=login, address=address)
                return None
            if not user.check_password(password):
                login_attempt_failed(user=user, login=login, address=address)
                return None
            if not self.user_can_authenticate(user):
                login_attempt_failed(user=user, login=login, address=address)
                # allauth shows the right password of a disabled account its "account
                # inactive" page rather than "wrong password" (only who knows the password
                # learns it); it looks for the account where its own backend leaves it.
                AuthenticationBackend._stash_user(user)
                return None
            return user
