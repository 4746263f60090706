"""What tokens do when something happens elsewhere (`warden.lib.signals`)."""

from __future__ import annotations

from typing import Any

from warden.accounts.models import User
from warden.audit.origin import Origin
from warden.lib import signals
from warden.tokens.services import tokens_revoke_all


def on_user_disabled(*, user_id: int, origin: Origin, **kwargs: Any) -> int:
    # token_authenticate refuses an inactive user's tokens already; revoking them too means
    # re-enabling the account does not silently bring them back. Returns the count, which
    # the disabling service records.
    return tokens_revoke_all(user=User.objects.get(pk=user_id), origin=origin)


def receivers_connect() -> None:
    signals.user_disabled.connect(on_user_disabled, dispatch_uid="warden.tokens.user_disabled")
