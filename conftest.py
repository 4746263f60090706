import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest

# Tests never touch the developer's ./var: each run gets its own data directory.
os.environ.setdefault("WARDEN_DATA_DIR", tempfile.mkdtemp(prefix="warden-test-"))

# Passwords the tests type that are not module constants; the constants (PASSWORD,
# NEW_PASSWORD, ...) of every test module are found by `_persona_passwords`. None of them
# may ever reach an audit event (nor may any API token): `_no_secrets_in_audit_events`.
OTHER_TEST_PASSWORDS = ("not the password", "hunter2")
TOKEN_PREFIXES = ("wdn_", "warden-")  # how tokens start, new and legacy


@pytest.fixture(scope="session", autouse=True)
def _audit_events_flushable() -> Iterator[None]:
    """Let transactional tests empty the database on SQLite. The audit table's trigger
    refuses DELETE (events are append-only), and Django's flush on SQLite is a DELETE; on
    PostgreSQL it is a TRUNCATE, which row triggers don't see. Only the flush between
    tests drops the trigger, and it puts it back at once."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    operations = type(connection.ops)
    original = operations.execute_sql_flush

    def execute_sql_flush(self: Any, sql_list: list[str]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                           "AND name = 'audit_event_no_delete'")
            row = cursor.fetchone()
            if row is not None:
                cursor.execute("DROP TRIGGER audit_event_no_delete")
        try:
            original(self, sql_list)
        finally:
            if row is not None:
                with self.connection.cursor() as cursor:
                    cursor.execute(row[0])

    operations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign,assignment]
    yield
    operations.execute_sql_flush = original  # type: ignore[method-assign]


@functools.cache
def _persona_passwords() -> tuple[str, ...]:
    """Every `*PASSWORD` string constant of the test modules (all imported by collection)."""
    found = set(OTHER_TEST_PASSWORDS)
    for name, module in list(sys.modules.items()):
        if ".tests." in name or name.startswith("tests."):
            found.update(value for key, value in vars(module).items()
                         if key.endswith("PASSWORD") and isinstance(value, str) and value)
    return tuple(sorted(found))


def _uses_database(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db"))


def _collect_minted_tokens(monkeypatch: pytest.MonkeyPatch, minted: list[str]) -> None:
    """Wrap `token_mint` wherever it has been imported, to learn each token's value."""
    from warden.tokens import services

    original = services.token_mint

    def token_mint(**kwargs: Any) -> Any:
        token, raw = original(**kwargs)
        minted.append(raw)
        return token, raw

    for name, module in list(sys.modules.items()):
        if (name == "warden" or name.startswith(("warden.", "tests."))) and \
                getattr(module, "token_mint", None) is original:
            monkeypatch.setattr(module, "token_mint", token_mint)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _secrets_in_events(minted: list[str]) -> list[str]:
    from django.db.models import CharField, JSONField, TextField

    from warden.audit.models import Event

    fields = [f.attname for f in Event._meta.concrete_fields
              if isinstance(f, CharField | TextField | JSONField)]
    # The token without its prefix too, in case something ever strips it.
    needles = [*_persona_passwords(), *minted,
               *(raw.removeprefix(prefix) for raw in minted for prefix in TOKEN_PREFIXES)]
    found = []
    for row in Event.objects.values("id", "tag", *fields):
        strings = [s for field in fields for s in _strings(row[field])]
        for text in strings:
            if text.startswith(TOKEN_PREFIXES):
                found.append(f"event {row['id']} ({row['tag']}) holds a token: {text[:24]}...")
        blob = "\n".join(strings)
        for needle in needles:
            if needle and needle in blob:
                found.append(f"event {row['id']} ({row['tag']}) holds a secret: "
                             f"{needle[:24]}...")
    return found


@pytest.fixture(autouse=True)
def _no_secrets_in_audit_events(request: pytest.FixtureRequest,
                                monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """After every test that used the database: no audit event holds a token, a minted
    token's value or a persona's password (issue 5: "nothing secret in any event")."""
    if not _uses_database(request):
        yield
        return
    # Set the database up first, so it is still there (not yet rolled back or flushed)
    # when this fixture looks at it after the test.
    request.getfixturevalue("db")
    minted: list[str] = []
    _collect_minted_tokens(monkeypatch, minted)
    yield
    from django.db import connection

    from warden.audit.models import Event

    # A test may close the connection (a WSGI app ending its request does); what it had not
    # committed went with it.
    if connection.connection is None or not connection.is_usable():
        return
    if not Event.objects.exists():
        return
    found = _secrets_in_events(minted)
    if found:
        pytest.fail("Secrets in audit events:\n" + "\n".join(found), pytrace=False)


def totp_enable(user: Any) -> str:
    """Turn TOTP on for `user` through the real service, as the activation page does, with
    the code an authenticator app would show now; returns the secret. That code is spent:
    a test that logs in with a code needs a later step's (`totp.totp_code(secret, step)`
    with `step` above `user`'s last used one)."""
    from warden.accounts.twofactor import services, totp
    from warden.audit.origin import Interface, Origin

    secret = totp.totp_secret_generate()
    code = totp.totp_code(secret, int(time.time()) // totp.PERIOD)
    services.totp_activate(user=user, secret=secret, code=code,
                           origin=Origin(interface=Interface.WEB, actor=user))
    return secret


@pytest.fixture
def with_totp() -> Any:
    """`with_totp(user) -> secret`: see `totp_enable`."""
    return totp_enable


# The shared personas (DESIGN.md): alice owns projects, bob maintains them, mallory is a
# stranger. alice and bob have a second factor (TOTP), as the default policy requires of
# anyone who manages projects, creates tokens or uploads; mallory has none. Test packages
# that need more of them (passwords, verified addresses, a factor) override these in their
# own conftest.
@pytest.fixture
def alice(db: None) -> Any:
    from warden.accounts.models import User

    user = User.objects.create_user(username="alice", email="alice@example.invalid")
    totp_enable(user)
    return user


@pytest.fixture
def bob(db: None) -> Any:
    from warden.accounts.models import User

    user = User.objects.create_user(username="bob", email="bob@example.invalid")
    totp_enable(user)
    return user


@pytest.fixture
def mallory(db: None) -> Any:
    from warden.accounts.models import User

    return User.objects.create_user(username="mallory", email="mallory@example.invalid")


@pytest.fixture
def run_tasks(db: None, publish: Callable[[], None]) -> Callable[[], None]:
    """Run every queued task the way `warden serve`'s worker does (the real worker, in
    batch mode): pages, mail and other work that a change queued on commit."""
    from django.core.management import call_command

    def run() -> None:
        # Between tasks the worker closes "old" connections; inside a test's transaction
        # that is the test's own connection (PostgreSQL; SQLite's in-memory one survives).
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            call_command("db_worker", batch=True, interval=0, startup_delay=False,
                         verbosity=0, queue_name="*")
        publish()

    return run


@pytest.fixture
def publish(db: None) -> Callable[[], None]:
    """Run the signer until nothing is pending, as `warden serve`'s signer does: pages, and
    TUF metadata when the test set up a repository (the `tuf_repository` fixture)."""
    from warden.tuf.signer import publish_all, publisher_for

    def run() -> None:
        publish_all(publisher_for("tests", None))

    return run
