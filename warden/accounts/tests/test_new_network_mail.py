"""A sign-in from a network the account has never used is mailed to its owner: when, from
which network (coarsely), with which browser, and what to do if it was not them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from warden.accounts.models import KnownNetwork
from warden.accounts.tests.conftest import PASSWORD, link_in_last_mail
from warden.audit.models import Event
from warden.audit.vocabulary import Tag

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def sign_in(address: str, login: str = "alice") -> None:
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=FIREFOX)
    response = client.post("/accounts/login/", {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") is not None


def test_the_first_sign_in_is_remembered_without_a_mail(alice, notices_delivered):
    with notices_delivered():
        sign_in("198.51.100.7")
    assert mail.outbox == []
    assert KnownNetwork.objects.filter(user=alice).count() == 1


def test_a_sign_in_from_a_new_network_mails_the_owner(alice, notices_delivered):
    sign_in("198.51.100.7")
    with notices_delivered():
        sign_in("203.0.113.45", login="alice@example.org")
    [notice] = mail.outbox
    assert notice.to == ["alice@example.org"]
    assert "unfamiliar network" in notice.subject
    body = str(notice.body)
    assert "203.0.113.0/24" in body
    assert "203.0.113.45" not in body  # the network, coarsely, not the address
    assert "Firefox 140" in body
    assert "change it now" in body
    assert link_in_last_mail("/accounts/password/change/") == "/accounts/password/change/"
    assert link_in_last_mail("/account/security-history/") == "/account/security-history/"


def test_a_sign_in_from_a_new_network_is_recorded(alice):
    sign_in("198.51.100.7")
    sign_in("203.0.113.45")
    event = Event.objects.get(tag=Tag.ACCOUNT_LOGIN_NEW_NETWORK)
    assert event.user_id == alice.pk and event.actor_id == alice.pk
    assert event.details["network"] == "203.0.113.0/24"


def test_another_address_in_a_known_network_does_not_mail(alice, notices_delivered):
    sign_in("198.51.100.7")
    with notices_delivered():
        sign_in("198.51.100.200")
        sign_in("198.51.100.7")
    assert mail.outbox == []
    assert not Event.objects.filter(tag=Tag.ACCOUNT_LOGIN_NEW_NETWORK).exists()


def test_an_ipv6_network_is_its_48(alice, notices_delivered):
    sign_in("2001:db8:1:2::7")
    with notices_delivered():
        sign_in("2001:db8:1:ffff::1")
    assert mail.outbox == []
    with notices_delivered():
        sign_in("2001:db8:2::1")
    [notice] = mail.outbox
    assert "2001:db8:2::/48" in str(notice.body)


def test_a_network_is_announced_once(alice, notices_delivered):
    sign_in("198.51.100.7")
    with notices_delivered():
        sign_in("203.0.113.45")
        sign_in("203.0.113.46")
    assert len(mail.outbox) == 1


def test_networks_are_kept_hashed(alice):
    sign_in("198.51.100.7")
    [known] = KnownNetwork.objects.filter(user=alice)
    assert "198.51.100" not in known.network_hash
    assert len(known.network_hash) == 64


def test_the_first_sign_in_after_sign_up_does_not_mail(db, notices_delivered):
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.post("/accounts/signup/", {"email": "carol@example.org", "username": "carol",
                                      "password1": PASSWORD, "password2": PASSWORD})
    link = link_in_last_mail("/accounts/confirm-email/")
    with notices_delivered():
        client.post(link)  # confirming logs in (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION)
    assert client.session.get("_auth_user_id") is not None
    assert mail.outbox == []
