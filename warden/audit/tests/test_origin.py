"""What an `Origin` puts into an event: from a request its address (hashed, and its network)
and its user agent (described) and the signed-in person; from a command its name as `via`
and nobody as the actor."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from warden.accounts.models import User
from warden.audit.client import ip_hash
from warden.audit.models import Event
from warden.audit.origin import Interface, Origin
from warden.audit.services import NO_ADDRESS_COMMITMENT, record_event
from warden.audit.vocabulary import Tag

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice", "alice@example.invalid")


def request_as(user: object, *, address: str = ADDRESS, agent: str = FIREFOX) -> object:
    request = RequestFactory().post("/", REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    request.user = user
    return request


def test_an_origin_from_a_request_records_the_hashed_address_and_the_described_agent(
        alice: User) -> None:
    origin = Origin.from_request(request_as(alice))
    assert (origin.interface, origin.actor) == (Interface.WEB, alice)  # the signed-in user

    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=origin)

    assert event.ip_hash == ip_hash(ADDRESS)
    assert re.fullmatch(r"[0-9a-f]{64}", event.ip_hash)
    assert event.ip_prefix == "203.0.113.0/24"
    assert event.ip_commitment != NO_ADDRESS_COMMITMENT
    assert event.user_agent == "Firefox 140"
    assert (event.actor_id, event.actor_username) == (alice.pk, "alice")
    assert (event.user_id, event.chain) == (alice.pk, f"user:{alice.pk}")
    assert event.details == {}  # no `via`: the page says how
    # The address itself is never stored, nor the raw header.
    stored = str(Event.objects.values().get(pk=event.pk))
    assert ADDRESS not in stored and "Gecko/20100101" not in stored


def test_an_anonymous_request_has_no_actor_but_keeps_its_address(alice: User) -> None:
    origin = Origin.from_request(request_as(AnonymousUser(), address="2001:db8:1:2::7"))

    event = record_event(tag=Tag.ACCOUNT_LOGIN_FAILURE, origin=origin, user=alice)

    assert (event.actor_id, event.actor_username) == (None, "")
    assert (event.user_id, event.username) == (alice.pk, "alice")
    assert event.ip_hash == ip_hash("2001:db8:1:2::7")
    assert event.ip_prefix == "2001:db8:1::/48"
    assert event.user_agent == "Firefox 140"


def test_an_explicit_actor_overrides_the_signed_in_user(alice: User) -> None:
    bob = User.objects.create_user("bob", "bob@example.invalid")
    origin = Origin.from_request(request_as(bob), actor=alice, interface=Interface.UPLOAD)

    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=origin)

    assert event.actor_id == alice.pk and event.user_id == alice.pk


def test_a_command_origin_records_its_name_as_via_and_no_actor(alice: User) -> None:
    origin = Origin.command("warden x")
    assert (origin.interface, origin.actor, origin.via) == (Interface.CLI, None, "warden x")

    event = record_event(tag=Tag.ACCOUNT_PASSWORD_CHANGED, origin=origin, user=alice,
                         details={"reason": "rotation"})

    assert event.details == {"reason": "rotation", "via": "warden x"}
    assert (event.actor_id, event.actor_username) == (None, "")
    assert (event.user_id, event.username) == (alice.pk, "alice")
    # No address and no tool: a command has neither.
    assert (event.ip_hash, event.ip_prefix, event.user_agent) == ("", "", "")
    assert event.ip_commitment == NO_ADDRESS_COMMITMENT


def test_a_command_run_for_someone_names_them_as_the_actor(alice: User) -> None:
    event = record_event(tag=Tag.ACCOUNT_PASSWORD_CHANGED,
                         origin=Origin.command("warden x", actor=alice))
    assert event.actor_id == alice.pk
    assert event.details == {"via": "warden x"}


def test_an_explicit_via_in_the_details_is_not_overwritten(alice: User) -> None:
    event = record_event(tag=Tag.ACCOUNT_PASSWORD_CHANGED, origin=Origin.command("warden x"),
                         user=alice, details={"via": "password reset link"})
    assert event.details == {"via": "password reset link"}


def test_the_system_origin_says_which_task_and_nobody_acted(alice: User) -> None:
    event = record_event(tag=Tag.ACCOUNT_PASSWORD_CHANGED, origin=Origin.system("nightly"),
                         user=alice)
    assert (event.actor_id, event.details) == (None, {"via": "nightly"})
