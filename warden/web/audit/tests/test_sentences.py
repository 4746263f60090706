"""Events in words: every tag has a sentence and a label, and the sentence says who (a token
or a person), what, from where and with which tool, with fallbacks for what is missing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone, translation

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.origin import Interface, Origin
from warden.audit.services import audit_ip_erase, record_event
from warden.audit.vocabulary import Tag
from warden.packaging.models import Project
from warden.packaging.services import project_create
from warden.tokens.models import Token
from warden.tokens.services import token_mint, token_revoke
from warden.web.audit.sentences import LABELS, SENTENCES, event_sentence, tag_label

TWINE = "twine/7.0.0 pkginfo/1.12 requests/2.32 CPython/3.11.2"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def request_from(address: str, agent: str, *, actor: User | None = None,
                 token: Token | None = None) -> Origin:
    """What `actor` (with `token`) did in a request from `address` with `agent`."""
    request = RequestFactory().get("/", REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    return Origin.from_request(request, actor=actor, token=token)


def web(actor: User | None = None, **kwargs: str) -> Origin:
    return Origin(interface=Interface.WEB, actor=actor, **kwargs)


@pytest.fixture
def demo(alice: User) -> Project:
    return project_create(name="demo", owner=alice, origin=web(alice))


@pytest.fixture
def ci_token(alice: User) -> Token:
    token, _ = token_mint(user=alice, description="ci", origin=web(alice))
    return token


def event_of_every_tag(alice: User, bob: User, demo: Project, ci_token: Token) -> list[Event]:
    events = []
    for tag in Tag:
        events.append(record_event(
            tag=tag, origin=web(alice), user=bob if tag.subject != "account" else alice,
            project=demo, version="1.0", filename="demo-1.0.tar.gz",
            token=ci_token if tag == Tag.ACCOUNT_TOKEN_USED else None))
    return events


def test_every_tag_has_a_sentence_and_a_label() -> None:
    assert set(SENTENCES) == set(Tag)
    assert set(LABELS) == set(Tag)


def test_every_tag_is_put_into_words_without_leftover_placeholders(
        alice: User, bob: User, demo: Project, ci_token: Token) -> None:
    for event in event_of_every_tag(alice, bob, demo, ci_token):
        sentence = event_sentence(event)
        assert sentence and "%(" not in sentence and event.tag not in sentence, event.tag


def test_every_tag_is_put_into_words_in_german_too(
        alice: User, bob: User, demo: Project, ci_token: Token) -> None:
    with translation.override("de"):
        for event in event_of_every_tag(alice, bob, demo, ci_token):
            assert "%(" not in event_sentence(event), event.tag
            assert tag_label(event.tag)


def test_an_upload_with_a_token_names_the_token_the_file_the_network_and_the_tool(
        ci_token: Token, demo: Project) -> None:
    event = record_event(tag=Tag.PROJECT_FILE_UPLOADED,
                         origin=request_from("203.0.113.7", TWINE, actor=ci_token.user,
                                             token=ci_token),
                         project=demo, version="1.0", filename="demo-1.0.tar.gz")
    assert event_sentence(event) == \
        "Token 'ci' uploaded demo-1.0.tar.gz from 203.0.113.0/24 with twine 7.0.0"


def test_an_upload_without_a_token_names_the_person(alice: User, demo: Project) -> None:
    event = record_event(tag=Tag.PROJECT_FILE_UPLOADED,
                         origin=request_from("203.0.113.7", TWINE, actor=alice),
                         project=demo, version="1.0", filename="demo-1.0.tar.gz")
    assert event_sentence(event) == \
        "alice uploaded demo-1.0.tar.gz from 203.0.113.0/24 with twine 7.0.0"


def test_a_failed_login_names_the_network_and_the_browser(alice: User) -> None:
    event = record_event(tag=Tag.ACCOUNT_LOGIN_FAILURE, user=alice,
                         origin=request_from("198.51.100.23", FIREFOX))
    assert event_sentence(event) == "Failed login from 198.51.100.0/24 with Firefox 140"


def test_an_ipv6_address_is_shown_as_its_48_network(alice: User) -> None:
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS,
                         origin=request_from("2001:db8:1:2::7", FIREFOX, actor=alice))
    assert event_sentence(event) == "alice logged in from 2001:db8:1::/48 with Firefox 140"


def test_an_address_erased_after_retention_is_said_to_be_no_longer_kept(alice: User) -> None:
    event = record_event(tag=Tag.ACCOUNT_LOGIN_FAILURE, user=alice,
                         origin=request_from("198.51.100.23", FIREFOX))
    audit_ip_erase(older_than=timezone.now() + timedelta(seconds=1))
    event = Event.objects.get(pk=event.pk)
    assert event_sentence(event) == "Failed login from an address no longer kept with Firefox 140"


def test_an_event_without_a_request_says_nothing_of_network_or_tool(alice: User) -> None:
    event = record_event(tag=Tag.ACCOUNT_CREATED, origin=Origin(interface=Interface.CLI),
                         user=alice)
    assert event_sentence(event) == "Account alice was created"


def test_a_missing_user_agent_leaves_out_the_tool(alice: User) -> None:
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS,
                         origin=request_from("203.0.113.9", "", actor=alice))
    assert event_sentence(event) == "alice logged in from 203.0.113.0/24"


def test_a_token_use_names_the_file_it_uploaded(ci_token: Token) -> None:
    origin = Origin(interface=Interface.UPLOAD, actor=ci_token.user, token=ci_token,
                    user_agent="uv/0.8.0")
    event = record_event(tag=Tag.ACCOUNT_TOKEN_USED, origin=origin, project_name="demo",
                         filename="demo-1.0-py3-none-any.whl")
    assert event_sentence(event) == \
        "Token 'ci' was used to upload demo-1.0-py3-none-any.whl with uv 0.8.0"


def test_token_lifecycle_names_the_person_and_the_token(alice: User, ci_token: Token) -> None:
    created = record_event(tag=Tag.ACCOUNT_TOKEN_CREATED, origin=web(alice), token=ci_token)
    assert event_sentence(created) == "alice created the API token 'ci'"


def test_joining_a_project_oneself_reads_differently_from_being_added(
        alice: User, bob: User, demo: Project) -> None:
    joined = record_event(tag=Tag.PROJECT_ROLE_ADDED, origin=web(bob), user=bob, project=demo,
                          details={"role": "maintainer"})
    added = record_event(tag=Tag.PROJECT_ROLE_ADDED, origin=web(alice), user=bob, project=demo,
                         details={"role": "owner"})
    assert event_sentence(joined) == "bob joined as maintainer"
    assert event_sentence(added) == "alice added bob as owner"


def test_a_yank_gives_its_reason(alice: User, demo: Project) -> None:
    event = record_event(tag=Tag.PROJECT_RELEASE_YANKED, origin=web(alice), project=demo,
                         version="1.0", details={"reason": "broken build"})
    assert event_sentence(event) == "alice yanked release 1.0: broken build"


def test_a_two_factor_method_is_named_in_words(alice: User) -> None:
    event = record_event(tag=Tag.ACCOUNT_TWO_FACTOR_ADDED, origin=web(alice),
                         details={"method": "webauthn"})
    assert event_sentence(event) == "alice added a security key"


def test_a_tool_name_that_looks_like_markup_is_not_interpreted_here(alice: User) -> None:
    # Escaping is the template's job; the sentence keeps the text as recorded.
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS,
                         origin=web(alice, user_agent="<b>x</b>"))
    assert event_sentence(event) == "alice logged in with <b>x</b>"


def test_an_unknown_tag_label_falls_back_to_the_tag() -> None:
    assert tag_label("account:gone:away") == "account:gone:away"


def test_a_role_change_names_the_new_role(alice: User, bob: User, demo: Project) -> None:
    event = record_event(tag=Tag.PROJECT_ROLE_CHANGED, origin=web(alice), user=bob, project=demo,
                         details={"from": "maintainer", "to": "owner"})
    assert event_sentence(event) == "alice made bob owner"


def test_a_sentence_reads_in_the_users_language(ci_token: Token, demo: Project) -> None:
    event = record_event(tag=Tag.PROJECT_FILE_UPLOADED,
                         origin=request_from("203.0.113.7", TWINE, actor=ci_token.user,
                                             token=ci_token),
                         project=demo, version="1.0", filename="demo-1.0.tar.gz")
    with translation.override("de"):
        assert event_sentence(event) == ("Token „ci“ hat demo-1.0.tar.gz hochgeladen "
                                         "(von 203.0.113.0/24, mit twine 7.0.0)")


def test_an_operators_command_is_named_not_blamed_on_the_tokens_owner(
        db: None, with_totp: Callable[[User], str]) -> None:
    owner = User.objects.create_user("olive", "olive@example.invalid")
    with_totp(owner)  # a token needs a second factor behind it
    token, _ = token_mint(user=owner, description="ci",
                          origin=Origin.command("warden token create"))
    token_revoke(token=token, origin=Origin.command("warden token revoke"))
    event = Event.objects.filter(tag="account:token:revoked").get()
    assert event.actor_id is None
    sentence = str(event_sentence(event))
    assert sentence.startswith("An operator (warden token revoke)")
    assert "olive" not in sentence.split(" revoked")[0]


def test_a_checks_state_and_a_reviewers_verdict_are_said_in_the_readers_language(
        alice: User) -> None:
    staff = web(alice)
    changed = record_event(tag=Tag.STAFF_CHECK_STATE_CHANGED, origin=staff,
                           details={"check": "pyast", "state": "evaluation"})
    reviewed = record_event(tag=Tag.STAFF_CHECK_RESULT_REVIEWED, origin=staff,
                            filename="x-1.0.tar.gz",
                            details={"check": "pyast", "verdict": "false_positive"})
    assert "set the check pyast to evaluation" in event_sentence(changed)
    with translation.override("de"):
        assert "Erprobung" in event_sentence(changed)
        assert "Fehlalarm" in event_sentence(reviewed)
