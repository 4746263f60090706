"""New usernames are ASCII and no look-alike of an existing one, wherever they are set:
sign-up, `warden user create` and the admin (creation and rename).

Personas: alice (the user being imitated), staff (a superuser with a second factor)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from warden.accounts.models import User
from warden.accounts.tests.conftest import PASSWORD, log_in, user_with_verified_email
from warden.accounts.usernames import username_check

pytestmark = pytest.mark.django_db

# Each reads as "alice" in a maintainer list or the audit trail; with the message that
# refuses it at sign-up.
REFUSALS = {
    "\u0430lice": "Letters of other alphabets",  # Cyrillic a
    "al\u0456ce": "Letters of other alphabets",  # Cyrillic i
    "\uff41lice": "Letters of other alphabets",  # fullwidth a
    "a1ice": "too easy to mistake",
    "aIice": "too easy to mistake",
    "alice_": "start and end with a letter or digit",
    "al_ice": "too easy to mistake",
    "al.ice": "too easy to mistake",
    "Alice": "already exists",  # allauth's own check, before ours
}
ATTACKS = list(REFUSALS)
NON_ASCII = ["\u0430lice", "al\u0456ce", "\uff41lice"]
HONEST = ["carol", "alicia", "alice2", "bob.smith", "numba", "J_Doe-42"]


def sign_up(username: str) -> str:
    response = Client().post("/accounts/signup/", {
        "email": "someone@example.org", "username": username,
        "password1": PASSWORD, "password2": PASSWORD})
    return response.content.decode() if response.status_code == 200 else ""


@pytest.mark.parametrize(("username", "message"), REFUSALS.items())
def test_sign_up_refuses_a_look_alike_of_an_existing_username(alice: User, username: str,
                                                               message: str) -> None:
    page = sign_up(username)

    assert message in page
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


@pytest.mark.parametrize("username", [*NON_ASCII, "j\u00fcrgen", "\u212aelvin"])
def test_sign_up_refuses_letters_of_other_alphabets_with_a_clear_message(
        db: None, username: str) -> None:
    page = sign_up(username)

    assert "Letters of other alphabets are not allowed" in page
    assert not User.objects.exists()


@pytest.mark.parametrize("username", HONEST)
def test_sign_up_accepts_an_honest_name_beside_an_existing_one(alice: User,
                                                               username: str) -> None:
    assert sign_up(username) == ""  # redirected to the address confirmation
    assert User.objects.filter(username=username).exists()


def test_the_message_is_translated(alice: User) -> None:
    try:
        response = Client().post("/accounts/signup/", {
            "email": "someone@example.org", "username": "a1ice", "password1": PASSWORD,
            "password2": PASSWORD}, HTTP_ACCEPT_LANGUAGE="de")
    finally:
        # The request leaves its language active in the thread.
        translation.activate(settings.LANGUAGE_CODE)
    assert "zu leicht mit einem bestehenden zu verwechseln" in response.content.decode()


@pytest.mark.parametrize("username", ATTACKS)
def test_user_create_refuses_a_look_alike_of_an_existing_username(alice: User,
                                                                   username: str) -> None:
    with pytest.raises(CommandError):
        call_command("user", "create", username, "--email", "x@example.org", "--no-password")
    assert User.objects.count() == 1


def test_user_create_explains_the_ascii_rule(db: None) -> None:
    with pytest.raises(CommandError, match="Letters of other alphabets"):
        call_command("user", "create", "\u0430lice", "--email", "x@example.org",
                     "--no-password")


@pytest.mark.parametrize("username", HONEST)
def test_user_create_accepts_an_honest_name(alice: User, username: str) -> None:
    call_command("user", "create", username, "--email", "x@example.org", "--no-password")
    assert User.objects.filter(username=username).exists()


@pytest.fixture
def staff_client(db: None, with_totp: Callable[[User], str]) -> Client:
    staff = User.objects.create_superuser(username="staff", email="staff@example.org",
                                          password=PASSWORD)
    with_totp(staff)  # the admin requires it of staff
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.parametrize("username", ["a1ice", "\u0430lice"])
def test_staff_cannot_create_a_look_alike_in_the_admin(staff_client: Client, alice: User,
                                                       username: str) -> None:
    response = staff_client.post(reverse("admin:accounts_user_add"), {
        "username": username, "usable_password": "false"})

    assert response.status_code == 200
    assert not User.objects.filter(username=username).exists()


def _change(client: Client, user: User, username: str) -> int:
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), {
        "username": username, "email": user.email, "is_active": "on"})
    return response.status_code


def test_staff_cannot_rename_a_user_to_a_look_alike_in_the_admin(staff_client: Client,
                                                                  alice: User) -> None:
    bob = User.objects.create_user(username="bob", email="bob@example.org")

    assert _change(staff_client, bob, "aIice") == 200
    bob.refresh_from_db()
    assert bob.username == "bob"


def test_staff_can_rename_a_user_to_an_honest_name(staff_client: Client, alice: User) -> None:
    bob = User.objects.create_user(username="bob", email="bob@example.org")

    assert _change(staff_client, bob, "robert") == 302
    bob.refresh_from_db()
    assert bob.username == "robert"


def test_a_username_from_before_the_rule_keeps_working(staff_client: Client) -> None:
    # Created before ASCII-only: it still logs in, and staff can edit the account.
    jurgen = user_with_verified_email("j\u00fcrgen", "jurgen@example.org")
    log_in(Client(), "j\u00fcrgen")

    assert _change(staff_client, jurgen, "j\u00fcrgen") == 302


def test_a_user_renamed_to_their_own_name_in_another_case_is_not_their_own_look_alike(
        alice: User) -> None:
    username_check(username="ALICE", exclude_pk=alice.pk)
    with pytest.raises(ValidationError):
        username_check(username="ALICE")
