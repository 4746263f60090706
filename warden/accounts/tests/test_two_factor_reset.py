"""Account recovery by staff (issue 4, part 8): someone lost every second factor; staff
verify who they are, then remove all their factors and recovery codes, from the admin
(asking first, with a required reason) or with `warden user reset-2fa`. The user is told by
mail and the reset is audited as `staff:two_factor:reset`.

Personas (see conftest): alice has a password, a verified address and TOTP here; mallory is
a stranger; staff is a superuser with a second factor of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from warden.accounts.models import User
from warden.accounts.tests.conftest import Delivered
from warden.audit.models import Event
from warden.audit.vocabulary import Tag

USERS = reverse("admin:accounts_user_changelist")
REASON = "video call with alice, passport checked against her HR record"


@pytest.fixture
def alice(alice: User, with_totp: Callable[[User], str]) -> User:
    with_totp(alice)
    return alice


@pytest.fixture
def staff(db: None, with_totp: Callable[[User], str]) -> User:
    user = User.objects.create_superuser(username="staff", email="staff@example.org")
    with_totp(user)
    return user


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def reset_action(client: Client, *users: User, **extra: str) -> Any:
    return client.post(USERS, {"action": "reset_two_factor",
                               "_selected_action": [u.pk for u in users], **extra})


def factors_of(user: User) -> list[str]:
    return sorted(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))


def resets() -> list[Event]:
    return list(Event.objects.filter(tag=Tag.STAFF_TWO_FACTOR_RESET))


# --- the admin action -----------------------------------------------------------------------


def test_the_admin_action_asks_first_and_shows_what_will_be_removed(
        staff_client: Client, alice: User) -> None:
    response = reset_action(staff_client, alice)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Reset two-factor authentication of alice?" in page
    assert "An authenticator app" in page and "The recovery codes" in page
    assert 'name="reason"' in page
    assert factors_of(alice) == ["recovery_codes", "totp"]
    assert not resets()


def test_the_admin_action_refuses_without_a_reason_and_removes_nothing(
        staff_client: Client, alice: User) -> None:
    for reason in ("", "   "):
        response = reset_action(staff_client, alice, post="yes", reason=reason)
        assert response.status_code == 400
        assert 'aria-invalid="true"' in response.content.decode()
    assert factors_of(alice) == ["recovery_codes", "totp"]
    assert not resets()


def test_staff_reset_removes_every_factor_mails_the_user_and_is_audited(
        staff_client: Client, staff: User, alice: User, notices_delivered: Delivered) -> None:
    mail.outbox.clear()
    with notices_delivered():
        response = reset_action(staff_client, alice, post="yes", reason=REASON)
    assert response.status_code == 302

    assert factors_of(alice) == []
    [event] = resets()
    assert (event.actor_id, event.user_id) == (staff.pk, alice.pk)
    assert event.details == {"reason": REASON}
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    messages = [str(m) for m in staff_client.get(USERS).context["messages"]]
    assert any("Removed every second factor" in m and "alice" in m for m in messages)


def test_after_a_reset_the_user_must_set_up_a_new_factor_before_managing_again(
        staff_client: Client, alice: User) -> None:
    reset_action(staff_client, alice, post="yes", reason=REASON)
    client = Client()
    client.force_login(alice)
    response = client.get(reverse("manage-projects"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_index"))


def test_the_admin_action_resets_one_user_at_a_time(staff_client: Client, alice: User,
                                                   mallory: User,
                                                   with_totp: Callable[[User], str]) -> None:
    with_totp(mallory)
    response = reset_action(staff_client, alice, mallory, post="yes", reason=REASON)
    assert response.status_code == 302
    assert factors_of(alice) == factors_of(mallory) == ["recovery_codes", "totp"]
    assert not resets()


def test_staff_cannot_reset_their_own_factors_from_the_admin(staff_client: Client,
                                                             staff: User) -> None:
    reset_action(staff_client, staff, post="yes", reason=REASON)
    assert factors_of(staff) == ["recovery_codes", "totp"]
    assert not resets()


def test_resetting_a_user_without_a_second_factor_says_so_and_records_nothing(
        staff_client: Client, mallory: User) -> None:
    response = reset_action(staff_client, mallory, post="yes", reason=REASON)
    assert response.status_code == 302
    messages = [str(m) for m in staff_client.get(USERS).context["messages"]]
    assert any("mallory has no second factor" in m for m in messages)
    assert not resets()


@pytest.mark.parametrize("who", ["anonymous", "a user with 2FA"])
def test_non_staff_cannot_reach_the_reset(who: str, alice: User, mallory: User,
                                          with_totp: Callable[[User], str]) -> None:
    client = Client()
    if who != "anonymous":
        with_totp(mallory)
        client.force_login(mallory)
    response = reset_action(client, alice, post="yes", reason=REASON)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/login/" in response["Location"]
    assert factors_of(alice) == ["recovery_codes", "totp"]
    assert not resets()


# --- warden user reset-2fa ------------------------------------------------------------------


def test_warden_user_reset_2fa_removes_every_factor_mails_the_user_and_is_audited(
        alice: User, capsys: Any, notices_delivered: Delivered) -> None:
    mail.outbox.clear()
    with notices_delivered():
        call_command("user", "reset-2fa", "alice", "--reason", REASON)

    assert factors_of(alice) == []
    [event] = resets()
    # No actor: an operator at the command line, and the event names the command.
    assert (event.actor_id, event.user_id) == (None, alice.pk)
    assert event.details == {"reason": REASON, "via": "warden user reset-2fa"}
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    assert "Removed every second factor of alice" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (("reset-2fa", "alice"), "--reason"),
    (("reset-2fa", "alice", "--reason", "  "), "reason is required"),
    (("reset-2fa", "nobody", "--reason", REASON), "No user named 'nobody'"),
    (("reset-2fa", "mallory", "--reason", REASON), "mallory has no second factor"),
])
def test_warden_user_reset_2fa_refuses_with_a_clear_message(
        args: tuple[str, ...], message: str, alice: User, mallory: User) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("user", *args)
    assert factors_of(alice) == ["recovery_codes", "totp"]
    assert not resets()
