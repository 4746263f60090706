"""Security keys and passkeys through the pages, with the software authenticator playing the
browser and the key."""

from __future__ import annotations

import json

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from warden.accounts.models import User
from warden.accounts.tests.conftest import age_password_entry, log_in, user_with_verified_email
from warden.accounts.twofactor import services
from warden.accounts.twofactor.tests.conftest import Clock, add_key, totp_on
from warden.accounts.twofactor.tests.softkey import SoftKey
from warden.audit.models import Event
from warden.audit.services import record_event as audit_record_event
from warden.audit.vocabulary import Tag

pytestmark = pytest.mark.django_db

KEYS = "/accounts/2fa/keys/"
ADD = "/accounts/2fa/keys/add/"


@pytest.fixture
def mallory_client(db: None) -> Client:
    user_with_verified_email("mallory", "mallory@example.org")
    client = Client()
    log_in(client, "mallory")
    return client


def only_key(user: User) -> Authenticator:
    return Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)


def test_the_add_page_has_a_name_a_passkey_box_and_a_button(alice_client):
    html = alice_client.get(ADD).content.decode()
    assert '<label for="key_name">Name' in html
    assert '<label for="key_passkey">Use it as a passkey to sign in without a password' in html
    assert 'data-webauthn="register"' in html and 'id="webauthn-add"' in html
    assert 'aria-live="polite"' in html
    assert "<script>" not in html  # the CSP allows no inline script


def test_the_options_for_a_passkey_ask_for_a_discoverable_verified_credential(alice_client):
    options = alice_client.get(ADD + "?passkey=1", HTTP_ACCEPT="application/json").json()
    selection = options["creation_options"]["publicKey"]["authenticatorSelection"]
    assert selection["residentKey"] == "required"
    assert selection["userVerification"] == "required"


def test_a_first_key_is_added_and_its_recovery_codes_follow(alice, alice_client):
    response = add_key(alice_client, SoftKey())
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    assert only_key(alice).data["name"] == "Blue key"
    html = alice_client.get(KEYS).content.decode()
    assert "Blue key" in html and "Security key" in html


def test_a_second_factor_added_later_goes_back_to_the_list(alice, alice_client, clock: Clock):
    totp_on(alice, clock)
    response = add_key(alice_client, SoftKey())
    assert response["Location"] == KEYS


def test_a_passkey_is_marked_as_one_in_the_list(alice, alice_client):
    add_key(alice_client, SoftKey(resident=True), name="Phone", passkey=True)
    assert only_key(alice).data["passkey"] is True
    html = alice_client.get(KEYS).content.decode()
    assert "Passkey" in html and "signs in without a password" in html


def test_a_key_is_added_with_its_event_and_codes_or_not_at_all(alice, alice_client,
                                                              monkeypatch):
    # The key, its recovery codes and its audit event are one transaction: a failure
    # after the key was written (here, recording its event) must take the key back too,
    # or the account would hold a factor its history never mentions.
    def record_event(*, tag, **kwargs):
        if tag == Tag.ACCOUNT_TWO_FACTOR_ADDED:
            raise RuntimeError("the audit trail is unavailable")
        return audit_record_event(tag=tag, **kwargs)

    monkeypatch.setattr(services, "record_event", record_event)
    with pytest.raises(RuntimeError, match="audit trail"):
        add_key(alice_client, SoftKey())
    assert not Authenticator.objects.filter(user=alice).exists()
    assert not Event.objects.filter(tag=Tag.ACCOUNT_TWO_FACTOR_ADDED,
                                    user_id=alice.pk).exists()

    monkeypatch.undo()
    add_key(alice_client, SoftKey())
    assert sorted(Authenticator.objects.filter(user=alice).values_list("type", flat=True)) \
        == ["recovery_codes", "webauthn"]
    [added] = Event.objects.filter(tag=Tag.ACCOUNT_TWO_FACTOR_ADDED, user_id=alice.pk)
    assert added.details == {"method": "webauthn", "name": "Blue key"}


def test_a_key_whose_answer_does_not_check_out_is_not_added(alice, alice_client):
    options = alice_client.get(ADD, HTTP_ACCEPT="application/json").json()
    credential = SoftKey(origin="https://phish.example").register(options["creation_options"])
    response = alice_client.post(ADD, {"name": "Evil", "credential": json.dumps(credential)})
    assert response.status_code == 400
    assert "could not be checked, so it was not added" in response.content.decode()
    assert not Authenticator.objects.filter(user=alice).exists()


def test_a_name_already_in_use_is_explained_beside_the_name(alice, alice_client, clock):
    totp_on(alice, clock)
    add_key(alice_client, SoftKey(), name="Blue key")
    response = add_key(alice_client, SoftKey(), name="blue KEY")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="key_name_error"' in html and "You already have a key with that name" in html


def test_an_empty_name_gets_a_numbered_one(alice, alice_client):
    add_key(alice_client, SoftKey(), name="")
    assert only_key(alice).data["name"] == "Security key 1"


def test_adding_a_key_needs_the_password_again_after_a_while(alice_client):
    age_password_entry(alice_client)
    assert alice_client.get(ADD)["Location"].startswith("/accounts/reauthenticate/")


def test_a_key_is_renamed(alice, alice_client):
    add_key(alice_client, SoftKey())
    key = only_key(alice)
    page = alice_client.get(f"{KEYS}{key.pk}/edit/")
    assert "Rename “Blue key”" in page.content.decode()
    response = alice_client.post(f"{KEYS}{key.pk}/edit/", {"name": "Red key"})
    assert response["Location"] == KEYS
    assert only_key(alice).data["name"] == "Red key"


def test_a_key_is_removed_when_another_factor_remains(alice, alice_client, clock):
    totp_on(alice, clock)
    add_key(alice_client, SoftKey())
    key = only_key(alice)
    assert "Remove “Blue key”" in alice_client.get(f"{KEYS}{key.pk}/remove/").content.decode()
    response = alice_client.post(f"{KEYS}{key.pk}/remove/")
    assert response["Location"] == KEYS
    assert not Authenticator.objects.filter(pk=key.pk).exists()


def test_the_last_key_stays_while_the_policy_requires_two_factor(alice, alice_client, settings):
    settings.WARDEN_REQUIRE_2FA = True
    add_key(alice_client, SoftKey())
    key = only_key(alice)
    response = alice_client.post(f"{KEYS}{key.pk}/remove/")
    assert response.status_code == 400
    assert "This is your last second factor" in response.content.decode()
    assert Authenticator.objects.filter(pk=key.pk).exists()


@pytest.mark.parametrize("action", ["edit", "remove"])
def test_another_users_key_id_is_not_found(alice, alice_client, mallory_client, action):
    add_key(alice_client, SoftKey())
    key = only_key(alice)
    url = f"{KEYS}{key.pk}/{action}/"
    assert mallory_client.get(url).status_code == 404
    assert mallory_client.post(url, {"name": "Mine now"}).status_code == 404
    assert only_key(alice).data["name"] == "Blue key"


def test_a_key_id_that_does_not_exist_is_not_found_either(alice_client):
    assert alice_client.get(f"{KEYS}999999/remove/").status_code == 404


def test_removing_a_key_is_refused_without_the_csrf_token(alice, alice_client, clock):
    totp_on(alice, clock)
    add_key(alice_client, SoftKey())
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = alice_client.cookies
    assert strict.post(f"{KEYS}{only_key(alice).pk}/remove/").status_code == 403
    assert Authenticator.objects.filter(user=alice, type="webauthn").exists()
