"""A new session id at every step that raises what a session may do.

Any visitor gets a session id before signing in (the passkey page stores a challenge in
it), and an id can be planted in someone else's browser (a shared machine, a cookie set
by a sibling subdomain). Were the id kept after the password, whoever planted it would
share the half-finished login: reach the second-factor page, try codes there, see which
factors the account has. So the id changes, and the old one stops working, whenever allauth
records a proof: a password accepted (before the second-factor stage is stored in the
session, since allauth records the proof first), a second factor accepted, a
re-authentication accepted, a passkey sign-in. The half-finished login then lives only
under the new id, which only the browser that typed the password has been given.

allauth records every proof through `record_authentication`, which sends
`authentication_step_completed`: one receiver covers every flow, present and future,
rather than one call per view. (Django's `login()` changes the id once more at the end.)
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import authentication_step_completed
from django.http import HttpRequest


def on_authentication_step(*, request: HttpRequest | None, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    # Keeps the data (the pending login, the proofs so far), deletes the old id's row.
    session.cycle_key()


def session_rotation_connect() -> None:
    authentication_step_completed.connect(on_authentication_step,
                                          dispatch_uid="warden.accounts.session_rotation")
