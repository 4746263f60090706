"""The audit core: chains, append-only storage, verification, IP retention, no secrets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from warden.accounts.models import User
from warden.audit.client import ip_hash, ip_prefix, user_agent_describe
from warden.audit.models import AppendOnlyError, ChainHead, Event
from warden.audit.origin import Interface, Origin
from warden.audit.services import (
    SecretInEventError,
    audit_ip_erase,
    audit_verify,
    event_digest,
    record_event,
)
from warden.audit.vocabulary import Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice", "alice@example.invalid")


def _request(ip: str = "203.0.113.7", agent: str = "twine/7.0.0 CPython/3.11.7"):
    return RequestFactory().post("/", REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)


def _from_request(actor: User) -> Origin:
    """What `actor` did in a request from 203.0.113.7 with twine."""
    return Origin.from_request(_request(), actor=actor)


def _web(actor: User) -> Origin:
    return Origin(interface=Interface.WEB, actor=actor)


def _three_events(alice: User) -> list[Event]:
    return [record_event(tag=tag, origin=_from_request(alice))
            for tag in (Tag.ACCOUNT_LOGIN_SUCCESS, Tag.ACCOUNT_PASSWORD_CHANGED,
                        Tag.ACCOUNT_LOGOUT)]


def _raw(sql: str, params: list[object]) -> None:
    """Write behind the application's back, as someone with database access would: the
    append-only triggers are switched off first. Both databases roll that back with the
    test's transaction, so the next test has its triggers again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        cursor.execute(sql, params)


def test_events_of_one_subject_form_a_chain(alice):
    first, second, third = _three_events(alice)
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    assert second.previous_hash == first.hash and third.previous_hash == second.hash
    assert {e.chain for e in (first, second, third)} == {f"user:{alice.pk}"}
    assert ChainHead.objects.get(chain=f"user:{alice.pk}").last_hash == third.hash


def test_project_events_chain_on_the_project_and_staff_events_on_the_staff_chain(alice):
    project_event = record_event(tag=Tag.PROJECT_CREATED, origin=_web(alice), project_name="demo")
    staff_event = record_event(tag=Tag.STAFF_USER_DISABLED, origin=_web(alice), user=alice)
    assert project_event.chain == "project:demo"
    assert staff_event.chain == "staff"


def test_an_event_records_the_address_as_a_keyed_hash_and_a_prefix_only(alice):
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=_from_request(alice))
    assert event.ip_prefix == "203.0.113.0/24"
    assert event.ip_hash == ip_hash("203.0.113.7") != ""
    assert "203.0.113.7" not in str(Event.objects.values().get(pk=event.pk))
    assert event.user_agent == "twine 7.0.0"


def test_unknown_tags_are_a_programming_error(alice):
    with pytest.raises(TypeError, match="not an audit tag"):
        record_event(tag="account:login:success", origin=_web(alice))  # type: ignore[arg-type]


@pytest.mark.parametrize("details", [
    {"password": "hunter2"},
    {"nested": {"token": "x"}},
    {"value": "warden-AgEGd2FyZGVu"},
    {"value": "wdn_AgEGd2FyZGVu"},
    {"url": "https://example.org/ci.yml?t=wdn_AgEGd2FyZGVuAAAA"},
    {"list": [{"secret": 1}]},
])
def test_events_refuse_details_that_carry_secrets(alice, details):
    with pytest.raises(SecretInEventError):
        record_event(tag=Tag.ACCOUNT_TOKEN_CREATED, origin=_web(alice), details=details)
    assert not Event.objects.exists()


def test_the_application_cannot_update_or_delete_events(alice):
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=_web(alice))
    event.username = "mallory"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(username="mallory")
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).delete()


def test_the_database_refuses_updates_and_deletes_of_events(alice):
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=_web(alice))
    for sql in ("UPDATE audit_event SET username = 'mallory' WHERE id = %s",
                "DELETE FROM audit_event WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [event.pk])
    assert Event.objects.get(pk=event.pk).username == "alice"


def test_the_database_allows_erasing_ip_data_only(alice):
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=_from_request(alice))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE audit_event SET ip_prefix = '198.51.100.0/24' WHERE id = %s",
                    [event.pk])
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_event SET ip_hash = '', ip_prefix = '' WHERE id = %s",
                    [event.pk])
    assert Event.objects.get(pk=event.pk).ip_prefix == ""


def test_verify_finds_intact_chains_intact(alice, capsys):
    _three_events(alice)
    assert audit_verify() == []
    call_command("audit", "verify")
    assert "All audit chains are intact." in capsys.readouterr().out


def test_verify_reports_an_edited_event(alice):
    _, second, _ = _three_events(alice)
    _raw("UPDATE audit_event SET actor_username = %s WHERE id = %s", ["mallory", second.pk])
    breaks = audit_verify()
    assert [(b.chain, b.seq) for b in breaks] == [(f"user:{alice.pk}", 2)]
    assert "changed" in breaks[0].reason
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify")
    assert failure.value.returncode == 3


def test_verify_reports_an_event_deleted_from_the_middle(alice):
    _, second, _ = _three_events(alice)
    _raw("DELETE FROM audit_event WHERE id = %s", [second.pk])
    breaks = audit_verify()
    assert [(b.seq, b.reason) for b in breaks] == [(2, "an event is missing (deleted)")]


def test_verify_reports_the_newest_event_deleted(alice):
    *_, third = _three_events(alice)
    _raw("DELETE FROM audit_event WHERE id = %s", [third.pk])
    assert [b.reason for b in audit_verify()] == ["the newest events are missing (deleted)"]


def test_verify_reports_a_rehashed_forgery(alice):
    """An attacker who edits an event and recomputes its hash still breaks the link."""
    first, *_ = _three_events(alice)
    forged = Event.objects.get(pk=first.pk)
    forged.actor_username = "mallory"
    _raw("UPDATE audit_event SET actor_username = %s, hash = %s WHERE id = %s",
         ["mallory", event_digest(forged), first.pk])
    assert [(b.seq, b.reason) for b in audit_verify()] == [
        (2, "the link to the previous event is broken")]


def test_verify_reports_changed_ip_data(alice):
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=_from_request(alice))
    _raw("UPDATE audit_event SET ip_prefix = %s WHERE id = %s", ["198.51.100.0/24", event.pk])
    assert [b.reason for b in audit_verify()] == ["the event's IP data was changed"]


def test_ip_retention_erases_old_ip_data_and_keeps_events_and_chains(alice):
    old, new = (record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=_from_request(alice))
                for _ in range(2))
    cutoff = new.created - timedelta(microseconds=1) if new.created > old.created else (
        new.created + timedelta(microseconds=1))
    erased = audit_ip_erase(older_than=cutoff)
    assert erased >= 1
    assert Event.objects.get(pk=old.pk).ip_prefix == ""
    assert Event.objects.count() == 2
    assert audit_verify() == []


def test_the_retention_task_uses_the_configured_period(alice, settings):
    from warden.audit.tasks import audit_ip_retention

    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=_from_request(alice))
    settings.WARDEN_AUDIT_IP_RETENTION_DAYS = 1
    assert audit_ip_retention.call() == 0
    assert Event.objects.get(pk=event.pk).ip_prefix != ""
    _raw("UPDATE audit_event SET created = %s WHERE id = %s",
         [timezone.now() - timedelta(days=2), event.pk])
    assert audit_ip_retention.call() == 1
    assert Event.objects.get(pk=event.pk).ip_hash == ""


@pytest.mark.parametrize(("address", "prefix"), [
    ("203.0.113.7", "203.0.113.0/24"),
    ("2001:db8:1:2::7", "2001:db8:1::/48"),
    ("not an address", ""),
])
def test_addresses_are_shown_as_their_network_prefix(address, prefix):
    assert ip_prefix(address) == prefix


@pytest.mark.parametrize(("header", "described"), [
    ("twine/7.0.0 CPython/3.11.7", "twine 7.0.0"),
    ("pip/25.1 {\"ci\":null}", "pip 25.1"),
    ("uv/0.13.8", "uv 0.13.8"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "Firefox 140"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/156.0.0.0 Safari/537.36", "Chrome 156"),
    ("", ""),
])
def test_user_agents_are_described_as_tool_and_version(header, described):
    assert user_agent_describe(header) == described


def test_the_retention_command_erases_expired_ip_data(alice, capsys):
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=_from_request(alice))
    _raw("UPDATE audit_event SET created = %s WHERE id = %s",
         [timezone.now() - timedelta(days=400), event.pk])
    call_command("audit", "retention")
    assert "Erased the IP data of 1 event(s)." in capsys.readouterr().out
    assert Event.objects.get(pk=event.pk).ip_prefix == ""
