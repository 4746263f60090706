"""Every two-factor page is one of ours: in the site layout, one h1, every field labelled,
no id used twice (two code fields share a page at the second step), no inline script."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from warden.accounts.models import User
from warden.accounts.tests.conftest import PASSWORD, log_in
from warden.accounts.tests.test_pages import Page, check_layout
from warden.accounts.twofactor.tests.conftest import Clock, add_key, setup_secret, totp_on
from warden.accounts.twofactor.tests.softkey import SoftKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(alice: User, clock: Clock) -> Client:
    """alice logged in, with an app and a key (so every page has something to show)."""
    totp_on(alice, clock)
    client = Client()
    client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"method": "totp", "code": clock.code()})
    add_key(client, SoftKey())
    return client


def check_page(response: Any) -> Page:
    page = check_layout(response)
    html = response.content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert "<script>" not in html and "onclick" not in html
    return page


def key_id(user: User) -> int:
    return Authenticator.objects.get(user=user, type="webauthn").pk


@pytest.mark.parametrize("url", [
    "/accounts/2fa/", "/accounts/2fa/?reason=required&next=/manage/",
    "/accounts/2fa/totp/deactivate/", "/accounts/2fa/recovery-codes/",
    "/accounts/2fa/recovery-codes/generate/", "/accounts/2fa/keys/",
    "/accounts/2fa/keys/add/", "/accounts/2fa/reauthenticate/",
    "/accounts/2fa/reauthenticate/key/", "/accounts/reauthenticate/",
])
def test_each_page_of_a_user_with_factors_is_in_our_layout(alice_client, url):
    check_page(alice_client.get(url))


@pytest.mark.parametrize("action", ["edit", "remove"])
def test_the_key_pages_are_in_our_layout(alice, alice_client, action):
    check_page(alice_client.get(f"/accounts/2fa/keys/{key_id(alice)}/{action}/"))


def test_the_set_up_page_is_in_our_layout(alice):
    client = Client()
    log_in(client, "alice")
    page = check_page(client.get("/accounts/2fa/totp/activate/"))
    assert page.autocomplete("code") == "one-time-code"


def test_the_fresh_recovery_codes_page_is_in_our_layout(alice, clock):
    client = Client()
    log_in(client, "alice")
    client.get("/accounts/2fa/totp/activate/")
    client.post("/accounts/2fa/totp/activate/", {"code": clock.code(setup_secret(client))})
    page = check_page(client.get("/accounts/2fa/recovery-codes/"))
    assert page.autocomplete("code") == "off"


def test_the_second_step_with_every_method_is_in_our_layout(alice, alice_client):
    client = Client()
    client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    html = check_page(client.get("/accounts/2fa/authenticate/")).tags
    fields = {a["id"]: a for t, a in html if t == "input" and a.get("name") == "code"}
    assert fields["totp_code"]["autocomplete"] == "one-time-code"
    assert fields["totp_code"]["inputmode"] == "numeric"
    assert fields["recovery_code"]["autocomplete"] == "off"


def test_the_passkey_page_is_in_our_layout(db):
    check_page(Client().get("/accounts/2fa/passkey-login/"))
