"""Access rules for views, stacked as decorators (`@login_required @require_reauth`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from allauth.account.decorators import reauthentication_required

View = TypeVar("View", bound=Callable[..., Any])


def require_reauth(view: View) -> View:
    """The password (or, once it exists, a second factor) must have been entered within
    ACCOUNT_REAUTHENTICATION_TIMEOUT seconds: a session cookie stolen or left logged in on
    a shared machine must not be enough to mint tokens, change roles or delete things.
    Applies to every method, GET included, so a confirmation page cannot be pre-loaded."""
    return reauthentication_required(view)  # type: ignore[no-any-return]
