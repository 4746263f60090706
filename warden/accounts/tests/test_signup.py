"""Sign-up: a verification mail, a link that verifies and logs in, and a switch to close it."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from warden.accounts.models import User
from warden.accounts.tests.conftest import PASSWORD, link_in_last_mail

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "carol@example.org", "username": "carol",
          "password1": PASSWORD, "password2": PASSWORD}


def test_sign_up_sends_a_verification_mail_and_does_not_log_in():
    client = Client()
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["carol@example.org"]
    assert "/accounts/confirm-email/" in str(mail.outbox[0].body)
    assert not EmailAddress.objects.get(email="carol@example.org").verified
    assert "_auth_user_id" not in client.session


def test_the_verification_link_verifies_the_address_and_logs_in():
    client = Client()
    client.post("/accounts/signup/", SIGNUP)
    link = link_in_last_mail("/accounts/confirm-email/")

    page = client.get(link)
    assert page.status_code == 200
    assert "carol@example.org" in page.content.decode()
    assert not EmailAddress.objects.get(email="carol@example.org").verified  # GET never confirms

    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="carol@example.org").verified
    assert client.get("/accounts/email/").status_code == 200  # logged in
    assert int(client.session["_auth_user_id"]) == User.objects.get(username="carol").pk


def test_a_forged_verification_key_verifies_nothing():
    client = Client()
    client.post("/accounts/signup/", SIGNUP)
    response = client.post("/accounts/confirm-email/not-a-real-key/")
    assert response.status_code == 404
    assert not EmailAddress.objects.get(email="carol@example.org").verified


def test_passwords_are_stored_with_argon2():
    Client().post("/accounts/signup/", SIGNUP)
    assert User.objects.get(username="carol").password.startswith("argon2")


def test_django_password_validators_refuse_a_short_password():
    response = Client().post("/accounts/signup/", {**SIGNUP, "password1": "short",
                                                   "password2": "short"})
    assert response.status_code == 200
    assert "at least 10 characters" in response.content.decode()
    assert not User.objects.filter(username="carol").exists()


def test_closed_sign_up_shows_the_closed_page_and_creates_nothing(settings):
    settings.WARDEN_SIGNUP_OPEN = False
    client = Client()
    page = client.get("/accounts/signup/")
    assert "Registration is closed" in page.content.decode()

    client.post("/accounts/signup/", SIGNUP)
    assert not User.objects.filter(username="carol").exists()
    assert not EmailAddress.objects.exists()
    assert mail.outbox == []


def test_closed_sign_up_hides_the_register_link(settings):
    settings.WARDEN_SIGNUP_OPEN = False
    page = Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/signup/"' not in page


def test_sign_up_without_a_csrf_token_is_refused():
    response = Client(enforce_csrf_checks=True).post("/accounts/signup/", SIGNUP)
    assert response.status_code == 403
    assert not User.objects.filter(username="carol").exists()
