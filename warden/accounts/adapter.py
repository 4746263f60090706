from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.http import HttpRequest

from warden.accounts.models import User
from warden.accounts.reauth import reauth_is_recent
from warden.accounts.receivers import origin_of, password_reset_requested, signed_in
from warden.accounts.usernames import username_check
from warden.audit.client import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Private indexes usually close sign-up and create accounts with `warden user create`.
        return bool(settings.WARDEN_SIGNUP_OPEN)

    def clean_username(self, username: str, shallow: bool = False) -> str:
        # Sign-up: ASCII only and no look-alike of an existing username (`a1ice`, or `alice`
        # with a Cyrillic `a`, beside `alice`), which would pass for that person as a
        # maintainer and in the audit trail. "Shallow" checks skip the database, as
        # allauth's own do.
        username = super().clean_username(username, shallow=shallow)
        username_check(username=username, against_existing=not shallow)
        return username

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's own per-address limits count the same client as ours and the audit
        # trail (WARDEN_TRUSTED_PROXIES), not the reverse proxy in front of everyone.
        return client_ip(request) or super().get_client_ip(request)

    def is_reauthentication_required(self, *, app: str, **kwargs: object) -> bool:
        # Every sensitive action asks for the password again unless it was entered within
        # the re-authentication window: `@require_reauth` views (app="") and allauth's own
        # email changes (app="allauth.account", which allauth leaves unprotected by
        # default). When this returns True, allauth additionally checks its own record of
        # a re-authentication, which is at least as strict as ours.
        return not reauth_is_recent(self.request)

    def can_delete_email(self, email_address: EmailAddress) -> bool:
        # The primary address stays: password resets and security notices go there, and an
        # account without one could never be recovered. Make another verified address
        # primary first (allauth would let the last address go when login is by username).
        return not email_address.primary

    def send_password_reset_mail(self, user: User, email: str,  # type: ignore[override]
                                 context: dict[str, Any]) -> None:
        # Recorded here, the one place that knows the address belongs to an account (the
        # form answers alike for unknown addresses, so nobody learns which ones exist).
        # Whoever asked is usually signed out (no actor); staff forcing a reset are not.
        request = context.get("request") or self.request
        password_reset_requested(user=user, email=email,
                                 origin=origin_of(request, actor=signed_in(request)))
        super().send_password_reset_mail(user, email, context)
