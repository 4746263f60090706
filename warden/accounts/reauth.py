"""When is a password "recent"? The one rule behind `@require_reauth` and allauth's own
sensitive flows (adding, removing or making primary an email address)."""

from __future__ import annotations

import time

from allauth.account.internal.flows.login import get_authentication_records
from django.conf import settings
from django.http import HttpRequest

# A password typed at the login form or at the re-authentication form proves the person at
# the keyboard knows it; a second factor will count too once it exists. Logging in through
# an emailed link (verification, password reset) proves only access to the mailbox, so it
# never counts: someone who reads your mail must not be able to mint a token with it.
PROOF_METHODS = frozenset({"password", "mfa"})


def reauth_is_recent(request: HttpRequest | None) -> bool:
    """True if the signed-in user entered their password (or a second factor) within
    ACCOUNT_REAUTHENTICATION_TIMEOUT seconds, in this session."""
    if request is None or not request.user.is_authenticated:
        return False
    records = get_authentication_records(request, request.user)
    times = [r["at"] for r in records
             if r.get("method") in PROOF_METHODS and isinstance(r.get("at"), int | float)]
    if not times:
        return False
    # The window is short on purpose (300 s by default): a session cookie stolen, or a
    # browser left signed in on a shared machine, must not be enough for a sensitive action.
    return time.time() - max(times) < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
