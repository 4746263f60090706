"""Staff actions on user accounts. The admin (and any future staff screen or command) calls
these; they do the whole job, so no interface can disable a user and forget their tokens."""

from __future__ import annotations

import logging

from allauth.account.forms import ResetPasswordForm
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from warden.accounts.models import User
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.tokens.models import Token
from warden.tokens.services import token_revoke

log = logging.getLogger("warden.staff")


class StaffActionError(Exception):
    """A staff action that must not happen. `message` is shown to the staff member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def user_disable(*, user: User, staff_user: User, request: HttpRequest | None = None) -> int:
    """Disable `user`: they can no longer log in, their open sessions stop working (Django
    refuses inactive users when it loads a session) and every live token is revoked. Returns
    the number of tokens revoked."""
    # A staff member locking themselves out leaves nobody to undo it.
    if user.pk == staff_user.pk:
        raise StaffActionError(_("You can't disable your own account."))
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        # token_authenticate refuses an inactive user's tokens already; revoking them too
        # means re-enabling the account does not silently bring them back.
        live = list(Token.objects.filter(user=user, revoked__isnull=True))
        for token in live:
            token_revoke(token=token, actor=staff_user, request=request)
        record_event(tag=Tag.STAFF_USER_DISABLED, request=request, actor=staff_user,
                     user=user, details={"tokens_revoked": len(live)})
    log.info("staff %s disabled user %s and revoked %d token(s)", staff_user.username,
             user.username, len(live))
    return len(live)


def user_force_password_reset(*, user: User, staff_user: User, request: HttpRequest) -> None:
    """Make `user`'s password unusable and mail them a link to choose a new one (allauth's
    reset flow, so the link leads to our reset pages). Changing the password hash also ends
    every session they have open, since Django checks it on each request."""
    if not user.is_active:
        raise StaffActionError(_("User %(username)s is disabled; enable the account first.")
                               % {"username": user.username})
    if not user.email:
        raise StaffActionError(_("User %(username)s has no email address to send a reset link "
                               "to.") % {"username": user.username})
    if user.pk == staff_user.pk:
        raise StaffActionError(_("Change your own password from your account page instead."))
    with transaction.atomic():
        user.set_unusable_password()
        user.save(update_fields=["password"])
        record_event(tag=Tag.STAFF_USER_PASSWORD_RESET_FORCED, request=request,
                     actor=staff_user, user=user)
    # Only now: the reset link's key is derived from the password hash, so the form must load
    # the user after the change, or the key it mails would already be invalid.
    form = ResetPasswordForm(data={"email": user.email})
    # The address comes from the user row and the user is active, so allauth finds them.
    if not form.is_valid():
        raise StaffActionError(_("Can't send a reset link to %(email)s.") % {"email": user.email})
    form.save(request)
    log.info("staff %s forced a password reset for user %s", staff_user.username, user.username)
