"""WebAuthn ceremonies: registering a security key or passkey, and signing in with one.
The ceremonies need the request (the challenge waits in the session). Storing a new key is
`services.webauthn_add`, which takes what `registration_verify` checked and writes the key,
its recovery codes and its audit event in one transaction.

Built on allauth's WebAuthn internals (the stored form of a credential, `WebAuthn.add`, so
allauth's `authenticator_data` and `is_passwordless` keep working) and fido2's
`Fido2Server`, which checks the challenge, the origin, the RP id hash, the user presence and
verification flags and the signature. What we add on top, each at its call site: a challenge
answered once (right or wrong) and within a few minutes, a credential registered to one
account only (in `webauthn_add`, under the account's lock), the signature counter, a
passkey flag that passwordless login requires, the rate limit. Every failure raises a
`SecondFactorError`; nothing here returns a boolean.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from allauth.account.utils import url_str_to_user_pk
from allauth.core import context
from allauth.mfa import app_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn.internal.auth import build_user_payload, get_credentials
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from fido2.server import Fido2Server
from fido2.utils import websafe_encode
from fido2.webauthn import (
    AttestationConveyancePreference,
    AttestedCredentialData,
    AuthenticationResponse,
    PublicKeyCredentialRpEntity,
    RegistrationResponse,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from warden.accounts.models import User
from warden.accounts.twofactor.errors import KeyCloned, KeyNotRecognised, SecondFactorError
from warden.accounts.twofactor.ratelimit import limited_attempt
from warden.audit.origin import Origin

# How long the browser may take, and how long a challenge stays good. A challenge that
# never expired would let an answer captured today (by a phishing proxy that relayed the
# page) be played back next month.
CEREMONY_SECONDS = 300
NAME_MAX_LENGTH = 64
# One session key per ceremony, so a half-finished registration does not cancel a sign-in
# in another tab (and the two kinds of state can never be mistaken for one another).
REGISTRATION_STATE = "warden.webauthn.registration"
AUTHENTICATION_STATE = "warden.webauthn.authentication"
# Asks the browser to tell us whether the key created a discoverable (resident)
# credential: allauth's `is_passwordless` reads the answer from the stored credential.
EXTENSIONS = {"credProps": True}


class KeyNameRequired(SecondFactorError):
    message = _("Give the key a name, so that you can tell your keys apart.")


class KeyNameTooLong(SecondFactorError):
    message = _("That name is too long: use at most 64 characters.")


class KeyNameTaken(SecondFactorError):
    message = _("You already have a key with that name. Choose another name.")


class KeyRegistrationFailed(KeyNotRecognised):
    # KeyNotRecognised's own message speaks of keys already on the account.
    message = _("The key's answer could not be checked, so it was not added. Try again; "
                "if it fails again, try another key or another browser.")


class KeyAlreadyRegistered(KeyNotRecognised):
    message = _("That security key or passkey is registered already. Each key can be "
                "registered once; use another key.")


class KeyNotPasskey(KeyNotRecognised):
    # At sign-in: a key registered for the second step only. At registration: a key that
    # cannot be one (it did not verify the person, or keeps no discoverable credential).
    message = _("That key is not a passkey, so it cannot sign you in on its own: sign in "
                "with your password first, then use the key. To sign in with a key alone, "
                "register a key that supports passkeys (with a PIN, fingerprint or face) "
                "as a passkey.")


def key_name_validate(*, user: User, name: str, authenticator_id: int | None = None) -> str:
    """The name stripped, or raise: 1 to 64 characters, not the name of another of the
    user's keys (`authenticator_id`: the key being renamed). Names are compared without
    case, since "YubiKey" and "yubikey" on one list could not be told apart."""
    name = name.strip()
    if not name:
        raise KeyNameRequired()
    if len(name) > NAME_MAX_LENGTH:
        raise KeyNameTooLong()
    others = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.WEBAUTHN)
    if authenticator_id is not None:
        others = others.exclude(pk=authenticator_id)
    if any(str(other.data.get("name", "")).casefold() == name.casefold() for other in others):
        raise KeyNameTaken()
    return name


def _server() -> Fido2Server:
    # The RP id comes from configuration (the adapter), never from the Host header. The
    # origin check is fido2's default: https on the RP id or a subdomain of it, or
    # http://localhost; we deliberately do not honour allauth's
    # MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN. Attestation "none": we keep no list of trusted
    # key makers, and asking for attestation would only reveal the key's model.
    rp = PublicKeyCredentialRpEntity(**get_adapter().get_public_key_credential_rp_entity())
    server = Fido2Server(rp, attestation=AttestationConveyancePreference.NONE)
    # fido2 annotates the attribute by its default (None); milliseconds, for the browser.
    server.timeout = CEREMONY_SECONDS * 1000  # type: ignore[assignment]
    return server


def _plain(options: Mapping[str, Any]) -> dict[str, Any]:
    """fido2's options object as plain JSON types, for `json_script` and the session."""
    plain: dict[str, Any] = json.loads(json.dumps(dict(options)))
    return plain


def _state_store(request: HttpRequest, key: str, state: Mapping[str, Any], *,
                 user: User | None, **extra: Any) -> None:
    request.session[key] = {**_plain(state), "user": user.pk if user is not None else None,
                            "expires": time.time() + CEREMONY_SECONDS, **extra}


def _state_take(request: HttpRequest, key: str, *, user: User | None) -> dict[str, Any]:
    # Taken out of the session before anything is checked: a challenge is good for one
    # answer, right or wrong, so a replayed (or retried) answer finds no challenge to match.
    state = request.session.pop(key, None)
    if not isinstance(state, dict) or "challenge" not in state:
        raise KeyNotRecognised()
    # The challenge was issued for one account (or for a passwordless sign-in, None): it
    # cannot be spent on another's.
    if state.get("user") != (user.pk if user is not None else None):
        raise KeyNotRecognised()
    if not isinstance(state.get("expires"), int | float) or state["expires"] < time.time():
        raise KeyNotRecognised()
    return state


def _mapping(credential: Mapping[str, Any] | str) -> Mapping[str, Any]:
    """The browser's PublicKeyCredential JSON, as posted in the form (a string) or parsed."""
    if isinstance(credential, str):
        try:
            credential = json.loads(credential)
        except ValueError as exc:
            raise KeyNotRecognised() from exc
    if not isinstance(credential, Mapping):
        raise KeyNotRecognised()
    return credential


def _credential_id(authenticator: Authenticator) -> bytes:
    credential_data = authenticator.wrap().authenticator_data.credential_data
    return bytes(credential_data.credential_id) if credential_data is not None else b""


def registration_begin(*, request: HttpRequest, user: User, passkey: bool) -> dict[str, Any]:
    """The options for `navigator.credentials.create()`; the challenge waits in the session.

    A passkey must be discoverable (the key remembers the account, so it can sign in with
    no user name) and must verify the person (PIN or biometrics), since it will be the only
    factor. A security key used after the password is neither: asking for a resident key
    would fill the few slots a hardware key has.
    """
    with context.request_context(request):
        options, state = _server().register_begin(
            user=build_user_payload(user),
            # The browser refuses a key that is already on this account, so nobody
            # registers the same key twice by mistake.
            credentials=get_credentials(user),
            resident_key_requirement=(ResidentKeyRequirement.REQUIRED if passkey
                                      else ResidentKeyRequirement.DISCOURAGED),
            user_verification=(
                UserVerificationRequirement.REQUIRED if passkey
                else UserVerificationRequirement(app_settings.WEBAUTHN_USER_VERIFICATION)),
            extensions=EXTENSIONS,
        )
    # What was asked for goes with the challenge (registration_complete reads it).
    _state_store(request, REGISTRATION_STATE, state, user=user, passkey=passkey)
    return _plain(options)


@dataclass(frozen=True)
class NewKey:
    """A key's answer to our registration challenge, checked: what `webauthn_add` stores.
    `credential` is the browser's answer as plain JSON, in the form allauth keeps."""

    name: str
    credential: dict[str, Any]
    credential_id: str
    sign_count: int
    passkey: bool


def registration_verify(*, request: HttpRequest, user: User, name: str,
                        credential: Mapping[str, Any] | str, passkey: bool) -> NewKey:
    """Check the browser's answer to `registration_begin` (spending its challenge); raise,
    or return the key to store with `services.webauthn_add`. Nothing is stored here."""
    # The name first, before the challenge is spent: the page can ask for another name
    # and post the same credential again.
    name = key_name_validate(user=user, name=name)
    try:
        state = _state_take(request, REGISTRATION_STATE, user=user)
        data = _mapping(credential)
    except KeyNotRecognised as exc:
        raise KeyRegistrationFailed() from exc
    try:
        response = RegistrationResponse.from_dict(data)
        with context.request_context(request):
            # Challenge, origin, RP id hash, user present (and verified, for a passkey).
            auth_data = _server().register_complete(state, response)
    except Exception as exc:
        # Whatever the browser (or anyone) posted is parsed by fido2 from base64 and CBOR;
        # any failure at all means this is not an answer we asked for, never a 500.
        raise KeyRegistrationFailed() from exc
    credential_data = auth_data.credential_data
    if credential_data is None:
        raise KeyRegistrationFailed()
    stored = _plain(response)
    if passkey:
        # The page may have begun as a security key and asked the browser for a passkey
        # when the box was ticked (same challenge), so what a passkey needs is checked
        # here on the answer itself, not taken from how the ceremony began. A passkey is
        # the only factor at sign-in: the key must have verified the person.
        if not auth_data.is_user_verified():
            raise KeyNotPasskey()
        rk = (stored.get("clientExtensionResults") or {}).get("credProps", {}).get("rk")
        # It must also be discoverable, or it could never sign in alone. Browsers that do
        # not report credProps still had to honour "resident key required" when we began
        # with it (the ceremony fails otherwise); otherwise we cannot vouch for it.
        if not (rk is True or (rk is None and state.get("passkey") is True)):
            raise KeyNotPasskey()
        # Recorded, so that allauth's `is_passwordless` agrees with our flag.
        stored.setdefault("clientExtensionResults", {})["credProps"] = {"rk": True}
    return NewKey(name=name, credential=stored,
                  credential_id=websafe_encode(credential_data.credential_id),
                  sign_count=auth_data.counter, passkey=passkey)


def authentication_begin(*, request: HttpRequest, user: User | None) -> dict[str, Any]:
    """The options for `navigator.credentials.get()`; the challenge waits in the session.

    `user` is the account of the second step or the re-authentication: only its keys are
    offered. None starts a passwordless sign-in: no keys are listed (the browser offers
    the passkeys it holds for this site), and the person must be verified by the key.
    """
    with context.request_context(request):
        if user is None:
            options, state = _server().authenticate_begin(
                credentials=[], user_verification=UserVerificationRequirement.REQUIRED)
        else:
            options, state = _server().authenticate_begin(
                credentials=get_credentials(user),
                user_verification=UserVerificationRequirement(
                    app_settings.WEBAUTHN_USER_VERIFICATION))
    _state_store(request, AUTHENTICATION_STATE, state, user=user)
    return _plain(options)


def authentication_complete(*, request: HttpRequest, user: User | None,
                            credential: Mapping[str, Any] | str,
                            origin: Origin) -> Authenticator:
    """Check the browser's answer to `authentication_begin`; the key used, or raise.
    `request` holds the challenge (its session); `origin` says where the answer came from,
    for the rate limit and the record of a failure.

    With `user` (second step, re-authentication) the answer must come from one of that
    account's keys, and failures count toward its rate limit. With None (passwordless) the
    account is the one the key names, and the key must be registered as a passkey.
    """
    if user is None:
        # No rate limit here: before the signature is checked the account is only a claim
        # (counting against it would let anyone lock any account out), and a signature
        # cannot be guessed the way a six-digit code can.
        return _authenticate(request=request, user=None, credential=credential)
    # Counted (and recorded) like a wrong code: ratelimit.limited_attempt.
    return limited_attempt(user=user, origin=origin, check=lambda: _authenticate(
        request=request, user=user, credential=credential))


def _user_from_handle(user_handle: bytes | None) -> User:
    """The account a passkey names. Only a claim until its signature is checked."""
    try:
        pk = url_str_to_user_pk((user_handle or b"").decode("utf8"))
        # Deactivated accounts sign in no other way either.
        return User.objects.get(pk=pk, is_active=True)
    except (ValueError, TypeError, User.DoesNotExist) as exc:
        raise KeyNotRecognised() from exc


def _authenticate(*, request: HttpRequest, user: User | None,
                  credential: Mapping[str, Any] | str) -> Authenticator:
    state = _state_take(request, AUTHENTICATION_STATE, user=user)
    data = _mapping(credential)
    try:
        response = AuthenticationResponse.from_dict(data)
    except Exception as exc:  # any parse failure of posted bytes: not a key's answer
        raise KeyNotRecognised() from exc
    owner = user if user is not None else _user_from_handle(response.response.user_handle)
    # Only the owner's keys: another account's key, however valid, is not recognised.
    keys = Authenticator.objects.filter(user_id=owner.pk, type=Authenticator.Type.WEBAUTHN)
    matched = next((key for key in keys if _credential_id(key) == response.raw_id), None)
    if matched is None:
        raise KeyNotRecognised()
    credential_data: AttestedCredentialData = \
        matched.wrap().authenticator_data.credential_data
    try:
        with context.request_context(request):
            # Challenge, origin, RP id hash, user present (and verified when required),
            # and the signature by the key's public key.
            _server().authenticate_complete(state, [credential_data], response)
    except Exception as exc:
        raise KeyNotRecognised() from exc
    auth_data = response.response.authenticator_data
    if user is None:
        # A key registered for the second step was never meant to be the only factor: it
        # may not verify the person at all.
        if matched.data.get("passkey") is not True:
            raise KeyNotPasskey()
        # fido2 checked this already (the state asked for it); it is the whole reason a
        # passkey alone is enough, so it is checked here too.
        if not auth_data.is_user_verified():
            raise KeyNotRecognised()
    return _counter_advance(matched, auth_data.counter)


def _counter_advance(authenticator: Authenticator, counter: int) -> Authenticator:
    """Refuse a signature counter that did not go up; store the new one.

    A key's counter rises with every signature; a copy of the key has its own counter, so
    when both are used one of them goes back. Keys that keep no counter (synced passkeys)
    report 0 every time, and 0 after 0 is fine. The row is locked while we compare, so two
    parallel sign-ins with one answer cannot both see the old value.
    """
    with transaction.atomic():
        locked = Authenticator.objects.select_for_update().get(pk=authenticator.pk)
        stored = int(locked.data.get("sign_count",
                                     locked.wrap().authenticator_data.counter))
        if (counter or stored) and counter <= stored:
            raise KeyCloned()
        locked.data["sign_count"] = counter
        locked.save(update_fields=["data"])
        locked.record_usage()
    return locked
