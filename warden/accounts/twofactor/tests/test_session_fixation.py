"""Session fixation: a session id planted in someone's browser before they sign in must be
worth nothing afterwards, at every step that raises what the session may do (the password,
the second factor, re-authentication).

The attacker's browser is a second client holding a copy of the victim's cookie."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from warden.accounts.models import User
from warden.accounts.tests.conftest import PASSWORD, age_password_entry
from warden.accounts.twofactor.tests.conftest import Clock, totp_on

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
SECOND_STEP = "/accounts/2fa/authenticate/"
PASSKEY_LOGIN = "/accounts/2fa/passkey-login/"
REAUTH_PASSWORD = "/accounts/reauthenticate/"
REAUTH_CODE = "/accounts/2fa/reauthenticate/"
# A page behind @require_reauth.
SENSITIVE = "/accounts/2fa/recovery-codes/generate/"
COOKIE = settings.SESSION_COOKIE_NAME


def session_id(client: Client) -> str:
    return client.cookies[COOKIE].value


def planted_copy(victim: Client) -> Client:
    """The attacker's browser, holding the victim's current session id."""
    attacker = Client()
    attacker.cookies[COOKIE] = session_id(victim)
    return attacker


def anonymous_session(client: Client) -> str:
    # Any visitor gets a session here: the page keeps a passkey challenge in it.
    assert client.get(PASSKEY_LOGIN).status_code == 200
    return session_id(client)


def is_logged_in(client: Client) -> bool:
    return client.get("/accounts/2fa/").status_code == 200


@pytest.fixture
def alice_with_totp(alice: User, clock: Clock) -> User:
    totp_on(alice, clock)
    return alice


def test_a_planted_session_id_does_not_reach_the_second_step(alice_with_totp):
    victim = Client()
    planted = anonymous_session(victim)
    attacker = planted_copy(victim)
    response = victim.post(LOGIN, {"login": "alice", "password": PASSWORD})
    assert response["Location"] == SECOND_STEP
    assert session_id(victim) != planted
    # The old id holds no half-finished login: the second step sends it to the password.
    page = attacker.get(SECOND_STEP)
    assert page.status_code == 302 and page["Location"] == LOGIN
    assert attacker.post(SECOND_STEP, {"method": "totp", "code": "000000"}).status_code == 302
    # The victim's own browser still goes on.
    assert victim.get(SECOND_STEP).status_code == 200


def test_a_planted_session_id_is_not_signed_in_after_the_second_factor(alice_with_totp, clock):
    victim = Client()
    anonymous_session(victim)
    victim.post(LOGIN, {"login": "alice", "password": PASSWORD})
    # Planted between the steps (the id the second step was served under).
    attacker = planted_copy(victim)
    half_logged_in = session_id(victim)
    assert victim.post(SECOND_STEP, {"method": "totp", "code": clock.code()}).status_code == 302
    assert session_id(victim) != half_logged_in
    assert is_logged_in(victim)
    assert not is_logged_in(attacker)


def test_a_planted_session_id_is_not_signed_in_after_a_password_only_login(alice):
    victim = Client()
    planted = anonymous_session(victim)
    attacker = planted_copy(victim)
    assert victim.post(LOGIN, {"login": "alice", "password": PASSWORD}).status_code == 302
    assert session_id(victim) != planted
    assert is_logged_in(victim)
    assert not is_logged_in(attacker)


def test_reauthenticating_with_the_password_changes_the_session_id(alice_with_totp, clock):
    victim = Client()
    victim.post(LOGIN, {"login": "alice", "password": PASSWORD})
    victim.post(SECOND_STEP, {"method": "totp", "code": clock.code()})
    age_password_entry(victim)
    # An id copied before the password was typed again (it could be signed in, but not
    # freshly re-authenticated) must not share the fresh proof.
    attacker = planted_copy(victim)
    before = session_id(victim)
    response = victim.post(f"{REAUTH_PASSWORD}?next={SENSITIVE}", {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == SENSITIVE
    assert session_id(victim) != before
    assert victim.get(SENSITIVE).status_code == 200
    assert not is_logged_in(attacker)
    assert attacker.get(SENSITIVE).status_code == 302


def test_reauthenticating_with_a_code_changes_the_session_id(alice_with_totp, clock):
    victim = Client()
    victim.post(LOGIN, {"login": "alice", "password": PASSWORD})
    victim.post(SECOND_STEP, {"method": "totp", "code": clock.code()})
    age_password_entry(victim)
    clock.step(2)
    attacker = planted_copy(victim)
    before = session_id(victim)
    response = victim.post(f"{REAUTH_CODE}?next={SENSITIVE}", {"code": clock.code()})
    assert response.status_code == 302 and response["Location"] == SENSITIVE
    assert session_id(victim) != before
    assert victim.get(SENSITIVE).status_code == 200
    assert not is_logged_in(attacker)
