"""Passwords: reset by mail, change only with the old one."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from warden.accounts.tests.conftest import PASSWORD, link_in_last_mail, log_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 42"


def test_password_reset_mails_a_link_that_sets_a_new_password(alice):
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["alice@example.org"]
    link = link_in_last_mail("/accounts/password/reset/key/")

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]  # the key moves into the session
    response = client.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert alice.password.startswith("argon2")
    log_in(Client(), "alice", NEW_PASSWORD)


def test_a_reset_link_works_only_once(alice):
    client = Client()
    client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    link = link_in_last_mail("/accounts/password/reset/key/")
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = Client().get(link, follow=True)
    assert "Reset link not valid" in again.content.decode()


def test_a_reset_for_an_unknown_address_looks_the_same_and_mails_no_link(alice):
    # Enumeration prevention: the page cannot tell a stranger whether the address exists.
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert all("/accounts/password/reset/key/" not in str(m.body) for m in mail.outbox)


def test_changing_the_password_requires_the_old_one(alice, alice_client):
    response = alice_client.post("/accounts/password/change/", {
        "oldpassword": "not the password", "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD})
    assert response.status_code == 200
    assert "Please type your current password." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_changing_the_password_with_the_old_one_works(alice, alice_client):
    response = alice_client.post("/accounts/password/change/", {
        "oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_password_change_page_needs_a_login():
    response = Client().get("/accounts/password/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
