"""Logging in with a second factor, re-authenticating with one, and signing in with a
passkey alone, through the pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from warden.accounts.models import SecondFactorFailure, User
from warden.accounts.tests.conftest import (
    PASSWORD,
    age_password_entry,
    log_in,
    user_with_verified_email,
)
from warden.accounts.twofactor.ratelimit import PER_USER
from warden.accounts.twofactor.tests.conftest import Clock, add_key, totp_on
from warden.accounts.twofactor.tests.softkey import SoftKey

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
SECOND_STEP = "/accounts/2fa/authenticate/"
REAUTH = "/accounts/2fa/reauthenticate/"
REAUTH_KEY = "/accounts/2fa/reauthenticate/key/"
PASSKEY_LOGIN = "/accounts/2fa/passkey-login/"
# A page behind @require_reauth, to see whether re-authentication counted.
SENSITIVE = "/accounts/2fa/recovery-codes/generate/"


@pytest.fixture
def alice_with_totp(alice: User, clock: Clock) -> list[str]:
    """alice with the app set up; her recovery codes."""
    codes = totp_on(alice, clock)
    assert codes
    return codes


def password_step(client: Client, login: str = "alice") -> str:
    response = client.post(LOGIN, {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    return str(response["Location"])


def is_logged_in(client: Client) -> bool:
    return client.get("/accounts/2fa/").status_code == 200


def test_after_the_password_a_totp_user_is_asked_for_a_code_and_is_not_yet_in(alice_with_totp):
    client = Client()
    assert password_step(client) == SECOND_STEP
    assert not is_logged_in(client)
    html = client.get(SECOND_STEP).content.decode()
    assert "Use your authenticator app" in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert "Use a recovery code" in html
    assert 'autocomplete="off"' in html
    assert "Use a security key" not in html


def test_the_second_step_offers_a_key_when_the_account_has_one(alice):
    client = Client()
    log_in(client, "alice")
    add_key(client, SoftKey())
    client.post("/accounts/logout/")
    password_step(client)
    html = client.get(SECOND_STEP).content.decode()
    assert 'id="webauthn-authenticate"' in html and "Use a security key" in html
    assert "Use your authenticator app" not in html


def test_the_second_step_cannot_be_reached_without_the_password(alice_with_totp):
    response = Client().get(SECOND_STEP)
    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_the_right_code_logs_in_and_the_session_key_changes(alice_with_totp, clock):
    client = Client()
    password_step(client)
    half_logged_in = client.session.session_key
    response = client.post(SECOND_STEP, {"method": "totp", "code": clock.code()})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session.session_key != half_logged_in
    assert is_logged_in(client)


def test_a_code_typed_with_a_space_works_too(alice_with_totp, clock):
    client = Client()
    password_step(client)
    code = clock.code()
    client.post(SECOND_STEP, {"method": "totp", "code": f"{code[:3]} {code[3:]}"})
    assert is_logged_in(client)


def test_a_wrong_code_keeps_the_person_out_and_says_why_beside_the_field(alice_with_totp, clock):
    client = Client()
    password_step(client)
    wrong = f"{(int(clock.code()) + 1) % 1_000_000:06d}"
    response = client.post(SECOND_STEP, {"method": "totp", "code": wrong})
    html = response.content.decode()
    assert response.status_code == 400
    assert "That code is not correct." in html
    assert 'aria-describedby="totp_code_helptext totp_code_error"' in html
    # About the code only: nothing new about the password, which the first step judged.
    assert "password" not in html.split('id="totp_code_error"')[1].split("</ul>")[0]
    assert not is_logged_in(client)


def test_a_code_used_once_is_refused_the_second_time(alice_with_totp, clock):
    first = Client()
    password_step(first)
    code = clock.code()
    first.post(SECOND_STEP, {"method": "totp", "code": code})
    second = Client()
    password_step(second)
    html = second.post(SECOND_STEP, {"method": "totp", "code": code}).content.decode()
    assert "That code has been used already." in html
    assert not is_logged_in(second)


def test_too_many_wrong_codes_say_when_to_try_again(alice, alice_with_totp, clock):
    client = Client()
    password_step(client)
    wrong = f"{(int(clock.code()) + 1) % 1_000_000:06d}"
    for _ in range(PER_USER[0][1]):
        client.post(SECOND_STEP, {"method": "totp", "code": wrong})
    assert SecondFactorFailure.objects.filter(user=alice).count() == PER_USER[0][1]
    html = client.post(SECOND_STEP, {"method": "totp", "code": clock.code()}).content.decode()
    assert "Too many failed attempts." in html and "try again after" in html
    assert not is_logged_in(client)


def test_an_expired_half_login_sends_the_person_back_to_the_password(alice_with_totp, clock,
                                                                      settings):
    client = Client()
    password_step(client)
    session = client.session
    state = session["account_login"]
    state["initiated_at"] -= settings.ACCOUNT_LOGIN_TIMEOUT + 1
    session["account_login"] = state
    session.save()
    response = client.post(SECOND_STEP, {"method": "totp", "code": clock.code()})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "Logging in took too long" in client.get(LOGIN).content.decode()
    assert not is_logged_in(client)


def test_a_recovery_code_logs_in_once(alice_with_totp):
    code = alice_with_totp[0]
    client = Client()
    password_step(client)
    client.post(SECOND_STEP, {"method": "recovery", "code": code})
    assert is_logged_in(client)
    again = Client()
    password_step(again)
    html = again.post(SECOND_STEP, {"method": "recovery", "code": code}).content.decode()
    assert "That recovery code is not correct, or it has been used already." in html
    assert 'id="recovery_code_error"' in html
    assert not is_logged_in(again)


def test_a_security_key_logs_in_at_the_second_step(alice):
    key = SoftKey()
    client = Client()
    log_in(client, "alice")
    add_key(client, key)
    client.post("/accounts/logout/")
    password_step(client)
    page = client.get(SECOND_STEP).content.decode()
    options = json.loads(page.split('<script id="webauthn-options" type="application/json">')[1]
                         .split("</script>")[0])
    response = client.post(SECOND_STEP, {"method": "key", "credential": json.dumps(
        key.assert_(options["request_options"]))})
    assert response.status_code == 302
    assert is_logged_in(client)


def test_another_accounts_key_is_not_recognised_at_the_second_step(alice):
    user_with_verified_email("mallory", "mallory@example.org")
    mallory_key = SoftKey()
    mallory = Client()
    log_in(mallory, "mallory")
    add_key(mallory, mallory_key)
    client = Client()
    log_in(client, "alice")
    add_key(client, SoftKey())
    client.post("/accounts/logout/")
    password_step(client)
    page = client.get(SECOND_STEP).content.decode()
    options = json.loads(page.split('type="application/json">')[1].split("</script>")[0])
    html = client.post(SECOND_STEP, {"method": "key", "credential": json.dumps(
        mallory_key.assert_(options["request_options"]))}).content.decode()
    assert "That security key or passkey is not registered to this account" in html
    assert not is_logged_in(client)


def test_the_second_step_refuses_a_post_without_the_csrf_token(alice_with_totp, clock):
    client = Client()
    password_step(client)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    response = strict.post(SECOND_STEP, {"method": "totp", "code": clock.code()})
    assert response.status_code == 403


def test_the_password_page_offers_a_code_instead_when_the_account_has_one(alice_with_totp,
                                                                          clock):
    client = Client()
    password_step(client)
    client.post(SECOND_STEP, {"method": "totp", "code": clock.code()})
    age_password_entry(client)
    detour = client.get(SENSITIVE)["Location"]
    html = client.get(detour).content.decode()
    assert "Use a code from your authenticator app or a recovery code" in html
    assert f'href="{REAUTH}?next=' in html


def test_a_code_confirms_it_is_you_for_a_sensitive_action(alice_with_totp, clock):
    client = Client()
    password_step(client)
    client.post(SECOND_STEP, {"method": "totp", "code": clock.code()})
    age_password_entry(client)
    clock.step(2)
    response = client.post(f"{REAUTH}?next={SENSITIVE}", {"code": clock.code()})
    assert response.status_code == 302
    assert response["Location"] == SENSITIVE
    assert client.get(SENSITIVE).status_code == 200


def test_a_wrong_code_does_not_confirm_it_is_you(alice_with_totp, clock):
    client = Client()
    password_step(client)
    client.post(SECOND_STEP, {"method": "totp", "code": clock.code()})
    age_password_entry(client)
    clock.step(2)
    wrong = f"{(int(clock.code()) + 1) % 1_000_000:06d}"
    html = client.post(f"{REAUTH}?next={SENSITIVE}", {"code": wrong}).content.decode()
    assert "That code is not correct." in html and 'aria-invalid="true"' in html
    assert client.get(SENSITIVE).status_code == 302


def test_a_security_key_confirms_it_is_you(alice):
    key = SoftKey()
    client = Client()
    log_in(client, "alice")
    add_key(client, key)
    age_password_entry(client)
    page = client.get(f"{REAUTH_KEY}?next={SENSITIVE}").content.decode()
    options = json.loads(page.split('type="application/json">')[1].split("</script>")[0])
    response = client.post(f"{REAUTH_KEY}?next={SENSITIVE}", {"credential": json.dumps(
        key.assert_(options["request_options"]))})
    assert response["Location"] == SENSITIVE
    assert client.get(SENSITIVE).status_code == 200


def test_the_code_page_is_refused_to_an_account_without_a_code(alice):
    client = Client()
    log_in(client, "alice")
    # allauth sends people to a method the account has: here, the password.
    response = client.get(REAUTH)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


def passkey_options(client: Client) -> dict[str, Any]:
    options: dict[str, Any] = client.get(PASSKEY_LOGIN, HTTP_ACCEPT="application/json").json()
    return options["request_options"]


def test_a_passkey_alone_logs_in_without_a_second_step(alice):
    key = SoftKey(resident=True)
    setup = Client()
    log_in(setup, "alice")
    add_key(setup, key, name="Phone", passkey=True)
    client = Client()
    response = client.post(PASSKEY_LOGIN + "?next=/manage/", {
        "credential": json.dumps(key.assert_(passkey_options(client))), "next": "/manage/"})
    assert response.status_code == 302
    assert response["Location"] == "/manage/"
    assert is_logged_in(client)


def test_a_security_key_that_is_not_a_passkey_cannot_log_in_alone(alice):
    key = SoftKey(resident=True)
    setup = Client()
    log_in(setup, "alice")
    add_key(setup, key)
    client = Client()
    response = client.post(PASSKEY_LOGIN, {
        "credential": json.dumps(key.assert_(passkey_options(client)))})
    assert response.status_code == 400
    assert 'role="alert" id="passkey-error"><p>That key is not a passkey' in \
        response.content.decode()
    assert not is_logged_in(client)


def test_the_passkey_page_explains_a_missing_answer(db):
    response = Client().post(PASSKEY_LOGIN, {"credential": ""})
    assert response.status_code == 400
    assert "did not send an answer from a security key" in response.content.decode()


def test_the_login_page_has_a_passkey_button_and_no_inline_script(db):
    html = Client().get(LOGIN).content.decode()
    assert 'id="passkey-login"' in html and "Sign in with a passkey" in html
    assert f'data-webauthn-options-url="{PASSKEY_LOGIN}"' in html
    assert "<script>" not in html
    assert Authenticator.objects.count() == 0
