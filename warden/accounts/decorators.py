"""Access rules for views, stacked as decorators (`@login_required @require_reauth`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from allauth.account.decorators import reauthentication_required

View = TypeVar("View", bound=Callable[..., Any])


def require_reauth(view: View) -> View:
    """The password (or, once it exists, a second factor) must have been entered within
    ACCOUNT_REAUTHENTICATION_TIMEOUT seconds, at login or on the re-authentication page
    (the rule is `warden.accounts.reauth.reauth_is_recent`, applied through our account
    adapter): a session cookie stolen or left logged in on a shared machine must not be
    enough to mint tokens, change roles or delete things. Otherwise allauth's middleware
    sends the user to /accounts/reauthenticate/ and, after the password, replays the
    request (a POST included). Applies to every method, GET included, so a confirmation
    page cannot be pre-loaded."""
    return reauthentication_required(view)  # type: ignore[no-any-return]
