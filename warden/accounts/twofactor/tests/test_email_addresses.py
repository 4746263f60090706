"""Email addresses and second factors: an unverified address blocks only the first factor,
and an account with a factor can still add addresses (allauth alone would refuse)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from warden.accounts.models import User
from warden.accounts.tests.conftest import web
from warden.accounts.twofactor import services
from warden.accounts.twofactor.errors import UnverifiedEmail
from warden.accounts.twofactor.tests.conftest import SECRET, Clock, add_key, totp_on
from warden.accounts.twofactor.tests.softkey import SoftKey

pytestmark = pytest.mark.django_db


def test_an_account_with_two_factor_can_add_an_address(alice: User, alice_client: Client,
                                                       clock: Clock) -> None:
    totp_on(alice, clock)
    response = alice_client.post("/accounts/email/",
                                 {"action_add": "", "email": "alice@work.example"})
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=alice, email="alice@work.example",
                                       verified=False).exists()


def test_an_unverified_address_blocks_the_first_factor(alice: User, clock: Clock) -> None:
    EmailAddress.objects.create(user=alice, email="maybe@example.org", verified=False)
    with pytest.raises(UnverifiedEmail):
        services.totp_activate(origin=web(alice), user=alice, secret=SECRET, code=clock.code())


def test_an_unverified_address_blocks_a_first_security_key(alice: User, alice_client: Client,
                                                           clock: Clock) -> None:
    EmailAddress.objects.create(user=alice, email="maybe@example.org", verified=False)
    response = add_key(alice_client, SoftKey())
    assert response.status_code == 400
    assert "Verify your email addresses first" in response.content.decode()
    assert not services.recovery_codes_status(alice)


def test_an_address_added_later_does_not_block_a_second_factor(alice: User,
                                                               alice_client: Client,
                                                               clock: Clock) -> None:
    totp_on(alice, clock)
    EmailAddress.objects.create(user=alice, email="new@example.org", verified=False)
    response = add_key(alice_client, SoftKey())
    assert response.status_code == 302, response.content.decode()[:2000]
