"""Email addresses: add (verified by mail), remove, make primary; all re-auth protected."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from warden.accounts.tests.conftest import age_password_entry, link_in_last_mail, log_in

pytestmark = pytest.mark.django_db


def test_adding_an_address_stores_it_unverified_and_mails_a_link(alice, alice_client):
    response = alice_client.post("/accounts/email/",
                                 {"action_add": "", "email": "alice@work.example"})
    assert response.status_code == 302
    address = EmailAddress.objects.get(email="alice@work.example")
    assert address.user == alice and not address.verified and not address.primary
    assert mail.outbox[-1].to == ["alice@work.example"]

    link = link_in_last_mail("/accounts/confirm-email/")
    alice_client.post(link)
    address.refresh_from_db()
    assert address.verified


def test_removing_an_address_deletes_it(alice, alice_client):
    EmailAddress.objects.create(user=alice, email="old@example.org", verified=True)
    alice_client.post("/accounts/email/", {"action_remove": "", "email": "old@example.org"})
    assert not EmailAddress.objects.filter(email="old@example.org").exists()


def test_the_primary_address_cannot_be_removed(alice, alice_client):
    alice_client.post("/accounts/email/", {"action_remove": "", "email": "alice@example.org"})
    assert EmailAddress.objects.filter(email="alice@example.org", primary=True).exists()


def test_a_verified_address_can_be_made_primary(alice, alice_client):
    EmailAddress.objects.create(user=alice, email="new@example.org", verified=True)
    alice_client.post("/accounts/email/", {"action_primary": "", "email": "new@example.org"})
    assert EmailAddress.objects.get(email="new@example.org").primary
    alice.refresh_from_db()
    assert alice.email == "new@example.org"


def test_nobody_can_remove_another_users_address(alice, mallory):
    client = Client()
    log_in(client, "mallory")
    EmailAddress.objects.create(user=alice, email="second@example.org", verified=True)
    client.post("/accounts/email/", {"action_remove": "", "email": "second@example.org"})
    assert EmailAddress.objects.filter(email="second@example.org", user=alice).exists()


def test_adding_an_address_after_the_reauth_window_asks_for_the_password(alice, alice_client):
    age_password_entry(alice_client)
    response = alice_client.post("/accounts/email/",
                                 {"action_add": "", "email": "alice@work.example"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(email="alice@work.example").exists()


def test_removing_an_address_after_the_reauth_window_asks_for_the_password(alice, alice_client):
    EmailAddress.objects.create(user=alice, email="old@example.org", verified=True)
    age_password_entry(alice_client)
    response = alice_client.post("/accounts/email/",
                                 {"action_remove": "", "email": "old@example.org"})
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert EmailAddress.objects.filter(email="old@example.org").exists()
