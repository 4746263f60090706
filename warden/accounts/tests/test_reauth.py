"""`@require_reauth`: a password entered within the window, or a detour to enter it again."""

from __future__ import annotations

import pytest
from django.test import Client

from warden.accounts.tests.conftest import PASSWORD, age_password_entry, link_in_last_mail, log_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("warden.accounts.tests.reauth_urls")]


def test_a_sensitive_view_passes_right_after_login(alice_client):
    response = alice_client.get("/sensitive/")
    assert response.status_code == 200
    assert response.content == b"done by alice with GET"


def test_a_sensitive_view_passes_just_inside_the_window(alice_client):
    age_password_entry(alice_client, seconds=290)
    assert alice_client.get("/sensitive/").status_code == 200


def test_after_the_timeout_a_sensitive_view_redirects_to_reauthenticate(alice_client):
    age_password_entry(alice_client, seconds=301)
    response = alice_client.get("/sensitive/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/reauthenticate/?next=%2Fsensitive%2F"


def test_the_timeout_is_the_setting(settings, alice_client):
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 10
    age_password_entry(alice_client, seconds=11)
    assert alice_client.get("/sensitive/").status_code == 302


def test_entering_the_password_again_lets_the_action_through(alice_client):
    age_password_entry(alice_client)
    response = alice_client.post("/accounts/reauthenticate/?next=%2Fsensitive%2F",
                                 {"password": PASSWORD}, follow=True)
    assert response.content == b"done by alice with GET"


def test_a_post_interrupted_by_reauthentication_is_replayed_after_it(alice_client):
    age_password_entry(alice_client)
    detour = alice_client.post("/sensitive/", {"what": "delete"})
    assert detour["Location"].startswith("/accounts/reauthenticate/")
    response = alice_client.post(detour["Location"], {"password": PASSWORD})
    assert response.content == b"done by alice with POST"


def test_a_wrong_password_on_reauthenticate_does_not_let_the_action_through(alice_client):
    age_password_entry(alice_client)
    page = alice_client.post("/accounts/reauthenticate/?next=%2Fsensitive%2F",
                             {"password": "wrong" * 3})
    assert page.status_code == 200
    assert alice_client.get("/sensitive/").status_code == 302


def test_logging_in_by_an_emailed_link_does_not_count_as_entering_the_password(db):
    # Verification (and password reset) links prove access to a mailbox, not the password.
    client = Client()
    client.post("/accounts/signup/", {"email": "carol@example.org", "username": "carol",
                                      "password1": PASSWORD, "password2": PASSWORD})
    client.post(link_in_last_mail("/accounts/confirm-email/"))
    response = client.get("/sensitive/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_an_anonymous_visitor_is_sent_to_log_in():
    response = Client().get("/sensitive/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_another_users_password_entry_does_not_count(alice, mallory):
    # allauth ties its records to the user id; a session that changes hands starts afresh.
    client = Client()
    log_in(client, "alice")
    client.force_login(mallory)
    assert client.get("/sensitive/").status_code == 302
