"""Leaked tokens: revoked at once, their owner told, the revocation on the record.

Two ways in: a secret scanner's signed report (`warden.web.tokens.leaks`, checked by
`scanner.py`), and staff (`warden token revoke --leaked`). Either way only a token whose
bytes are a token we minted is revoked: the scanner is trusted to report what it found, not
to name which of our tokens to revoke, so a report that guesses ids revokes nothing.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pymacaroons
from django.db import transaction
from django.utils import timezone

from warden.accounts.tasks import notice_queue
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.tokens.caveats import RequestUser, TokenError, caveat_serialize
from warden.tokens.format import token_encode
from warden.tokens.models import RevokedReason, Token
from warden.tokens.scanner import LeakReport
from warden.tokens.services import TOKEN_LOCATION, token_minted_id

__all__ = ["leak_reports_process", "token_revoke_leaked"]

NOTICE_TEMPLATE = "tokens/email/token_leaked"


def _redacted(text: str, raw: str) -> str:
    # The report's url and source are the scanner's words; should either quote the token,
    # it must not reach the audit trail or a mail through them.
    return text.replace(raw, "[token]") if raw else text


def token_revoke_leaked(*, token: Token, origin: Origin, url: str = "", source: str = "",
                        raw: str = "", now: datetime | None = None) -> bool:
    """Revoke `token` because it was found in public (at `url`, by `source`), record it and
    mail its owner what to do. Idempotent: a token already revoked keeps its revocation and
    nothing is recorded or sent again. Returns whether it was live. `raw` is the token as
    reported, only to keep it out of what is recorded."""
    now = now or timezone.now()
    url, source = _redacted(url, raw), _redacted(source, raw)
    with transaction.atomic():
        revoked = Token.objects.filter(pk=token.pk, revoked__isnull=True).update(
            revoked=now, revoked_reason=RevokedReason.LEAKED)
        token.refresh_from_db(fields=["revoked", "revoked_reason"])
        if not revoked:
            return False
        owner, actor = token.user, origin.actor
        details = {name: value for name, value in (("url", url), ("source", source)) if value}
        record_event(tag=Tag.ACCOUNT_TOKEN_LEAKED, origin=origin, token=token, user=owner,
                     details=details)
        if actor is not None and actor.pk != owner.pk:
            record_event(tag=Tag.STAFF_TOKEN_REVOKED, origin=origin, token=token, user=owner)
        # Queued in the transaction, sent after it commits: a mail server that is down
        # must not keep a leaked token alive.
        notice_queue(user=owner, template=NOTICE_TEMPLATE, origin=origin, context={
            "description": token.description, "token_id": str(token.pk), "url": url,
            "source": source, "revoked": now.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        })
    return True


@functools.cache
def _decoy() -> str:
    # A well-formed token signed with a key nobody has: verifying it costs what verifying
    # a reported token of ours costs, and always fails.
    macaroon = pymacaroons.Macaroon(location=TOKEN_LOCATION, identifier=str(uuid.uuid4()),
                                    key=os.urandom(32), version=pymacaroons.MACAROON_V2)
    macaroon.add_first_party_caveat(caveat_serialize(RequestUser(user_id="0")))
    return token_encode(macaroon.serialize())


def _reported_token(raw: str) -> Token | None:
    """The live token of ours that `raw` is, else None, after the same work either way: a
    full signature check and one query. So the answer's timing says as little as its body
    about whether a reported string was ours."""
    try:
        token_id = token_minted_id(raw=raw)
    except TokenError:
        try:
            token_minted_id(raw=_decoy())
        except TokenError:
            pass
        token_id = uuid.uuid4()
    return Token.objects.select_related("user").filter(pk=token_id,
                                                        revoked__isnull=True).first()


def leak_reports_process(*, reports: Sequence[LeakReport], origin: Origin) -> int:
    """Revoke every live token of ours among `reports` (already verified as the scanner's).
    Returns how many were revoked, for the log; the scanner's answer must not depend on it."""
    revoked = 0
    for report in reports:
        token = _reported_token(report.token)
        if token is not None and token_revoke_leaked(token=token, origin=origin,
                                                     url=report.url, source=report.source,
                                                     raw=report.token):
            revoked += 1
    return revoked
