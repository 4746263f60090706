"""Audit events for the account flows allauth and django.contrib.auth run: they own sign-up,
login, passwords and addresses, so their signals are where we learn of each. Connected in
`AccountsConfig.ready()`.

These receivers are an interface: they get the request from allauth and build the `Origin`
of the event from it, here, like a view does.

The signals fire after the change, outside any transaction of ours (allauth commits each
change as it goes); an event that failed to record would raise here and fail the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from allauth.account import signals as allauth
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.account.utils import filter_users_by_email
from django.contrib.auth import signals as auth
from django.http import HttpRequest

from warden.accounts.models import User
from warden.accounts.networks import network_login_seen
from warden.audit.origin import Interface, Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag


def _user(value: object) -> User | None:
    return value if isinstance(value, User) and value.pk is not None else None


def signed_in(request: HttpRequest | None) -> User | None:
    return _user(getattr(request, "user", None)) if request is not None else None


def origin_of(request: HttpRequest | None, *, actor: User | None) -> Origin:
    """The origin of an account flow's event: the request's address and browser, and who
    acted (said by each receiver: in these flows it is often not the signed-in user yet, or
    any more). Django sends some signals with no request (`authenticate()` called without
    one): then there is no address to record."""
    if request is None:
        return Origin(interface=Interface.WEB, actor=actor)
    return Origin.from_request(request, actor=actor)


def on_signed_up(*, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_event(tag=Tag.ACCOUNT_CREATED, origin=origin_of(request, actor=user),
                 details={"via": "sign-up form"})


def on_logged_in(*, request: HttpRequest, user: User, **kwargs: Any) -> None:
    records = get_authentication_records(request, user) if request is not None else []
    method = str(records[-1].get("method", "")) if records else ""
    origin = origin_of(request, actor=user)
    record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=origin,
                 details={"method": method} if method else None)
    network_login_seen(user=user, origin=origin)


def _named_user(credentials: Mapping[str, Any]) -> User | None:
    """The account a failed login attempt named, if there is one. Attempts on names that
    don't exist are not recorded: there is no account whose history they belong to."""
    username = credentials.get("username")
    if isinstance(username, str) and username:
        found = User.objects.filter(username__iexact=username).first()
        if found is not None:
            return found
    email = credentials.get("email")
    if isinstance(email, str) and email:
        users = filter_users_by_email(email, prefer_verified=True)
        if users:
            return _user(users[0])
    return None


def on_login_failed(*, credentials: Mapping[str, Any], request: HttpRequest | None = None,
                    **kwargs: Any) -> None:
    # Django has already replaced the password in `credentials` with stars; nothing of the
    # attempt but which account it named is kept anyway.
    user = _named_user(credentials)
    if user is None:
        return
    # A signed-in user failing the re-authentication form is a failure too, of a kind an
    # owner wants to tell apart from strangers guessing at the login page.
    details = {"reauthentication": True} if signed_in(request) is not None else None
    # Nobody is named as the actor: whoever typed the password has not proved who they are.
    record_event(tag=Tag.ACCOUNT_LOGIN_FAILURE, origin=origin_of(request, actor=None),
                 user=user, details=details)


def on_logged_out(*, request: HttpRequest | None, user: object, **kwargs: Any) -> None:
    account = _user(user)
    if account is not None:
        record_event(tag=Tag.ACCOUNT_LOGOUT, origin=origin_of(request, actor=account))


def on_authentication_step(*, request: HttpRequest, user: User, method: str,
                           **kwargs: Any) -> None:
    # Logins are recorded by `on_logged_in`; this is for the re-authentication form.
    if kwargs.get("reauthenticated"):
        record_event(tag=Tag.ACCOUNT_REAUTH_SUCCESS, origin=origin_of(request, actor=user),
                     details={"method": method})


def on_password_changed(*, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_event(tag=Tag.ACCOUNT_PASSWORD_CHANGED, origin=origin_of(request, actor=user))


def on_password_set(*, request: HttpRequest, user: User, **kwargs: Any) -> None:
    # A first password (the account had none): a change of how the account is protected.
    record_event(tag=Tag.ACCOUNT_PASSWORD_CHANGED, origin=origin_of(request, actor=user),
                 details={"first": True})


def on_password_reset(*, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_event(tag=Tag.ACCOUNT_PASSWORD_RESET, origin=origin_of(request, actor=user))


def password_reset_requested(*, user: User, email: str, origin: Origin) -> None:
    """Called by the account adapter as it mails a reset link to an existing account."""
    record_event(tag=Tag.ACCOUNT_PASSWORD_RESET_REQUESTED, origin=origin, user=user,
                 details={"email": email})


def on_email_added(*, request: HttpRequest, user: User, email_address: EmailAddress,
                   **kwargs: Any) -> None:
    record_event(tag=Tag.ACCOUNT_EMAIL_ADDED, origin=origin_of(request, actor=user),
                 details={"email": email_address.email})


def on_email_removed(*, request: HttpRequest, user: User, email_address: EmailAddress,
                     **kwargs: Any) -> None:
    record_event(tag=Tag.ACCOUNT_EMAIL_REMOVED, origin=origin_of(request, actor=user),
                 details={"email": email_address.email})


def on_email_confirmed(*, request: HttpRequest | None, email_address: EmailAddress,
                       **kwargs: Any) -> None:
    owner = _user(email_address.user)
    if owner is None:
        return
    # Staff confirming an address from the admin act on someone else's account.
    actor = signed_in(request) or owner
    record_event(tag=Tag.ACCOUNT_EMAIL_VERIFIED, origin=origin_of(request, actor=actor),
                 user=owner, details={"email": email_address.email})


def on_email_changed(*, request: HttpRequest, user: User,
                     from_email_address: EmailAddress | None, to_email_address: EmailAddress,
                     **kwargs: Any) -> None:
    record_event(tag=Tag.ACCOUNT_EMAIL_PRIMARY_CHANGED, origin=origin_of(request, actor=user),
                 details={"from": from_email_address.email if from_email_address else "",
                          "to": to_email_address.email})


def receivers_connect() -> None:
    uid = "warden.accounts.audit"
    allauth.user_signed_up.connect(on_signed_up, dispatch_uid=f"{uid}.signed_up")
    allauth.user_logged_in.connect(on_logged_in, dispatch_uid=f"{uid}.logged_in")
    auth.user_login_failed.connect(on_login_failed, dispatch_uid=f"{uid}.login_failed")
    auth.user_logged_out.connect(on_logged_out, dispatch_uid=f"{uid}.logged_out")
    allauth.authentication_step_completed.connect(on_authentication_step,
                                                  dispatch_uid=f"{uid}.authentication_step")
    allauth.password_changed.connect(on_password_changed, dispatch_uid=f"{uid}.password")
    allauth.password_set.connect(on_password_set, dispatch_uid=f"{uid}.password_set")
    allauth.password_reset.connect(on_password_reset, dispatch_uid=f"{uid}.password_reset")
    allauth.email_added.connect(on_email_added, dispatch_uid=f"{uid}.email_added")
    allauth.email_removed.connect(on_email_removed, dispatch_uid=f"{uid}.email_removed")
    allauth.email_confirmed.connect(on_email_confirmed, dispatch_uid=f"{uid}.email_confirmed")
    allauth.email_changed.connect(on_email_changed, dispatch_uid=f"{uid}.email_changed")
