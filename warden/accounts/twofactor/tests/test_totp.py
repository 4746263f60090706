"""TOTP: the window, replay (raw and re-spaced), older codes, clock skew, secrets at rest."""

from __future__ import annotations

import base64
import json

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.db import connection

from warden.accounts.models import User
from warden.accounts.tests.conftest import Delivered, web
from warden.accounts.twofactor import secretbox, services, totp
from warden.accounts.twofactor.errors import (
    AlreadyActive,
    ClockOutOfSync,
    CodeAlreadyUsed,
    CodeIncorrect,
    LastFactorRequired,
)
from warden.accounts.twofactor.tests.conftest import SECRET, Clock, data, totp_on
from warden.audit.models import Event

pytestmark = pytest.mark.django_db


def test_codes_match_the_rfc_6238_test_vectors() -> None:
    # RFC 6238 appendix B (SHA-1, 8 digits), last six digits.
    assert totp.totp_code(SECRET, 59 // 30) == "287082"
    assert totp.totp_code(SECRET, 1111111109 // 30) == "081804"
    assert totp.totp_code(SECRET, 2000000000 // 30) == "279037"


def test_a_new_secret_has_160_bits_and_is_base32() -> None:
    secret = totp.totp_secret_generate()
    assert len(base64.b32decode(secret)) == 20
    assert secret != totp.totp_secret_generate()


def test_the_provisioning_uri_names_issuer_account_and_parameters() -> None:
    uri = totp.otpauth_uri(secret=SECRET, account="alice", issuer="Warden")
    assert uri.startswith("otpauth://totp/Warden%3Aalice?")
    for part in (f"secret={SECRET}", "issuer=Warden", "algorithm=SHA1", "digits=6", "period=30"):
        assert part in uri


def test_the_qr_code_is_inline_svg_drawn_here() -> None:
    svg = totp.qr_svg(totp.otpauth_uri(secret=SECRET, account="alice", issuer="Warden"))
    assert svg.startswith("<svg") and "<path" in svg and "http" not in svg.split(">", 1)[1]


def test_activation_needs_the_current_code(alice: User, clock: Clock) -> None:
    with pytest.raises(CodeIncorrect):
        services.totp_activate(origin=web(alice), user=alice, secret=SECRET, code="000000")
    assert not Authenticator.objects.filter(user=alice).exists()
    codes = services.totp_activate(origin=web(alice), user=alice, secret=SECRET, code=clock.code())
    assert codes is not None and len(codes) == 10
    assert Authenticator.objects.filter(user=alice, type="totp").exists()


def test_the_secret_is_encrypted_at_rest_and_bound_to_its_user(alice: User, bob: User,
                                                              clock: Clock) -> None:
    totp_on(alice, clock)
    stored = data(alice, "totp")["secret"]
    assert SECRET not in stored and SECRET.lower() not in stored.lower()
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator")
        assert all(SECRET not in str(row[0]) for row in cursor.fetchall())
    assert secretbox.unseal(stored, purpose=f"totp:{alice.pk}") == SECRET
    # Copied onto another account's row, it does not open.
    with pytest.raises(secretbox.SecretBoxError):
        secretbox.unseal(stored, purpose=f"totp:{bob.pk}")


def test_the_activation_code_cannot_be_replayed_at_login(alice: User, clock: Clock) -> None:
    code = clock.code()
    services.totp_activate(origin=web(alice), user=alice, secret=SECRET, code=code)
    with pytest.raises(CodeAlreadyUsed):
        services.second_factor_verify(origin=web(alice), user=alice, code=code)


def test_a_code_is_accepted_once(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    code = clock.code()
    services.second_factor_verify(origin=web(alice), user=alice, code=code)
    with pytest.raises(CodeAlreadyUsed):
        services.second_factor_verify(origin=web(alice), user=alice, code=code)


@pytest.mark.parametrize("respaced", ["{a} {b}", " {a}{b} ", "{a}-{b}", "{a}\t{b}"])
def test_a_replayed_code_is_refused_however_it_is_spaced(alice: User, clock: Clock,
                                                        respaced: str) -> None:
    totp_on(alice, clock)
    code = clock.code()
    services.second_factor_verify(origin=web(alice), user=alice, code=code)
    with pytest.raises(CodeAlreadyUsed):
        services.second_factor_verify(origin=web(alice), user=alice,
                                      code=respaced.format(a=code[:3], b=code[3:]))


def test_a_spaced_code_is_accepted_the_first_time(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    code = clock.code()
    services.second_factor_verify(origin=web(alice), user=alice, code=f"{code[:3]} {code[3:]}")


def test_a_code_stays_refused_while_the_skew_window_would_still_accept_it(
        alice: User, clock: Clock) -> None:
    # The bug a time-limited "used codes" cache has: after one step the code is still in
    # the window (one step of skew), and must still be refused.
    totp_on(alice, clock)
    code = clock.code()
    services.second_factor_verify(origin=web(alice), user=alice, code=code)
    clock.step()
    with pytest.raises(CodeAlreadyUsed):
        services.second_factor_verify(origin=web(alice), user=alice, code=code)


def test_an_older_code_is_refused_after_a_newer_one(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    older, newer = clock.code(offset=-1), clock.code(offset=1)
    services.second_factor_verify(origin=web(alice), user=alice, code=newer)
    with pytest.raises(CodeAlreadyUsed):
        services.second_factor_verify(origin=web(alice), user=alice, code=older)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_one_step_of_skew_either_side_is_accepted(alice: User, clock: Clock,
                                                 offset: int) -> None:
    totp_on(alice, clock)
    services.second_factor_verify(origin=web(alice), user=alice, code=clock.code(offset=offset))


@pytest.mark.parametrize("offset", [-2, 2])
def test_two_steps_off_is_refused_and_the_clock_is_blamed(alice: User, clock: Clock,
                                                         offset: int) -> None:
    totp_on(alice, clock)
    with pytest.raises(ClockOutOfSync) as refused:
        services.second_factor_verify(origin=web(alice), user=alice, code=clock.code(offset=offset))
    assert refused.value.minutes == 1
    assert "clock" in str(refused.value.message)


def test_a_code_far_from_any_step_is_just_incorrect(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    wrong = f"{(int(clock.code()) + 1) % 1_000_000:06d}"
    with pytest.raises(CodeIncorrect):
        services.second_factor_verify(origin=web(alice), user=alice, code=wrong)


FULLWIDTH_DIGITS = "".join(chr(0xFF11 + i) for i in range(6))  # \d matches these


@pytest.mark.parametrize("garbage", ["", "12345", "1234567", "abcdef", FULLWIDTH_DIGITS])
def test_malformed_codes_are_incorrect_not_errors(alice: User, clock: Clock,
                                                 garbage: str) -> None:
    totp_on(alice, clock)
    with pytest.raises(CodeIncorrect):
        services.second_factor_verify(origin=web(alice), user=alice, code=garbage)


def test_a_user_without_totp_cannot_pass_with_any_code(alice: User, clock: Clock) -> None:
    with pytest.raises(CodeIncorrect):
        services.second_factor_verify(origin=web(alice), user=alice, code=clock.code())


def test_another_users_code_does_not_work(alice: User, bob: User, clock: Clock) -> None:
    totp_on(alice, clock)
    totp_on(bob, clock, secret=totp.totp_secret_generate())
    with pytest.raises((CodeIncorrect, ClockOutOfSync)):
        services.second_factor_verify(origin=web(bob), user=bob, code=clock.code())


def test_activation_and_removal_are_audited_and_mailed(
        alice: User, clock: Clock, settings: object, notices_delivered: Delivered) -> None:
    setattr(settings, "WARDEN_REQUIRE_2FA", False)  # noqa: B010 (pytest-django's fixture)
    mail.outbox.clear()
    with notices_delivered():
        totp_on(alice, clock)
        services.totp_deactivate(origin=web(alice), user=alice)
    tags = list(Event.objects.filter(user_id=alice.pk).values_list("tag", flat=True))
    assert tags.count("account:two_factor:added") == 1
    assert tags.count("account:two_factor:removed") == 1
    assert [m.to for m in mail.outbox] == [[alice.email], [alice.email]]
    assert all(SECRET not in json.dumps(e.details) for e in Event.objects.all())


def test_the_last_factor_stays_while_the_policy_requires_one(alice: User,
                                                             clock: Clock) -> None:
    totp_on(alice, clock)
    with pytest.raises(LastFactorRequired):
        services.totp_deactivate(origin=web(alice), user=alice)
    assert Authenticator.objects.filter(user=alice, type="totp").exists()


def test_removing_the_last_factor_takes_the_recovery_codes_too(alice: User, clock: Clock,
                                                               settings: object) -> None:
    setattr(settings, "WARDEN_REQUIRE_2FA", False)  # noqa: B010
    totp_on(alice, clock)
    services.totp_deactivate(origin=web(alice), user=alice)
    assert not Authenticator.objects.filter(user=alice).exists()


def test_a_second_authenticator_app_is_refused(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    with pytest.raises(AlreadyActive):
        services.totp_activate(origin=web(alice), user=alice, secret=SECRET, code=clock.code())
