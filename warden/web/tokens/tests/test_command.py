from __future__ import annotations

import io
from datetime import timedelta

import pymacaroons
import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.vocabulary import Tag
from warden.packaging.authorize import upload_authorize
from warden.tokens.format import token_body, token_encode
from warden.tokens.models import RevokedReason, Token
from warden.tokens.services import TokenError, token_authenticate

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_create_prints_only_the_token_on_stdout(alice):
    stdout, stderr = run("create", "alice")
    raw = stdout.strip()
    assert stdout == raw + "\n"
    assert token_authenticate(raw=raw).user == alice
    assert "Created token" in stderr and raw not in stderr


def test_create_defaults_to_a_cli_description_and_no_expiry(alice):
    run("create", "alice")
    token = Token.objects.get()
    assert token.description.startswith("cli-")
    assert token.expires is None


def test_create_with_expires_and_description(alice):
    stdout, _ = run("create", "alice", "--expires", "30d", "--description", "release")
    token = Token.objects.get()
    assert token.description == "release"
    assert token.expires is not None
    assert abs(token.expires - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    with pytest.raises(TokenError, match="expired"):
        token_authenticate(raw=stdout.strip(), now=timezone.now() + timedelta(days=31))


def test_create_with_projects_scopes_the_token(alice, demo, other):
    stdout, stderr = run("create", "alice", "--project", "Demo")
    context = token_authenticate(raw=stdout.strip())
    assert context.project_names == frozenset({"demo"})
    with pytest.raises(TokenError):
        upload_authorize(context=context, project=other, project_name="other")
    assert "scope: demo" in stderr


@pytest.mark.parametrize("staff", [False, True])
def test_create_for_a_user_without_a_second_factor_fails_and_makes_no_token(settings, staff):
    # Where the policy requires a second factor (always, for staff), the command mints no
    # token for an account without one, as the pages and `token_mint` itself don't.
    settings.WARDEN_REQUIRE_2FA = not staff
    User.objects.create_user(username="nofactor", email="nofactor@example.invalid",
                             is_staff=staff)
    with pytest.raises(CommandError, match="nofactor has no two-factor authentication"):
        run("create", "nofactor")
    assert not Token.objects.exists()
    assert not Event.objects.filter(tag=Tag.ACCOUNT_TOKEN_CREATED).exists()


def test_create_for_a_project_the_user_has_no_role_on_fails(mallory, demo):
    with pytest.raises(CommandError, match="isn't an owner or maintainer"):
        run("create", "mallory", "--project", "demo")
    assert not Token.objects.exists()


@pytest.mark.parametrize(("args", "message"), [
    (("create", "nobody"), "No user named 'nobody'"),
    (("create", "alice", "--project", "nope"), "No project named 'nope'"),
    (("create", "alice", "--expires", "forever"), "--expires: 'forever' isn't a duration"),
    (("list", "nobody"), "No user named 'nobody'"),
    (("revoke", "not-an-id"), "'not-an-id' isn't a token id"),
    (("revoke", "00000000-0000-0000-0000-000000000000"), "No token with id"),
])
def test_bad_arguments_fail_with_a_clear_message(alice, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_list_shows_a_table_of_live_and_revoked_tokens(alice, demo):
    run("create", "alice", "--description", "scoped", "--project", "demo", "--expires", "2w")
    run("create", "alice", "--description", "old")
    old = Token.objects.get(description="old")
    run("revoke", str(old.id))
    old.refresh_from_db()
    stdout, _ = run("list", "alice")
    header, *rows = stdout.splitlines()
    assert header.split() == ["id", "description", "scope", "created", "expires", "last",
                              "used", "revoked"]
    assert len(rows) == 2
    scoped = next(row for row in rows if "scoped" in row)
    assert "demo" in scoped and "never" not in scoped
    revoked = next(row for row in rows if str(old.id) in row)
    assert "all projects" in revoked and "never" in revoked
    assert revoked.rstrip().endswith(f"{old.revoked:%Y-%m-%d %H:%M}")


def test_revoke_stops_the_token_at_once(alice):
    stdout, _ = run("create", "alice")
    token = Token.objects.get()
    _, stderr = run("revoke", str(token.id))
    assert "Revoked token" in stderr
    with pytest.raises(TokenError, match="revoked"):
        token_authenticate(raw=stdout.strip())


def test_revoking_a_revoked_token_says_so(alice):
    run("create", "alice")
    token = Token.objects.get()
    run("revoke", str(token.id))
    with pytest.raises(CommandError, match="already revoked"):
        run("revoke", str(token.id))


# --- revoke --leaked: staff acting on a leak ------------------------------------------------


@pytest.mark.parametrize("given", ["token", "id", "stdin"])
def test_revoke_leaked_revokes_mails_the_owner_and_records_it(alice, given, run_tasks,
                                                                monkeypatch):
    raw, _ = run("create", "alice", "--description", "pasted")
    raw = raw.strip()
    token = Token.objects.get()
    argument = {"token": raw, "id": str(token.id), "stdin": "-"}[given]
    monkeypatch.setattr("sys.stdin", io.StringIO(raw + "\n"))

    _, stderr = run("revoke", "--leaked", argument, "--url", "https://paste.invalid/x")
    run_tasks()

    token.refresh_from_db()
    assert token.revoked is not None and token.revoked_reason == RevokedReason.LEAKED
    with pytest.raises(TokenError, match="revoked"):
        token_authenticate(raw=raw)
    event = Event.objects.get(tag=Tag.ACCOUNT_TOKEN_LEAKED)
    assert (event.token_id, event.actor_id) == (str(token.id), None)
    assert event.details == {"url": "https://paste.invalid/x",
                             "via": "warden token revoke --leaked"}
    (message,) = [m for m in mail.outbox if "found in public" in m.subject]
    assert message.to == [alice.email] and "https://paste.invalid/x" in message.body
    assert raw not in stderr and "as leaked" in stderr


def test_revoke_leaked_refuses_a_forged_token_naming_a_real_id(alice):
    run("create", "alice")
    token = Token.objects.get()
    macaroon = pymacaroons.Macaroon(location="warden", identifier=str(token.id),
                                    key=b"not our key" * 3, version=pymacaroons.MACAROON_V2)
    with pytest.raises(CommandError, match="neither a token id nor a token of this index"):
        run("revoke", "--leaked", token_encode(macaroon.serialize()))
    token.refresh_from_db()
    assert token.revoked is None


def test_revoke_without_leaked_refuses_a_token_and_does_not_echo_it(alice):
    raw, _ = run("create", "alice")
    with pytest.raises(CommandError, match="add --leaked") as info:
        run("revoke", raw.strip())
    assert token_body(raw.strip())[:12] not in str(info.value)
    assert Token.objects.get().revoked is None


def test_revoke_leaked_of_a_revoked_token_says_so_and_sends_nothing(alice, run_tasks):
    run("create", "alice")
    token = Token.objects.get()
    run("revoke", "--leaked", str(token.id))
    run_tasks()
    mail.outbox.clear()
    with pytest.raises(CommandError, match="already revoked as leaked"):
        run("revoke", "--leaked", str(token.id))
    run_tasks()
    assert not [m for m in mail.outbox if "found in public" in m.subject]
    assert Event.objects.filter(tag=Tag.ACCOUNT_TOKEN_LEAKED).count() == 1
