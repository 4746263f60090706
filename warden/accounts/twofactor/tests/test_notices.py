"""Security notices: a change to an account's second factors is mailed to its owner by the
task worker once the change has committed, never in the request. A mail server that is down
does not turn a change already made into an error page, nor stop the worker; a change
rolled back queues nothing."""

from __future__ import annotations

import json
import smtplib
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.db import transaction
from django.test import Client
from django_tasks_db.models import DBTaskResult

from warden.accounts.models import User
from warden.accounts.tests.conftest import log_in, web
from warden.accounts.twofactor import services
from warden.accounts.twofactor.tests.conftest import Clock, totp_on

INDEX = "/accounts/2fa/"
DEACTIVATE = "/accounts/2fa/totp/deactivate/"
TASK = "warden.accounts.tasks.notice_send"


class DownSMTP(locmem.EmailBackend):
    """A mail server that is down for the addresses in `refused` (for every address when it
    is empty): sending to them raises as smtplib does. Other mail is delivered to
    `mail.outbox`, as by Django's test backend."""

    refused: ClassVar[frozenset[str]] = frozenset()

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            if not self.refused or set(message.recipients()) & self.refused:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def notices() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=TASK).order_by("enqueued_at"))


@pytest.fixture
def app_removable(settings: Any) -> None:
    # The policy would keep the only factor; these tests remove it.
    settings.WARDEN_REQUIRE_2FA = False


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("app_removable")
def test_removing_the_app_succeeds_and_commits_while_the_mail_server_is_down(
        alice: User, clock: Clock, settings: Any, run_tasks: Callable[[], None]) -> None:
    # Real commits (a transactional test), so on-commit work runs where it would in
    # production: inside the request, at the end of the change's transaction. Mailing
    # there turned this removal, already committed, into a 500.
    settings.EMAIL_BACKEND = f"{__name__}.DownSMTP"
    client = Client()
    log_in(client, "alice")
    totp_on(alice, clock)
    DBTaskResult.objects.all().delete()  # the notice of setting the app up

    response = client.post(DEACTIVATE)

    assert response.status_code == 302
    assert response["Location"] == INDEX
    assert not Authenticator.objects.filter(user=alice).exists()
    [queued] = notices()
    assert queued.status == "READY"
    # The worker gets the failure instead: the task is marked failed, nothing was sent.
    run_tasks()
    queued.refresh_from_db()
    assert queued.status == "FAILED"
    assert queued.exception_class_path == "smtplib.SMTPServerDisconnected"
    assert mail.outbox == []


@pytest.mark.usefixtures("app_removable")
def test_the_notice_is_mailed_by_the_worker_not_in_the_request(
        alice: User, clock: Clock, django_capture_on_commit_callbacks: Any,
        run_tasks: Callable[[], None]) -> None:
    client = Client()
    log_in(client, "alice")
    totp_on(alice, clock)
    DBTaskResult.objects.all().delete()  # the set-up's own notice is not this test's
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DEACTIVATE, HTTP_USER_AGENT="Mozilla/5.0 Firefox/140.0")
    assert response.status_code == 302

    # Queued with plain values only (the worker runs elsewhere, later), and not yet sent.
    [queued] = notices()
    arguments = queued.args_kwargs["kwargs"]
    assert json.loads(json.dumps(arguments)) == arguments
    assert arguments["user_id"] == alice.pk
    assert arguments["template"] == "mfa/email/totp_deactivated"
    assert mail.outbox == []

    run_tasks()

    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    [sent] = mail.outbox
    assert sent.to == ["alice@example.org"]
    assert sent.subject.startswith("[Warden] ")
    body = str(sent.body)
    assert "127.0.0.1" in body and "Mozilla/5.0 Firefox/140.0" in body


def test_a_change_rolled_back_queues_no_notice(alice: User, clock: Clock, settings: Any,
                                               django_capture_on_commit_callbacks: Any) -> None:
    settings.WARDEN_REQUIRE_2FA = False
    totp_on(alice, clock)
    DBTaskResult.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True), \
            pytest.raises(RuntimeError), transaction.atomic():
        services.totp_deactivate(user=alice, origin=web(alice))
        raise RuntimeError("something after the change failed")

    assert Authenticator.objects.filter(user=alice, type="totp").exists()
    assert notices() == []


def test_a_notice_the_mail_server_refuses_fails_alone_and_the_worker_goes_on(
        alice: User, bob: User, clock: Clock, settings: Any,
        django_capture_on_commit_callbacks: Any, run_tasks: Callable[[], None],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.DownSMTP"
    monkeypatch.setattr(DownSMTP, "refused", frozenset({"alice@example.org"}))
    totp_on(alice, clock)
    totp_on(bob, clock, secret="JBSWY3DPEHPK3PXP")
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.recovery_codes_regenerate(user=alice, origin=web(alice))
        services.recovery_codes_regenerate(user=bob, origin=web(bob))

    run_tasks()

    assert [task.status for task in notices()] == ["FAILED", "SUCCESSFUL"]
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert "could not mail the notice mfa/email/recovery_codes_generated" in caplog.text
