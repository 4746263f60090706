"""Background work of the accounts domain, run by the task worker: the security notices
(`warden.accounts.notices`)."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django_tasks import task

from warden.accounts.models import User
from warden.accounts.notices import notice_mail
from warden.audit.origin import Origin
from warden.lib.tasks import enqueue_on_commit

log = logging.getLogger("warden.accounts.notices")

# allauth's limit for the browser line of its notices.
USER_AGENT_MAX_LENGTH = 200


@task()
def notice_send(*, user_id: int, template: str, context: dict[str, Any], address: str,
                user_agent: str, host: str, at: str, language: str) -> bool:
    """Mail the notice `template` to the account `user_id`. True if it was sent; False if
    there was nobody to send it to (the account is gone, or has no address)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    try:
        return notice_mail(user=user, template=template, context=context, address=address,
                           user_agent=user_agent, host=host, at=datetime.fromisoformat(at),
                           language=language)
    except (smtplib.SMTPException, OSError):
        # Raised on, so the worker records this task as failed (with the traceback) and goes
        # on to the next one; logged here too with what the mail was, for whoever reads
        # the log rather than the task results.
        log.exception("could not mail the notice %s to user %s", template, user_id)
        raise


def notice_queue(*, user: User, template: str, origin: Origin,
                 context: dict[str, Any] | None = None) -> None:
    """Queue the notice `template` (e.g. "mfa/email/totp_activated") to `user`, to be sent
    once the current transaction commits (`enqueue_on_commit`). Everything the mail needs is
    passed as plain
    values now, since the task runs elsewhere and later: `context` must be
    JSON-serialisable."""
    arguments: dict[str, Any] = {
        "user_id": user.pk, "template": template, "context": dict(context or {}),
        "address": origin.address, "user_agent": origin.user_agent[:USER_AGENT_MAX_LENGTH],
        # The site's configured name, never a request's Host header: a notice must not name
        # whatever host a client claimed, and commands and the worker have none.
        "host": settings.WARDEN_WEBAUTHN_RP_ID,
        # When the change was made, not when the worker got round to the mail.
        "at": timezone.now().isoformat(),
        # The language the change was made in, so the notice reads like the pages did
        # (no language is kept per account).
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }
    enqueue_on_commit(notice_send, **arguments)
