"""Staff actions on user accounts. The admin (and any future staff screen or command) calls
these; they do the whole job, so no interface can disable a user and forget their tokens.
Who acted is `origin.actor`; `user` is the account acted on."""

from __future__ import annotations

import logging

from allauth.account.forms import ResetPasswordForm
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from warden.accounts.models import User
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.lib.signals import user_disabled

log = logging.getLogger("warden.staff")


class StaffActionError(Exception):
    """A staff action that must not happen. `message` is shown to the staff member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _acting_on_themselves(user: User, origin: Origin) -> bool:
    return origin.actor is not None and origin.actor.pk == user.pk


def _who(origin: Origin) -> str:
    """For the log: the staff member, else the command."""
    return origin.actor.username if origin.actor is not None else origin.via or origin.interface


def user_disable(*, user: User, origin: Origin) -> int:
    """Disable `user`: they can no longer log in, and their open sessions stop working
    (Django refuses inactive users when it loads a session). What else goes with the account
    (its API tokens) is up to the receivers of `warden.lib.signals.user_disabled`, sent in
    this transaction. Returns how many tokens those receivers revoked."""
    # A staff member locking themselves out leaves nobody to undo it.
    if _acting_on_themselves(user, origin):
        raise StaffActionError(_("You can't disable your own account."))
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        # Tokens revokes the account's tokens here and answers with how many (accounts may
        # not import tokens: it is the lower layer). A receiver that raises undoes it all.
        revoked = 0
        for _receiver, response in user_disabled.send(sender=User, user_id=user.pk,
                                                      origin=origin):
            answer: object = response
            if isinstance(answer, int) and not isinstance(answer, bool):
                revoked += answer
        record_event(tag=Tag.STAFF_USER_DISABLED, origin=origin, user=user,
                     details={"tokens_revoked": revoked})
    log.info("%s disabled user %s; %d token(s) revoked", _who(origin), user.username, revoked)
    return revoked


def user_force_password_reset(*, user: User, origin: Origin, request: HttpRequest) -> None:
    """Make `user`'s password unusable and mail them a link to choose a new one (allauth's
    reset flow, so the link leads to our reset pages). Changing the password hash also ends
    every session they have open, since Django checks it on each request. `request` is only
    for allauth, which builds the link's address from it (there is no sites framework to
    take it from)."""
    if not user.is_active:
        raise StaffActionError(_("User %(username)s is disabled; enable the account first.")
                               % {"username": user.username})
    if not user.email:
        raise StaffActionError(_("User %(username)s has no email address to send a reset link "
                               "to.") % {"username": user.username})
    if _acting_on_themselves(user, origin):
        raise StaffActionError(_("Change your own password from your account page instead."))
    with transaction.atomic():
        user.set_unusable_password()
        user.save(update_fields=["password"])
        record_event(tag=Tag.STAFF_USER_PASSWORD_RESET_FORCED, origin=origin, user=user)
    # Only now: the reset link's key is derived from the password hash, so the form must load
    # the user after the change, or the key it mails would already be invalid.
    form = ResetPasswordForm(data={"email": user.email})
    # The address comes from the user row and the user is active, so allauth finds them.
    if not form.is_valid():
        raise StaffActionError(_("Can't send a reset link to %(email)s.") % {"email": user.email})
    form.save(request)
    log.info("%s forced a password reset for user %s", _who(origin), user.username)
