"""The WebAuthn ceremonies against a software key: the honest paths, and every attack the
server must refuse (another origin, another RP id, a replayed answer, another account's
key, a cloned key's counter, a security key posing as a passkey, garbage)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from fido2.utils import websafe_decode

from warden.accounts.models import SecondFactorFailure, User
from warden.accounts.tests.conftest import web
from warden.accounts.twofactor import webauthn
from warden.accounts.twofactor.errors import KeyCloned, KeyNotRecognised, TooManyAttempts
from warden.accounts.twofactor.ratelimit import PER_USER
from warden.accounts.twofactor.services import webauthn_add
from warden.accounts.twofactor.tests.softkey import ExcludedCredential, SoftKey
from warden.accounts.twofactor.webauthn import (
    KeyAlreadyRegistered,
    KeyNameRequired,
    KeyNameTaken,
    KeyNameTooLong,
    KeyNotPasskey,
    KeyRegistrationFailed,
    authentication_begin,
    authentication_complete,
    registration_begin,
    registration_verify,
)
from warden.audit.models import Event


@pytest.fixture(autouse=True)
def _relying_party(settings: Any) -> None:
    settings.WARDEN_WEBAUTHN_RP_ID = "localhost"
    settings.WARDEN_WEBAUTHN_RP_NAME = "Warden"


def browser_request() -> HttpRequest:
    """A request with a session, as the page's POSTs would have. One request object
    plays the whole conversation: the session (where the challenge waits) is shared."""
    request = RequestFactory().post("/accounts/2fa/")
    SessionMiddleware(lambda request: HttpResponse()).process_request(request)
    return request


@pytest.fixture
def request_() -> HttpRequest:
    return browser_request()


def registration_complete(*, request: HttpRequest, user: User, name: str,
                          credential: dict[str, Any] | str, passkey: bool) -> Authenticator:
    """What the add-key page does with the browser's answer: check it, then store the key."""
    key = registration_verify(request=request, user=user, name=name, credential=credential,
                              passkey=passkey)
    authenticator, _codes = webauthn_add(user=user, key=key, origin=web(user))
    return authenticator


def register(request: HttpRequest, user: User, key: SoftKey, *, name: str = "My key",
             passkey: bool = False) -> Authenticator:
    options = registration_begin(request=request, user=user, passkey=passkey)
    return registration_complete(request=request, user=user, name=name,
                                 credential=key.register(options), passkey=passkey)


def sign_in(request: HttpRequest, user: User | None, key: SoftKey,
            **attack: Any) -> Authenticator:
    options = authentication_begin(request=request, user=user)
    return authentication_complete(request=request, user=user, origin=web(),
                                   credential=key.assert_(options, **attack))


# The honest paths.

def test_a_registered_security_key_signs_in(request_: HttpRequest, alice: User) -> None:
    key = SoftKey()
    registered = register(request_, alice, key, name="  Blue key  ")
    assert registered.user == alice
    assert registered.type == Authenticator.Type.WEBAUTHN
    assert registered.data["name"] == "Blue key"
    assert registered.data["passkey"] is False
    assert registered.data["sign_count"] == 0
    # allauth's own view of the stored credential still works.
    wrapped = registered.wrap()
    assert wrapped.authenticator_data.credential_data.credential_id == key.credential_id
    assert not wrapped.is_passwordless

    used = sign_in(request_, alice, key)

    assert used.pk == registered.pk
    assert used.data["sign_count"] == 1
    assert Authenticator.objects.get(pk=used.pk).last_used_at is not None


def test_the_credential_may_be_posted_as_the_forms_json_text(request_: HttpRequest,
                                                             alice: User) -> None:
    key = SoftKey()
    options = registration_begin(request=request_, user=alice, passkey=False)
    registration_complete(request=request_, user=alice, name="Key",
                          credential=json.dumps(key.register(options)), passkey=False)
    options = authentication_begin(request=request_, user=alice)
    authentication_complete(request=request_, origin=web(), user=alice,
                            credential=json.dumps(key.assert_(options)))


def test_registration_asks_for_no_attestation_and_names_the_configured_rp(
        request_: HttpRequest, alice: User, settings: Any) -> None:
    settings.WARDEN_WEBAUTHN_RP_ID = "warden.example"
    settings.WARDEN_WEBAUTHN_RP_NAME = "Example Warden"
    options = registration_begin(request=request_, user=alice, passkey=False)["publicKey"]
    assert options["attestation"] == "none"
    assert options["rp"] == {"id": "warden.example", "name": "Example Warden"}
    assert options["authenticatorSelection"]["residentKey"] == "discouraged"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["extensions"] == {"credProps": True}
    assert options["timeout"] == webauthn.CEREMONY_SECONDS * 1000
    json.dumps(options)  # goes to the page as it is


def test_a_passkey_registration_requires_a_resident_key_and_user_verification(
        request_: HttpRequest, alice: User) -> None:
    options = registration_begin(request=request_, user=alice, passkey=True)["publicKey"]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["requireResidentKey"] is True
    assert options["authenticatorSelection"]["userVerification"] == "required"


def test_registration_excludes_the_accounts_existing_keys(request_: HttpRequest,
                                                          alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    options = registration_begin(request=request_, user=alice, passkey=False)
    assert [c["id"] for c in options["publicKey"]["excludeCredentials"]] == [key.id]
    with pytest.raises(ExcludedCredential):
        key.register(options)


def test_sign_in_offers_only_the_accounts_own_keys(request_: HttpRequest, alice: User,
                                                   bob: User) -> None:
    alices, bobs = SoftKey(), SoftKey()
    register(request_, alice, alices)
    register(request_, bob, bobs)
    options = authentication_begin(request=request_, user=alice)["publicKey"]
    assert [c["id"] for c in options["allowCredentials"]] == [alices.id]
    assert options["rpId"] == "localhost"


def test_several_keys_each_sign_in(request_: HttpRequest, alice: User) -> None:
    first, second = SoftKey(), SoftKey()
    one = register(request_, alice, first, name="First")
    two = register(request_, alice, second, name="Second")
    assert sign_in(request_, alice, second).pk == two.pk
    assert sign_in(request_, alice, first).pk == one.pk


# Attacks on signing in.

def test_a_replayed_assertion_is_refused(request_: HttpRequest, alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    options = authentication_begin(request=request_, user=alice)
    answer = key.assert_(options)
    authentication_complete(request=request_, origin=web(), user=alice, credential=answer)

    # The same answer again: the challenge was spent.
    with pytest.raises(KeyNotRecognised):
        authentication_complete(request=request_, origin=web(), user=alice, credential=answer)
    # Nor does it answer a fresh challenge.
    authentication_begin(request=request_, user=alice)
    with pytest.raises(KeyNotRecognised):
        authentication_complete(request=request_, origin=web(), user=alice, credential=answer)


def test_a_replayed_assertion_from_a_key_without_a_counter_is_refused(
        request_: HttpRequest, alice: User) -> None:
    # With counters at 0 the counter check cannot help: only the spent challenge does.
    key = SoftKey()
    register(request_, alice, key)
    options = authentication_begin(request=request_, user=alice)
    answer = key.assert_(options, counter=0)
    authentication_complete(request=request_, origin=web(), user=alice, credential=answer)
    with pytest.raises(KeyNotRecognised):
        authentication_complete(request=request_, origin=web(), user=alice, credential=answer)


def test_a_challenge_is_spent_by_a_wrong_answer_too(request_: HttpRequest,
                                                    alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    options = authentication_begin(request=request_, user=alice)
    with pytest.raises(KeyNotRecognised):
        authentication_complete(request=request_, origin=web(), user=alice,
                                credential=key.assert_(options, origin="https://evil.example"))
    with pytest.raises(KeyNotRecognised):
        authentication_complete(request=request_, origin=web(), user=alice,
                                credential=key.assert_(options))


def test_an_assertion_made_on_another_origin_is_refused(request_: HttpRequest,
                                                        alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    for origin in ("https://evil.example", "http://localhost.evil.example:8000",
                   "http://127.0.0.1:8000"):
        with pytest.raises(KeyNotRecognised):
            sign_in(request_, alice, key, origin=origin)


def test_an_assertion_for_another_rp_id_is_refused(request_: HttpRequest,
                                                   alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, alice, key, rp_id="evil.example")


def test_an_assertion_without_user_presence_is_refused(request_: HttpRequest,
                                                       alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, alice, key, user_present=False)


def test_another_accounts_key_is_refused(request_: HttpRequest, alice: User,
                                         mallory: User) -> None:
    register(request_, alice, SoftKey())
    mallorys = SoftKey()
    register(request_, mallory, mallorys)
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, alice, mallorys)


def test_an_unknown_key_is_refused(request_: HttpRequest, alice: User) -> None:
    register(request_, alice, SoftKey())
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, alice, SoftKey())


def test_a_signature_by_another_private_key_is_refused(request_: HttpRequest,
                                                       alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    forger = SoftKey()
    forger.credential_id = key.credential_id  # the id is public; the private key is not
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, alice, forger)


def test_a_challenge_issued_for_one_account_cannot_be_answered_for_another(
        request_: HttpRequest, alice: User, mallory: User) -> None:
    mallorys = SoftKey()
    register(request_, mallory, mallorys)
    options = authentication_begin(request=request_, user=alice)
    with pytest.raises(KeyNotRecognised):
        authentication_complete(request=request_, origin=web(), user=mallory,
                                credential=mallorys.assert_(options))


def test_an_expired_challenge_is_refused(request_: HttpRequest, alice: User,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    key = SoftKey()
    register(request_, alice, key)
    options = authentication_begin(request=request_, user=alice)
    later = webauthn.time.time() + webauthn.CEREMONY_SECONDS + 1
    monkeypatch.setattr(webauthn.time, "time", lambda: later)
    with pytest.raises(KeyNotRecognised):
        authentication_complete(request=request_, origin=web(), user=alice,
                                credential=key.assert_(options))


def test_answering_without_a_challenge_is_refused(alice: User) -> None:
    key = SoftKey()
    register(browser_request(), alice, key)
    options = authentication_begin(request=browser_request(), user=alice)
    # Another session (another browser) never asked.
    with pytest.raises(KeyNotRecognised):
        authentication_complete(request=browser_request(), origin=web(), user=alice,
                                credential=key.assert_(options))


# Signature counters.

def test_a_counter_going_back_is_refused_as_a_cloned_key(request_: HttpRequest,
                                                         alice: User) -> None:
    key = SoftKey()
    registered = register(request_, alice, key)
    sign_in(request_, alice, key, counter=5)

    with pytest.raises(KeyCloned):
        sign_in(request_, alice, key, counter=3)

    registered.refresh_from_db()
    assert registered.data["sign_count"] == 5


def test_a_counter_standing_still_is_refused_as_a_cloned_key(request_: HttpRequest,
                                                             alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    sign_in(request_, alice, key, counter=7)
    with pytest.raises(KeyCloned):
        sign_in(request_, alice, key, counter=7)


def test_a_counter_falling_to_zero_is_refused_as_a_cloned_key(request_: HttpRequest,
                                                              alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    sign_in(request_, alice, key, counter=2)
    with pytest.raises(KeyCloned):
        sign_in(request_, alice, key, counter=0)


def test_the_first_sign_in_must_count_past_the_registration(request_: HttpRequest,
                                                            alice: User) -> None:
    key = SoftKey()
    options = registration_begin(request=request_, user=alice, passkey=False)
    registration_complete(request=request_, user=alice, name="Key", passkey=False,
                          credential=key.register(options, counter=10))
    with pytest.raises(KeyCloned):
        sign_in(request_, alice, key, counter=10)
    assert sign_in(request_, alice, key, counter=11).data["sign_count"] == 11


def test_keys_that_keep_no_counter_are_accepted(request_: HttpRequest, alice: User) -> None:
    # Synced passkeys report 0 every time: 0 after 0 is not a clone.
    key = SoftKey()
    register(request_, alice, key)
    sign_in(request_, alice, key, counter=0)
    used = sign_in(request_, alice, key, counter=0)
    assert used.data["sign_count"] == 0


# Passwordless sign-in.

def test_passwordless_sign_in_finds_the_account_by_its_passkey(request_: HttpRequest,
                                                               alice: User,
                                                               bob: User) -> None:
    register(request_, bob, SoftKey(resident=True), passkey=True)
    key = SoftKey(resident=True)
    registered = register(request_, alice, key, passkey=True)
    assert registered.data["passkey"] is True
    assert registered.wrap().is_passwordless

    options = authentication_begin(request=request_, user=None)["publicKey"]
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    used = authentication_complete(request=request_, origin=web(), user=None,
                                   credential=key.assert_({"publicKey": options}))

    assert used.pk == registered.pk
    assert used.user == alice


def test_passwordless_sign_in_refuses_a_key_registered_as_a_security_key(
        request_: HttpRequest, alice: User) -> None:
    # Resident (it can name the account) but registered for the second step only.
    key = SoftKey(resident=True)
    register(request_, alice, key, passkey=False)
    with pytest.raises(KeyNotPasskey):
        sign_in(request_, None, key)


def test_passwordless_sign_in_requires_user_verification(request_: HttpRequest,
                                                        alice: User) -> None:
    key = SoftKey(resident=True)
    register(request_, alice, key, passkey=True)
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, None, key, user_verified=False)


def test_passwordless_sign_in_refuses_a_key_that_names_no_account(request_: HttpRequest,
                                                                 alice: User) -> None:
    key = SoftKey(resident=False)
    register(request_, alice, key, passkey=False)
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, None, key)  # no user handle at all


def test_passwordless_sign_in_refuses_a_passkey_claiming_another_account(
        request_: HttpRequest, alice: User, mallory: User) -> None:
    mallorys = SoftKey(resident=True)
    register(request_, mallory, mallorys, passkey=True)
    register(request_, alice, SoftKey(resident=True), passkey=True)
    alices_handle = str(alice.pk).encode()
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, None, mallorys, user_handle=alices_handle)


def test_passwordless_sign_in_refuses_a_deactivated_account(request_: HttpRequest,
                                                            alice: User) -> None:
    key = SoftKey(resident=True)
    register(request_, alice, key, passkey=True)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, None, key)


def test_a_passwordless_challenge_cannot_be_spent_on_a_second_step(
        request_: HttpRequest, alice: User) -> None:
    key = SoftKey(resident=True)
    register(request_, alice, key, passkey=True)
    options = authentication_begin(request=request_, user=None)
    with pytest.raises(KeyNotRecognised):
        authentication_complete(request=request_, origin=web(), user=alice,
                                credential=key.assert_(options))


def test_passwordless_sign_in_checks_the_counter_too(request_: HttpRequest,
                                                    alice: User) -> None:
    key = SoftKey(resident=True)
    register(request_, alice, key, passkey=True)
    sign_in(request_, None, key, counter=4)
    with pytest.raises(KeyCloned):
        sign_in(request_, None, key, counter=4)


# Attacks and mistakes in registration.

@pytest.mark.parametrize("begun_as_passkey", [True, False])
def test_a_passkey_registration_without_user_verification_is_refused(
        request_: HttpRequest, alice: User, begun_as_passkey: bool) -> None:
    key = SoftKey(resident=True)
    options = registration_begin(request=request_, user=alice, passkey=begun_as_passkey)
    with pytest.raises(KeyNotRecognised):
        registration_complete(request=request_, user=alice, name="Phone", passkey=True,
                              credential=key.register(options, user_verified=False))
    assert not Authenticator.objects.filter(user=alice).exists()


def test_a_passkey_registration_the_browser_reports_as_not_resident_is_refused(
        request_: HttpRequest, alice: User) -> None:
    with pytest.raises(KeyNotPasskey):
        register(request_, alice, SoftKey(resident=False), passkey=True)
    assert not Authenticator.objects.filter(user=alice).exists()


def test_a_passkey_registration_without_credprops_is_recorded_as_passwordless(
        request_: HttpRequest, alice: User) -> None:
    key = SoftKey(resident=True)
    options = registration_begin(request=request_, user=alice, passkey=True)
    registered = registration_complete(
        request=request_, user=alice, name="Phone", passkey=True,
        credential=key.register(options, report_cred_props=False))
    assert registered.wrap().is_passwordless
    assert sign_in(request_, None, key).pk == registered.pk


def test_a_registration_begun_as_a_security_key_may_complete_as_a_passkey(
        request_: HttpRequest, alice: User) -> None:
    # The add-key page begins one way and its script asks for a passkey when the box is
    # ticked; the answer itself must then show a verified person and a discoverable key.
    key = SoftKey(resident=True)
    options = registration_begin(request=request_, user=alice, passkey=False)
    registered = registration_complete(request=request_, user=alice, name="Phone",
                                       passkey=True, credential=key.register(options))
    assert registered.data["passkey"] is True
    assert sign_in(request_, None, key).pk == registered.pk


def test_a_passkey_completed_from_a_security_key_start_must_report_a_resident_key(
        request_: HttpRequest, alice: User) -> None:
    key = SoftKey(resident=True)
    options = registration_begin(request=request_, user=alice, passkey=False)
    with pytest.raises(KeyNotPasskey):
        registration_complete(request=request_, user=alice, name="Phone", passkey=True,
                              credential=key.register(options, report_cred_props=False))


def test_a_registration_made_on_another_origin_is_refused(request_: HttpRequest,
                                                          alice: User) -> None:
    options = registration_begin(request=request_, user=alice, passkey=False)
    with pytest.raises(KeyNotRecognised):
        registration_complete(request=request_, user=alice, name="Key", passkey=False,
                              credential=SoftKey().register(options,
                                                            origin="https://evil.example"))


def test_a_failed_registration_says_the_key_was_not_added(request_: HttpRequest,
                                                          alice: User) -> None:
    registration_begin(request=request_, user=alice, passkey=False)
    with pytest.raises(KeyRegistrationFailed) as raised:
        registration_complete(request=request_, user=alice, name="Key", passkey=False,
                              credential="{}")
    assert "not added" in str(raised.value.message)


def test_a_registration_for_another_rp_id_is_refused(request_: HttpRequest,
                                                     alice: User) -> None:
    options = registration_begin(request=request_, user=alice, passkey=False)
    with pytest.raises(KeyNotRecognised):
        registration_complete(request=request_, user=alice, name="Key", passkey=False,
                              credential=SoftKey().register(options, rp_id="evil.example"))


def test_a_registration_answer_cannot_be_replayed(request_: HttpRequest,
                                                  alice: User) -> None:
    key = SoftKey()
    options = registration_begin(request=request_, user=alice, passkey=False)
    answer = key.register(options)
    registration_complete(request=request_, user=alice, name="Key", passkey=False,
                          credential=answer)
    with pytest.raises(KeyNotRecognised):
        registration_complete(request=request_, user=alice, name="Again", passkey=False,
                              credential=answer)


def test_a_key_registered_to_another_account_is_refused(request_: HttpRequest,
                                                        alice: User,
                                                        mallory: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    # A copy of alice's key (same credential id and key pair) offered by mallory.
    with pytest.raises(KeyAlreadyRegistered):
        register(request_, mallory, key)
    assert not Authenticator.objects.filter(user=mallory).exists()


def test_a_key_cannot_be_registered_twice_to_one_account(request_: HttpRequest,
                                                         alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    # A browser would refuse (excludeCredentials); a forged answer is refused here.
    options = registration_begin(request=request_, user=alice, passkey=False)
    options["publicKey"]["excludeCredentials"] = []
    with pytest.raises(KeyAlreadyRegistered):
        registration_complete(request=request_, user=alice, name="Again", passkey=False,
                              credential=key.register(options))
    assert Authenticator.objects.filter(user=alice, type="webauthn").count() == 1


@pytest.mark.parametrize(("name", "error"), [
    ("", KeyNameRequired),
    ("   ", KeyNameRequired),
    ("x" * 65, KeyNameTooLong),
    ("blue KEY", KeyNameTaken),
])
def test_a_key_needs_a_name_of_its_own(request_: HttpRequest, alice: User, name: str,
                                       error: type[Exception]) -> None:
    register(request_, alice, SoftKey(), name="Blue key")
    key = SoftKey()
    options = registration_begin(request=request_, user=alice, passkey=False)
    answer = key.register(options)
    with pytest.raises(error) as raised:
        registration_complete(request=request_, user=alice, name=name, passkey=False,
                              credential=answer)
    assert str(raised.value.message)  # type: ignore[attr-defined]
    # The challenge was not spent: the page can post the same key with a better name.
    registered = registration_complete(request=request_, user=alice, name="x" * 64,
                                       passkey=False, credential=answer)
    assert registered.data["name"] == "x" * 64


def test_another_accounts_key_names_do_not_count(request_: HttpRequest, alice: User,
                                                 bob: User) -> None:
    register(request_, alice, SoftKey(), name="Blue key")
    assert register(request_, bob, SoftKey(), name="Blue key").data["name"] == "Blue key"


def test_a_key_being_renamed_may_keep_its_name(request_: HttpRequest, alice: User) -> None:
    registered = register(request_, alice, SoftKey(), name="Blue key")
    assert webauthn.key_name_validate(user=alice, name="blue key",
                                      authenticator_id=registered.pk) == "blue key"


# Garbage.

def _garbage(answer: dict[str, Any]) -> list[Any]:
    response = answer["response"]
    return [
        "",
        "not json",
        "[]",
        "null",
        "{}",
        [],
        {"id": "x"},
        {**answer, "id": "AAAA"},  # id and rawId disagree
        {**answer, "rawId": "!!!not base64!!!", "id": "!!!not base64!!!"},
        {**answer, "response": "nope"},
        {**answer, "response": {**response, "clientDataJSON": "e30"}},  # {}
        {**answer, "response": {k: v[:10] if isinstance(v, str) else v
                                for k, v in response.items()}},
        {**answer, "response": {k: 12 for k in response}},
    ]


def test_garbage_registration_answers_are_not_recognised(alice: User) -> None:
    for garbage in _garbage(SoftKey().register(
            registration_begin(request=browser_request(), user=alice, passkey=False))):
        request = browser_request()
        registration_begin(request=request, user=alice, passkey=False)
        with pytest.raises(KeyNotRecognised):
            registration_complete(request=request, user=alice, name="Key", passkey=False,
                                  credential=garbage)
    assert not Authenticator.objects.filter(user=alice).exists()


def test_garbage_sign_in_answers_are_not_recognised(alice: User) -> None:
    key = SoftKey(resident=True)
    register(browser_request(), alice, key, passkey=True)
    for user in (alice, None):
        for garbage in _garbage(key.assert_(
                authentication_begin(request=browser_request(), user=user))):
            request = browser_request()
            authentication_begin(request=request, user=user)
            with pytest.raises(KeyNotRecognised):
                authentication_complete(request=request, origin=web(), user=user,
                                        credential=garbage)
            # Each counts as a failure; keep under the cap (the rate limit is tested below).
            SecondFactorFailure.objects.all().delete()


def test_a_garbage_user_handle_is_not_recognised(request_: HttpRequest, alice: User) -> None:
    key = SoftKey(resident=True)
    register(request_, alice, key, passkey=True)
    for handle in (b"\xff\xfe", b"not a number", b"999999", b""):
        with pytest.raises(KeyNotRecognised):
            sign_in(request_, None, key, user_handle=handle)


# The rate limit.

def test_failed_sign_ins_count_toward_the_rate_limit(request_: HttpRequest,
                                                     alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, alice, SoftKey())
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, alice, key, origin="https://evil.example")
    with pytest.raises(KeyNotRecognised):
        authentication_complete(request=request_, origin=web(), user=alice, credential="garbage")
    sign_in(request_, alice, key, counter=9)
    with pytest.raises(KeyCloned):
        sign_in(request_, alice, key, counter=1)
    assert SecondFactorFailure.objects.filter(user=alice).count() == 4


def test_a_failed_key_is_recorded_in_the_accounts_history_like_a_wrong_code(
        request_: HttpRequest, alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    sign_in(request_, alice, key, counter=9)
    with pytest.raises(KeyCloned):
        sign_in(request_, alice, key, counter=1)
    failure = Event.objects.get(tag="account:two_factor:failure", user_id=alice.pk)
    assert failure.details == {"reason": "KeyCloned"}


def test_after_too_many_failures_even_the_right_key_is_refused(request_: HttpRequest,
                                                               alice: User) -> None:
    key = SoftKey()
    register(request_, alice, key)
    hourly_cap = PER_USER[0][1]
    for _attempt in range(hourly_cap):
        with pytest.raises(KeyNotRecognised):
            sign_in(request_, alice, SoftKey())
    with pytest.raises(TooManyAttempts):
        sign_in(request_, alice, key)
    # Refused before the key was looked at: its counter did not move.
    assert Authenticator.objects.get(user=alice, type="webauthn").data["sign_count"] == 0


def test_passwordless_failures_do_not_lock_the_named_account_out(request_: HttpRequest,
                                                                 alice: User) -> None:
    # Anyone can send a user handle; counting against it would let anyone lock alice out.
    key = SoftKey(resident=True)
    register(request_, alice, key, passkey=True)
    with pytest.raises(KeyNotRecognised):
        sign_in(request_, None, key, origin="https://evil.example")
    assert not SecondFactorFailure.objects.filter(user=alice).exists()


def test_the_stored_credential_id_is_the_keys(request_: HttpRequest, alice: User) -> None:
    key = SoftKey()
    registered = register(request_, alice, key)
    assert websafe_decode(registered.data["credential_id"]) == key.credential_id
