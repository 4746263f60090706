"""Logging in and out: by username or email, never unverified, rate limited, CSRF-checked."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from warden.accounts.models import User
from warden.accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def logged_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def test_alice_logs_in_with_her_username(alice):
    client = Client()
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user_id(client) == alice.pk


def test_alice_logs_in_with_her_email_address(alice):
    client = Client()
    response = client.post("/accounts/login/",
                           {"login": "alice@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user_id(client) == alice.pk


def test_a_wrong_password_is_refused_with_an_error_on_the_page(alice):
    client = Client()
    response = client.post("/accounts/login/", {"login": "alice", "password": "wrong" * 3})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_an_unverified_account_cannot_log_in_and_is_sent_to_verification(db):
    user = User.objects.create_user(username="dave", email="dave@example.org",
                                    password=PASSWORD)
    EmailAddress.objects.create(user=user, email="dave@example.org", verified=False,
                                primary=True)
    client = Client()
    response = client.post("/accounts/login/", {"login": "dave", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert logged_in_user_id(client) is None
    assert mail.outbox[-1].to == ["dave@example.org"]  # a fresh link to verify with


def test_logging_out_ends_the_session(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 200  # asks first
    assert logged_in_user_id(alice_client) is not None
    alice_client.post("/accounts/logout/")
    assert logged_in_user_id(alice_client) is None


def test_login_without_a_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert logged_in_user_id(client) is None


def test_five_failed_logins_lock_the_account_even_against_the_right_password(alice):
    # WARDEN_LOGIN_LIMIT_PER_ACCOUNT: 5 failures per 15 minutes per account.
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"login": "alice", "password": "wrong" * 3})
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_too_many_login_requests_from_one_address_get_429(settings, alice):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    client = Client()
    statuses = [client.post("/accounts/login/", {"login": f"nobody{i}", "password": "x" * 12})
                .status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
