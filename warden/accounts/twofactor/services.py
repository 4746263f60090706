"""Every change to a user's second factors, and every check of a code. Each records its
audit event and queues a notice to the account (sent after the change commits), in the
change's transaction, so a change made by someone else is noticed. Who acted and from where
is the `origin` the interface built; `user` is the account changed.

Checks of codes run with the user's row locked: parallel guesses are counted one after
another (the rate limit is exact) and two requests cannot both spend the same code.
"""

from __future__ import annotations

import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn.internal.auth import WebAuthn
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from warden.accounts.models import User
from warden.accounts.tasks import notice_queue
from warden.accounts.twofactor import recovery, secretbox, totp
from warden.accounts.twofactor.adapter import MFAAdapter
from warden.accounts.twofactor.errors import (
    AlreadyActive,
    ClockOutOfSync,
    CodeAlreadyUsed,
    CodeIncorrect,
    LastFactorRequired,
    NoFactor,
    RecoveryCodeIncorrect,
    SecondFactorError,
    UnverifiedEmail,
)
from warden.accounts.twofactor.policy import FACTOR_TYPES
from warden.accounts.twofactor.ratelimit import limited_attempt
from warden.accounts.twofactor.webauthn import KeyAlreadyRegistered, NewKey, key_name_validate
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag

LOW_RECOVERY_CODES = 3
PENDING_CODES_KEY = "warden.twofactor.pending_codes"
# Fresh recovery codes stay viewable (sealed in the session) this long, for the page that
# shows them and asks for one back; after that, only a new set can be shown.
PENDING_CODES_SECONDS = 15 * 60
_DIGITS = re.compile(rf"[0-9]{{{totp.DIGITS}}}")  # not \d: that takes any script's digits


@dataclass(frozen=True)
class RecoveryStatus:
    remaining: int
    total: int
    confirmed: bool

    @property
    def low(self) -> bool:
        return self.remaining <= LOW_RECOVERY_CODES


# -- helpers ------------------------------------------------------------------------------

def _lock(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).first()


def _totp_counter(secret: str, code: str) -> int:
    """The time step `code` belongs to, within one step of now; raises otherwise."""
    typed = totp.code_normalize(code)
    if not _DIGITS.fullmatch(typed):
        raise CodeIncorrect
    now = totp.counter_at(time.time())
    matched = None
    for counter in range(now - totp.SKEW, now + totp.SKEW + 1):
        # Every candidate is compared, in constant time, so timing says nothing.
        if hmac.compare_digest(totp.totp_code(secret, counter), typed):
            matched = counter
    if matched is not None:
        return matched
    for distance in range(totp.SKEW + 1, totp.SKEW_DIAGNOSIS + 1):
        for counter in (now - distance, now + distance):
            if hmac.compare_digest(totp.totp_code(secret, counter), typed):
                raise ClockOutOfSync(max(1, round(distance * totp.PERIOD / 60)))
    raise CodeIncorrect


def _totp_purpose(user: User) -> str:
    return f"totp:{user.pk}"


def _factors(user: User) -> Any:
    return Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES)


def _recovery_codes_create(user: User) -> list[str]:
    Authenticator.objects.filter(user_id=user.pk,
                                 type=Authenticator.Type.RECOVERY_CODES).delete()
    codes = recovery.codes_generate()
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES,
                                 data=recovery.codes_data(codes))
    return codes


def _codes_if_first_factor(user: User) -> list[str] | None:
    """Recovery codes come with the first factor; a later factor keeps the existing set."""
    if Authenticator.objects.filter(user_id=user.pk,
                                    type=Authenticator.Type.RECOVERY_CODES).exists():
        return None
    return _recovery_codes_create(user)


def _drop_codes_without_factor(user: User) -> None:
    # Codes stand in for a lost factor; with no factor left they would be a password of
    # their own, so they go with the last one.
    if not _factors(user).exists():
        Authenticator.objects.filter(user_id=user.pk,
                                     type=Authenticator.Type.RECOVERY_CODES).delete()


def _removable(authenticator: Authenticator) -> None:
    if not MFAAdapter().can_delete_authenticator(authenticator):
        raise LastFactorRequired


def factor_add_allowed(*, user: User) -> None:
    """Raise UnverifiedEmail if `user` may not add a first factor yet. allauth's rule:
    someone who signed up with another person's address must not lock its owner out by
    adding a factor before the address is verified. Once the account has a factor, an
    address added since (and not yet verified) no longer stands in the way of a second."""
    if _factors(user).exists():
        return
    if EmailAddress.objects.filter(user_id=user.pk, verified=False).exists():
        raise UnverifiedEmail


# -- TOTP -------------------------------------------------------------------------------

def totp_activate(*, user: User, secret: str, code: str,
                  origin: Origin) -> list[str] | None:
    """Turn TOTP on once the user proves their app has `secret` by typing its current code.
    That code is spent at once. Returns the new recovery codes if this is the first factor."""
    factor_add_allowed(user=user)
    if Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists():
        raise AlreadyActive

    def check() -> list[str] | None:
        counter = _totp_counter(secret, code)
        if Authenticator.objects.filter(user_id=user.pk,
                                        type=Authenticator.Type.TOTP).exists():
            raise AlreadyActive
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={
            "secret": secretbox.seal(secret, purpose=_totp_purpose(user)),
            "last_counter": counter})
        codes = _codes_if_first_factor(user)
        record_event(tag=Tag.ACCOUNT_TWO_FACTOR_ADDED, origin=origin, user=user,
                     details={"method": "totp"})
        notice_queue(user=user, template="mfa/email/totp_activated", origin=origin)
        return codes

    return limited_attempt(user=user, origin=origin, check=check)


def totp_deactivate(*, user: User, origin: Origin) -> None:
    with transaction.atomic():
        _lock(user)
        authenticator = Authenticator.objects.get(user_id=user.pk,
                                                  type=Authenticator.Type.TOTP)
        _removable(authenticator)
        authenticator.delete()
        _drop_codes_without_factor(user)
        record_event(tag=Tag.ACCOUNT_TWO_FACTOR_REMOVED, origin=origin, user=user,
                     details={"method": "totp"})
        notice_queue(user=user, template="mfa/email/totp_deactivated", origin=origin)


def _totp_verify(user: User, code: str) -> Authenticator:
    authenticator = Authenticator.objects.filter(user_id=user.pk,
                                                 type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        raise CodeIncorrect
    secret = secretbox.unseal(authenticator.data["secret"], purpose=_totp_purpose(user))
    counter = _totp_counter(secret, code)
    # RFC 6238 section 5.2: a code is accepted once. Keeping the last accepted step refuses
    # the same code again (however it is spaced) and any older one, for as long as the
    # skew window would otherwise keep it valid.
    last = authenticator.data.get("last_counter")
    if isinstance(last, int) and counter <= last:
        raise CodeAlreadyUsed
    authenticator.data["last_counter"] = counter
    if not secretbox.is_current(authenticator.data["secret"]):
        # Sealed before a key rotation: seal it with the current key while it is open.
        authenticator.data["secret"] = secretbox.seal(secret, purpose=_totp_purpose(user))
    authenticator.save(update_fields=["data"])
    return authenticator


# -- recovery codes ------------------------------------------------------------------------

def _recovery_verify(user: User, code: str, origin: Origin) -> Authenticator:
    authenticator = Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES).first()
    if authenticator is None or not _factors(user).exists() or \
            not recovery.looks_like_recovery_code(code):
        raise RecoveryCodeIncorrect
    index = recovery.unused_code_index(authenticator.data, code)
    authenticator.data["used"][index] = True
    authenticator.save(update_fields=["data"])
    remaining = authenticator.data["used"].count(False)
    # At the login's second step nobody is signed in yet: the code just proved who is
    # acting, so the event names them (as the login's own event will).
    proven = origin.acting_as(user)
    record_event(tag=Tag.ACCOUNT_RECOVERY_CODE_USED, origin=proven, user=user,
                 details={"remaining": remaining})
    notice_queue(user=user, template="mfa/email/recovery_code_used", origin=proven,
                 context={"remaining": remaining})
    return authenticator


def second_factor_verify(*, user: User, code: str, origin: Origin,
                         recovery_only: bool = False) -> Authenticator:
    """Check a code typed at the login's second step or to re-authenticate: a TOTP code, or
    a recovery code (told apart by shape; `recovery_only` for a field that asked for a
    recovery code, so an app code typed there is refused as what it is not). Raises a
    SecondFactorError saying what was wrong; returns the authenticator that matched, its
    code now spent."""
    def check() -> Authenticator:
        if recovery_only or recovery.looks_like_recovery_code(code):
            return _recovery_verify(user, code, origin)
        return _totp_verify(user, code)

    return limited_attempt(user=user, origin=origin, check=check)


def recovery_codes_regenerate(*, user: User, origin: Origin) -> list[str]:
    """A new set; the old one stops working at once."""
    with transaction.atomic():
        _lock(user)
        if not _factors(user).exists():
            raise NoFactor
        codes = _recovery_codes_create(user)
        record_event(tag=Tag.ACCOUNT_RECOVERY_CODES_REGENERATED, origin=origin, user=user)
        notice_queue(user=user, template="mfa/email/recovery_codes_generated", origin=origin)
    return codes


def recovery_codes_confirm(*, user: User, code: str) -> None:
    """The user typed one of their new codes back: they have saved the set. The code stays
    unused (it proves possession, it is not a login)."""
    with transaction.atomic():
        _lock(user)
        authenticator = Authenticator.objects.filter(
            user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES).first()
        if authenticator is None:
            raise RecoveryCodeIncorrect
        recovery.unused_code_index(authenticator.data, code)
        authenticator.data["confirmed"] = True
        authenticator.save(update_fields=["data"])


def recovery_codes_status(user: User) -> RecoveryStatus | None:
    authenticator = Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES).first()
    if authenticator is None or "hashes" not in authenticator.data:
        return None
    used = authenticator.data["used"]
    return RecoveryStatus(remaining=used.count(False), total=len(used),
                          confirmed=bool(authenticator.data.get("confirmed")))


def pending_codes_store(request: HttpRequest, codes: list[str]) -> None:
    payload = json.dumps({"codes": codes, "at": time.time()})
    request.session[PENDING_CODES_KEY] = secretbox.seal(
        payload, purpose=f"pending-codes:{request.user.pk}")


def pending_codes(request: HttpRequest) -> list[str] | None:
    sealed = request.session.get(PENDING_CODES_KEY)
    if not sealed:
        return None
    try:
        payload = json.loads(secretbox.unseal(sealed, purpose=f"pending-codes:{request.user.pk}"))
    except (secretbox.SecretBoxError, ValueError):
        pending_codes_clear(request)
        return None
    if time.time() - payload["at"] > PENDING_CODES_SECONDS:
        pending_codes_clear(request)
        return None
    return list(payload["codes"])


def pending_codes_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_CODES_KEY, None)


# -- WebAuthn (the ceremony is warden.accounts.twofactor.webauthn) ---------------------------

def webauthn_add(*, user: User, key: NewKey,
                 origin: Origin) -> tuple[Authenticator, list[str] | None]:
    """Store a key whose registration `webauthn.registration_verify` checked, with its
    audit event, its notice and, if it is the first factor, recovery codes: all in one
    transaction, so a failure anywhere leaves no key, or the key with all of them. Returns
    the key and the new recovery codes (None when the account had a set already)."""
    with transaction.atomic():
        # One registration at a time per account, so two tabs cannot both pass the checks
        # below (the name, the first-factor rule) before either has stored its key.
        _lock(user)
        factor_add_allowed(user=user)
        name = key_name_validate(user=user, name=key.name)
        # A credential id belongs to one key pair: the same id on a second account (or a
        # second time on this one) could only be a copy of the key, or a mistake.
        if Authenticator.objects.filter(type=Authenticator.Type.WEBAUTHN,
                                        data__credential_id=key.credential_id).exists():
            raise KeyAlreadyRegistered()
        # allauth's own form of the credential, so its `authenticator_data` and
        # `is_passwordless` keep working.
        authenticator: Authenticator = WebAuthn.add(user, name, key.credential).instance
        authenticator.data.update(
            credential_id=key.credential_id,
            # Where the counter starts: the first sign-in must report more than this.
            sign_count=key.sign_count,
            passkey=key.passkey,
        )
        authenticator.save(update_fields=["data"])
        codes = _codes_if_first_factor(user)
        record_event(tag=Tag.ACCOUNT_TWO_FACTOR_ADDED, origin=origin, user=user,
                     details={"method": "passkey" if key.passkey else "webauthn",
                              "name": name})
        notice_queue(user=user, template="mfa/email/webauthn_added", origin=origin)
    return authenticator, codes


def webauthn_remove(*, user: User, authenticator_id: int, origin: Origin) -> None:
    """Raises Authenticator.DoesNotExist for a key that is not this user's."""
    with transaction.atomic():
        _lock(user)
        authenticator = Authenticator.objects.get(
            pk=authenticator_id, user_id=user.pk, type=Authenticator.Type.WEBAUTHN)
        _removable(authenticator)
        name = authenticator.data.get("name", "")
        authenticator.delete()
        _drop_codes_without_factor(user)
        record_event(tag=Tag.ACCOUNT_TWO_FACTOR_REMOVED, origin=origin, user=user,
                     details={"method": "webauthn", "name": name})
        notice_queue(user=user, template="mfa/email/webauthn_removed", origin=origin)


def webauthn_rename(*, user: User, authenticator_id: int, name: str) -> None:
    """Raises Authenticator.DoesNotExist for a key that is not this user's."""
    with transaction.atomic():
        _lock(user)
        authenticator = Authenticator.objects.get(
            pk=authenticator_id, user_id=user.pk, type=Authenticator.Type.WEBAUTHN)
        authenticator.data["name"] = key_name_validate(user=user, name=name,
                                                       authenticator_id=authenticator.pk)
        authenticator.save(update_fields=["data"])


def secrets_rekey() -> tuple[int, int]:
    """Seal every TOTP secret again with the current key (after a rotation). Returns how
    many were sealed again, and how many recovery-code sets still depend on a previous key
    (their hashes cannot be redone without the codes: keep that key until their users
    generate new sets)."""
    resealed = 0
    for authenticator in Authenticator.objects.filter(type=Authenticator.Type.TOTP) \
            .select_related("user").iterator():
        with transaction.atomic():
            row = Authenticator.objects.select_for_update().get(pk=authenticator.pk)
            sealed = row.data["secret"]
            if secretbox.is_current(sealed):
                continue
            purpose = _totp_purpose(authenticator.user)
            row.data["secret"] = secretbox.seal(secretbox.unseal(sealed, purpose=purpose),
                                                purpose=purpose)
            row.save(update_fields=["data"])
            resealed += 1
    current = recovery.current_key_id()
    stale = sum(1 for data in Authenticator.objects.filter(
        type=Authenticator.Type.RECOVERY_CODES).values_list("data", flat=True)
        if data.get("kid") != current)
    return resealed, stale


# -- staff -------------------------------------------------------------------------------

def two_factor_reset(*, user: User, reason: str, origin: Origin) -> int:
    """Account recovery: remove every second factor (and the recovery codes) of `user`, after
    staff (`origin.actor`; None for an operator's command) verified who is asking. The user
    is told by mail. Returns how many went."""
    reason = reason.strip()
    if not reason:
        raise SecondFactorError(_("Say how you verified the person: the reason is required."))
    with transaction.atomic():
        _lock(user)
        removed, _counts = Authenticator.objects.filter(user_id=user.pk).delete()
        record_event(tag=Tag.STAFF_TWO_FACTOR_RESET, origin=origin, user=user,
                     details={"reason": reason[:500]})
        notice_queue(user=user, template="mfa/email/two_factor_reset", origin=origin)
    return removed
