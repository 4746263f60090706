"""Who must have a second factor, and for what (issue 4, part 6).

With WARDEN_REQUIRE_2FA (the default) a stolen password alone can neither manage a project,
nor mint a token, nor upload with an existing token. Staff always need it, whatever the
setting: the admin can change everyone's account.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from warden.accounts.models import User
from warden.accounts.twofactor.errors import TwoFactorRequiredForUpload

View = TypeVar("View", bound=Callable[..., HttpResponseBase])
# Recovery codes alone are not a factor: they exist to replace a lost one.
FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def has_two_factor(user: User) -> bool:
    if not user.is_authenticated:
        return False
    return Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES).exists()


def two_factor_required(user: User) -> bool:
    return bool(settings.WARDEN_REQUIRE_2FA or user.is_staff)


def setup_url(next_path: str = "") -> str:
    query = {"reason": "required"}
    if next_path:
        query["next"] = next_path
    return f"{reverse('mfa_index')}?{urlencode(query)}"


def require_two_factor(view: View) -> View:
    """For views under `@login_required`: a user who must have a second factor and has none
    is sent to set one up, told why, and brought back afterwards."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if isinstance(user, User) and two_factor_required(user) and not has_two_factor(user):
            messages.warning(request, _(
                "Staff need two-factor authentication for this page. Set up an "
                "authenticator app or a security key to continue.") if user.is_staff else _(
                "This site requires two-factor authentication to manage projects and API "
                "tokens. Set up an authenticator app or a security key to continue."))
            return HttpResponseRedirect(setup_url(request.get_full_path()))
        return view(request, *args, **kwargs)
    return wrapper  # type: ignore[return-value]


def upload_allowed(user: User, *, setup_at: str) -> None:
    """Raise unless `user`'s tokens may upload. `setup_at` is the absolute URL of the
    security page, for the message twine prints."""
    if two_factor_required(user) and not has_two_factor(user):
        raise TwoFactorRequiredForUpload(user.username, setup_at)
