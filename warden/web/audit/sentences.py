"""Events in words a person reads: "Token 'ci' uploaded demo-1.0.tar.gz from 203.0.113.0/24
with twine 7.0.0".

Every tag has a sentence and a short label (for the "kind" filters); a test checks that none
is missing. A sentence is built only from what the event itself copied (names, ids, details),
never from live rows: the user, token or project it names may be gone.

Details read here, when the recording service supplied them: `email` (email events), `method`
(two-factor events: "totp", "webauthn", "recovery_codes"), `role` (role events; `to` for a
change), `reason`
(yank, quarantine), `name` (a prohibited name), `check`, `state` and `verdict` (screening),
`url` (where a secret scanner found a leaked token).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warden.audit.models import Event
from warden.audit.services import NO_ADDRESS_COMMITMENT
from warden.audit.vocabulary import Tag
from warden.packaging.models import RoleName
from warden.review import labels

# An event recorded without any address (a CLI command, a task) has no "from ..." in its
# sentence at all, while an erased address is still mentioned as erased.

# `who` is the token that acted ("Token 'ci'"), else the person, else "Someone".
SENTENCES: Mapping[Tag, Promise] = {
    Tag.ACCOUNT_CREATED: gettext_lazy("Account %(user)s was created"),
    Tag.ACCOUNT_LOGIN_SUCCESS: gettext_lazy("%(who)s logged in"),
    Tag.ACCOUNT_LOGIN_FAILURE: gettext_lazy("Failed login"),
    Tag.ACCOUNT_LOGIN_NEW_NETWORK: gettext_lazy("%(who)s logged in from a new network"),
    Tag.SITE_SIGNUP_LIMITED: gettext_lazy(
        "A sign-up was refused: too many sign-ups from one address"),
    Tag.ACCOUNT_LOGOUT: gettext_lazy("%(who)s logged out"),
    Tag.ACCOUNT_REAUTH_SUCCESS: gettext_lazy("%(who)s confirmed their identity"),
    Tag.ACCOUNT_PASSWORD_CHANGED: gettext_lazy("%(who)s changed the password"),
    Tag.ACCOUNT_PASSWORD_RESET_REQUESTED: gettext_lazy("A password reset link was requested"),
    Tag.ACCOUNT_PASSWORD_RESET: gettext_lazy("The password was reset with an emailed link"),
    Tag.ACCOUNT_EMAIL_ADDED: gettext_lazy("%(who)s added the email address %(email)s"),
    Tag.ACCOUNT_EMAIL_REMOVED: gettext_lazy("%(who)s removed the email address %(email)s"),
    Tag.ACCOUNT_EMAIL_VERIFIED: gettext_lazy("The email address %(email)s was verified"),
    Tag.ACCOUNT_EMAIL_PRIMARY_CHANGED: gettext_lazy(
        "%(who)s made %(email)s the primary email address"),
    Tag.ACCOUNT_TWO_FACTOR_ADDED: gettext_lazy("%(who)s added %(method)s"),
    Tag.ACCOUNT_TWO_FACTOR_REMOVED: gettext_lazy("%(who)s removed %(method)s"),
    Tag.ACCOUNT_TWO_FACTOR_FAILURE: gettext_lazy("Failed second-factor attempt"),
    Tag.ACCOUNT_RECOVERY_CODES_REGENERATED: gettext_lazy(
        "%(who)s generated a new set of recovery codes"),
    Tag.ACCOUNT_RECOVERY_CODE_USED: gettext_lazy(
        "%(who)s used a recovery code (%(remaining)s left)"),
    Tag.ACCOUNT_TOKEN_CREATED: gettext_lazy("%(actor)s created the API token %(token)s"),
    Tag.ACCOUNT_TOKEN_USED: gettext_lazy("%(who)s was used"),
    Tag.ACCOUNT_TOKEN_REVOKED: gettext_lazy("%(actor)s revoked the API token %(token)s"),
    Tag.ACCOUNT_TOKEN_LEAKED: gettext_lazy("%(actor)s revoked the API token %(token)s as leaked"),
    Tag.ACCOUNT_PROJECT_LIMIT_REACHED: gettext_lazy(
        "%(who)s was refused a new project: the limit on new projects was reached"),
    Tag.ACCOUNT_UPLOAD_LIMIT_REACHED: gettext_lazy(
        "%(who)s was refused an upload: the limit on uploads was reached"),
    Tag.PROJECT_CREATED: gettext_lazy("%(who)s created the project %(project)s"),
    Tag.PROJECT_DELETED: gettext_lazy("%(who)s deleted the project %(project)s"),
    Tag.PROJECT_ROLE_INVITED: gettext_lazy("%(who)s invited %(user)s to join as %(role)s"),
    Tag.PROJECT_ROLE_INVITATION_DECLINED: gettext_lazy(
        "%(user)s declined the invitation to join as %(role)s"),
    Tag.PROJECT_ROLE_INVITATION_REVOKED: gettext_lazy(
        "%(who)s revoked the invitation of %(user)s"),
    Tag.PROJECT_ROLE_ADDED: gettext_lazy("%(who)s added %(user)s as %(role)s"),
    Tag.PROJECT_ROLE_CHANGED: gettext_lazy("%(who)s made %(user)s %(role)s"),
    Tag.PROJECT_ROLE_REMOVED: gettext_lazy("%(who)s removed %(user)s from the project"),
    Tag.PROJECT_RELEASE_CREATED: gettext_lazy("%(who)s created release %(version)s"),
    Tag.PROJECT_RELEASE_YANKED: gettext_lazy("%(who)s yanked release %(version)s"),
    Tag.PROJECT_RELEASE_UNYANKED: gettext_lazy("%(who)s un-yanked release %(version)s"),
    Tag.PROJECT_RELEASE_REMOVED: gettext_lazy("%(who)s deleted release %(version)s"),
    Tag.PROJECT_FILE_UPLOADED: gettext_lazy("%(who)s uploaded %(filename)s"),
    Tag.PROJECT_FILE_REMOVED: gettext_lazy("%(who)s deleted %(filename)s"),
    Tag.PROJECT_FILE_SCREENED: gettext_lazy("%(filename)s was screened and published"),
    Tag.PROJECT_QUARANTINED: gettext_lazy("%(who)s quarantined the project"),
    Tag.PROJECT_UNQUARANTINED: gettext_lazy("%(who)s released the project from quarantine"),
    Tag.PROJECT_STATUS_CHANGED: gettext_lazy("%(who)s marked the project %(status)s"),
    Tag.PROJECT_RELEASE_QUARANTINED: gettext_lazy("%(who)s quarantined release %(version)s"),
    Tag.PROJECT_RELEASE_UNQUARANTINED: gettext_lazy(
        "%(who)s ended the quarantine of release %(version)s"),
    Tag.STAFF_USER_DISABLED: gettext_lazy("Staff member %(actor)s disabled the account %(user)s"),
    Tag.STAFF_USER_PASSWORD_RESET_FORCED: gettext_lazy(
        "Staff member %(actor)s forced a password reset for %(user)s"),
    Tag.STAFF_TWO_FACTOR_RESET: gettext_lazy(
        "Staff member %(actor)s reset the two-factor authentication of %(user)s"),
    Tag.STAFF_PROJECT_REMOVED: gettext_lazy(
        "Staff member %(actor)s removed the project %(project)s"),
    Tag.STAFF_NAME_PROHIBITED: gettext_lazy(
        "Staff member %(actor)s prohibited the project name %(name)s"),
    Tag.STAFF_TOKEN_REVOKED: gettext_lazy(
        "Staff member %(actor)s revoked the API token %(token)s of %(user)s"),
    Tag.STAFF_CHECK_STATE_CHANGED: gettext_lazy(
        "Staff member %(actor)s set the check %(check)s to %(state)s"),
    Tag.STAFF_CHECK_BACKFILL_STARTED: gettext_lazy(
        "Staff member %(actor)s started re-scanning every file with the check %(check)s"),
    Tag.STAFF_CHECK_RESULT_REVIEWED: gettext_lazy(
        "Staff member %(actor)s reviewed a result of the check %(check)s on %(filename)s: "
        "%(verdict)s"),
}

# The same events said differently when the person acting is the one they are about.
SENTENCES_ABOUT_ONESELF: Mapping[Tag, Promise] = {
    Tag.PROJECT_ROLE_ADDED: gettext_lazy("%(user)s joined as %(role)s"),
    Tag.PROJECT_ROLE_REMOVED: gettext_lazy("%(user)s left the project"),
}

# Extra words for some events when their details hold them.
SENTENCES_WITH_REASON: Mapping[Tag, Promise] = {
    Tag.PROJECT_RELEASE_YANKED: gettext_lazy("%(who)s yanked release %(version)s: %(reason)s"),
    Tag.PROJECT_QUARANTINED: gettext_lazy("%(who)s quarantined the project: %(reason)s"),
    Tag.PROJECT_STATUS_CHANGED: gettext_lazy("%(who)s marked the project %(status)s: %(reason)s"),
    Tag.PROJECT_RELEASE_QUARANTINED: gettext_lazy(
        "%(who)s quarantined release %(version)s: %(reason)s"),
}
# A secret scanner's report says where the token was found.
SENTENCES_WITH_URL: Mapping[Tag, Promise] = {
    Tag.ACCOUNT_TOKEN_LEAKED: gettext_lazy(
        "The API token %(token)s was revoked: a secret scanner found it in public at %(url)s"),
}
SENTENCES_WITH_FILE: Mapping[Tag, Promise] = {
    Tag.ACCOUNT_TOKEN_USED: gettext_lazy("%(who)s was used to upload %(filename)s"),
}

LABELS: Mapping[Tag, Promise] = {
    Tag.ACCOUNT_CREATED: gettext_lazy("Account created"),
    Tag.ACCOUNT_LOGIN_SUCCESS: gettext_lazy("Login"),
    Tag.ACCOUNT_LOGIN_FAILURE: gettext_lazy("Failed login"),
    Tag.ACCOUNT_LOGIN_NEW_NETWORK: gettext_lazy("Login from a new network"),
    Tag.SITE_SIGNUP_LIMITED: gettext_lazy("Sign-up refused"),
    Tag.ACCOUNT_LOGOUT: gettext_lazy("Logout"),
    Tag.ACCOUNT_REAUTH_SUCCESS: gettext_lazy("Identity confirmed"),
    Tag.ACCOUNT_PASSWORD_CHANGED: gettext_lazy("Password changed"),
    Tag.ACCOUNT_PASSWORD_RESET_REQUESTED: gettext_lazy("Password reset requested"),
    Tag.ACCOUNT_PASSWORD_RESET: gettext_lazy("Password reset"),
    Tag.ACCOUNT_EMAIL_ADDED: gettext_lazy("Email address added"),
    Tag.ACCOUNT_EMAIL_REMOVED: gettext_lazy("Email address removed"),
    Tag.ACCOUNT_EMAIL_VERIFIED: gettext_lazy("Email address verified"),
    Tag.ACCOUNT_EMAIL_PRIMARY_CHANGED: gettext_lazy("Primary email address changed"),
    Tag.ACCOUNT_TWO_FACTOR_ADDED: gettext_lazy("Two-factor authentication added"),
    Tag.ACCOUNT_TWO_FACTOR_REMOVED: gettext_lazy("Two-factor authentication removed"),
    Tag.ACCOUNT_TWO_FACTOR_FAILURE: gettext_lazy("Failed second factor"),
    Tag.ACCOUNT_RECOVERY_CODES_REGENERATED: gettext_lazy("Recovery codes regenerated"),
    Tag.ACCOUNT_RECOVERY_CODE_USED: gettext_lazy("Recovery code used"),
    Tag.ACCOUNT_TOKEN_CREATED: gettext_lazy("API token created"),
    Tag.ACCOUNT_TOKEN_USED: gettext_lazy("API token used"),
    Tag.ACCOUNT_TOKEN_REVOKED: gettext_lazy("API token revoked"),
    Tag.ACCOUNT_TOKEN_LEAKED: gettext_lazy("API token revoked as leaked"),
    Tag.ACCOUNT_PROJECT_LIMIT_REACHED: gettext_lazy("Project limit reached"),
    Tag.ACCOUNT_UPLOAD_LIMIT_REACHED: gettext_lazy("Upload limit reached"),
    Tag.PROJECT_CREATED: gettext_lazy("Project created"),
    Tag.PROJECT_DELETED: gettext_lazy("Project deleted"),
    Tag.PROJECT_ROLE_INVITED: gettext_lazy("Collaborator invited"),
    Tag.PROJECT_ROLE_INVITATION_DECLINED: gettext_lazy("Invitation declined"),
    Tag.PROJECT_ROLE_INVITATION_REVOKED: gettext_lazy("Invitation revoked"),
    Tag.PROJECT_ROLE_ADDED: gettext_lazy("Collaborator added"),
    Tag.PROJECT_ROLE_CHANGED: gettext_lazy("Role changed"),
    Tag.PROJECT_ROLE_REMOVED: gettext_lazy("Collaborator removed"),
    Tag.PROJECT_RELEASE_CREATED: gettext_lazy("Release created"),
    Tag.PROJECT_RELEASE_YANKED: gettext_lazy("Release yanked"),
    Tag.PROJECT_RELEASE_UNYANKED: gettext_lazy("Release un-yanked"),
    Tag.PROJECT_RELEASE_REMOVED: gettext_lazy("Release deleted"),
    Tag.PROJECT_FILE_UPLOADED: gettext_lazy("File uploaded"),
    Tag.PROJECT_FILE_REMOVED: gettext_lazy("File deleted"),
    Tag.PROJECT_FILE_SCREENED: gettext_lazy("File screened"),
    Tag.PROJECT_QUARANTINED: gettext_lazy("Project quarantined"),
    Tag.PROJECT_UNQUARANTINED: gettext_lazy("Project released from quarantine"),
    Tag.PROJECT_STATUS_CHANGED: gettext_lazy("Project status changed"),
    Tag.PROJECT_RELEASE_QUARANTINED: gettext_lazy("Release quarantined"),
    Tag.PROJECT_RELEASE_UNQUARANTINED: gettext_lazy("Release quarantine ended"),
    Tag.STAFF_USER_DISABLED: gettext_lazy("Account disabled by staff"),
    Tag.STAFF_USER_PASSWORD_RESET_FORCED: gettext_lazy("Password reset forced by staff"),
    Tag.STAFF_TWO_FACTOR_RESET: gettext_lazy("Two-factor authentication reset by staff"),
    Tag.STAFF_PROJECT_REMOVED: gettext_lazy("Project removed by staff"),
    Tag.STAFF_NAME_PROHIBITED: gettext_lazy("Project name prohibited"),
    Tag.STAFF_TOKEN_REVOKED: gettext_lazy("API token revoked by staff"),
    Tag.STAFF_CHECK_STATE_CHANGED: gettext_lazy("Check state changed"),
    Tag.STAFF_CHECK_BACKFILL_STARTED: gettext_lazy("Check re-scan started"),
    Tag.STAFF_CHECK_RESULT_REVIEWED: gettext_lazy("Check result reviewed"),
}

ROLES: Mapping[str, Promise] = {
    RoleName.OWNER: gettext_lazy("owner"),
    RoleName.MAINTAINER: gettext_lazy("maintainer"),
}
TWO_FACTOR_METHODS: Mapping[str, Promise] = {
    "totp": gettext_lazy("an authenticator app"),
    "webauthn": gettext_lazy("a security key"),
    "passkey": gettext_lazy("a passkey"),
    "recovery_codes": gettext_lazy("recovery codes"),
}


def tag_label(tag: str) -> str:
    """A few words for a kind of event ("Failed login"); the raw tag if it is unknown."""
    try:
        return str(LABELS[Tag(tag)])
    except (ValueError, KeyError):
        return tag


def token_name(event: Event) -> str:
    """The token's description in quotes ('ci'); else the start of its id."""
    if event.token_description:
        return _("'%(description)s'") % {"description": event.token_description}
    return event.token_id[:8]


def _detail(details: Any, key: str) -> str:
    value = details.get(key) if isinstance(details, Mapping) else None
    return str(value) if value not in (None, "") else ""


def _role(details: Any) -> str:
    # A role change records {"from": ..., "to": ...}; the others {"role": ...}.
    value = _detail(details, "role") or _detail(details, "to")
    if value in ROLES:
        return str(ROLES[value])
    return value or _("a collaborator")


def _words(event: Event) -> dict[str, str]:
    someone = _("Someone")
    via = _detail(event.details, "via")
    # No actor: an operator at the command line (the event says which command) or Warden.
    operator = _("An operator (%(command)s)") % {"command": via} if via else someone
    actor = event.actor_username or operator
    token = token_name(event) if event.token_id else _("an unnamed token")
    who = _("Token %(token)s") % {"token": token} if event.token_id else actor
    details = event.details
    method = TWO_FACTOR_METHODS.get(_detail(details, "method"))
    return {
        "who": who,
        "actor": actor,
        "token": token,
        "user": event.username or someone,
        "project": event.project_name,
        "version": event.version or _("(unknown version)"),
        "filename": event.filename or _("a file"),
        "email": _detail(details, "email") or _("(not recorded)"),
        "method": str(method) if method else _("two-factor authentication"),
        "role": _role(details),
        "reason": _detail(details, "reason"),
        "url": _detail(details, "url"),
        "name": _detail(details, "name") or event.project_name,
        "remaining": _detail(details, "remaining") or "?",
        "check": _detail(details, "check") or "?",
        "state": labels.label(labels.STATES, _detail(details, "state")) or "?",
        "verdict": labels.label(labels.REVIEWS, _detail(details, "verdict")) or "?",
        "status": labels.label(labels.PROJECT_STATUSES, _detail(details, "status")) or "?",
    }


def _template(event: Event, tag: Tag, words: Mapping[str, str]) -> Promise:
    acting_on_oneself = event.actor_id is not None and event.actor_id == event.user_id
    if acting_on_oneself and not event.token_id and tag in SENTENCES_ABOUT_ONESELF:
        return SENTENCES_ABOUT_ONESELF[tag]
    if words["reason"] and tag in SENTENCES_WITH_REASON:
        return SENTENCES_WITH_REASON[tag]
    if words["url"] and tag in SENTENCES_WITH_URL:
        return SENTENCES_WITH_URL[tag]
    if event.filename and tag in SENTENCES_WITH_FILE:
        return SENTENCES_WITH_FILE[tag]
    return SENTENCES[tag]


def event_address(event: Event) -> str:
    """Where the event came from, for people: the network prefix; a note if it was erased
    after the retention period; "" if it came from no network at all."""
    if event.ip_prefix:
        return event.ip_prefix
    if event.ip_commitment and event.ip_commitment != NO_ADDRESS_COMMITMENT:
        return _("an address no longer kept")
    return ""


def event_sentence(event: Event) -> str:
    try:
        tag = Tag(event.tag)
    except ValueError:
        # A tag removed from the vocabulary after it was recorded: history is never hidden.
        return event.tag
    words = _words(event)
    what = str(_template(event, tag, words)) % words
    where, tool = event_address(event), event.user_agent
    if where and tool:
        return _("%(what)s from %(where)s with %(tool)s") % {
            "what": what, "where": where, "tool": tool}
    if where:
        return _("%(what)s from %(where)s") % {"what": what, "where": where}
    if tool:
        return _("%(what)s with %(tool)s") % {"what": what, "tool": tool}
    return what
