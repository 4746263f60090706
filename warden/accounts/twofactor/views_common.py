"""Small helpers the two-factor views share."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.utils import get_next_redirect_url
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from warden.accounts.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The user of a view behind `@login_required`."""
    user = request.user
    assert isinstance(user, User)
    return user


def wants_json(request: HttpRequest) -> bool:
    """The page's script asking for WebAuthn options (it sends Accept: application/json)."""
    return "application/json" in request.headers.get("Accept", "")


def safe_next(request: HttpRequest) -> str:
    """The `next` parameter (query string or form), only if it points into this site: an
    open redirect after a security step would be a gift to a phishing page."""
    return get_next_redirect_url(request) or ""


def with_next(url: str, next_url: str) -> str:
    """`url` carrying `next_url` along, so a detour through set-up brings people back."""
    if not next_url:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'next': next_url})}"


def user_keys(user: User) -> list[Authenticator]:
    return list(Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.WEBAUTHN)
                .order_by("created_at", "pk"))


def user_totp(user: User) -> Authenticator | None:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()


def key_name(authenticator: Authenticator) -> str:
    return str(authenticator.data.get("name") or "")


def key_is_passkey(authenticator: Authenticator) -> bool:
    """A passkey (a discoverable credential) can sign in without the password. Our
    registration records the choice; keys registered otherwise say so through the
    `credProps` extension."""
    data = authenticator.data
    if "passkey" in data:
        return bool(data["passkey"])
    return bool(data.get("credential", {}).get("clientExtensionResults", {})
                .get("credProps", {}).get("rk"))
