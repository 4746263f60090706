"""Security notices: a mail to the account's owner about a change to how it is protected, so
that a change made by someone else is noticed. In allauth's notice format (where from, which
browser, when).

Services queue a notice with `warden.accounts.tasks.notice_queue` inside their transaction;
the task worker sends it (`notice_mail`, here) once the change has committed, never in the
request: a mail server that is down must not turn a change already made into an error page,
and a change rolled back must not be announced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from warden.accounts.models import User


def notice_mail(*, user: User, template: str, context: dict[str, Any], address: str,
                user_agent: str, host: str, at: datetime, language: str) -> bool:
    """Render the notice and mail it to the account's primary address. Returns False if the
    account has no address to send to. Errors of the mail server propagate."""
    email = EmailAddress.objects.get_primary_email(user) or user.email
    if not email:
        return False
    site = settings.WARDEN_WEBAUTHN_RP_NAME
    with translation.override(language):
        ctx: dict[str, Any] = {
            "user": user, "email": email, "timestamp": at, "ip": address,
            "user_agent": user_agent, "current_site": {"name": site, "domain": host},
            **context,
        }
        subject = " ".join(render_to_string(f"{template}_subject.txt", ctx).splitlines())
        body = render_to_string(f"{template}_message.txt", ctx)
    send_mail(f"[{site}] {subject.strip()}", body, settings.DEFAULT_FROM_EMAIL, [email])
    return True
