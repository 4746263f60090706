"""Recovery codes: stored hashed, each usable once, regenerable, confirmed by typing one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.db import connection

from warden.accounts.models import User
from warden.accounts.tests.conftest import Delivered, web
from warden.accounts.twofactor import recovery, services
from warden.accounts.twofactor.errors import NoFactor, RecoveryCodeIncorrect
from warden.accounts.twofactor.tests.conftest import Clock, data, totp_on
from warden.accounts.twofactor.webauthn import NewKey
from warden.audit.models import Event

pytestmark = pytest.mark.django_db


def test_ten_distinct_codes_of_80_bits_come_with_the_first_factor(alice: User,
                                                                  clock: Clock) -> None:
    codes = totp_on(alice, clock)
    assert codes is not None and len(set(codes)) == 10
    assert all(recovery.looks_like_recovery_code(c) and len(c) == 19 for c in codes)


def test_codes_are_stored_only_as_keyed_hashes(alice: User, clock: Clock) -> None:
    codes = totp_on(alice, clock)
    assert codes is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator")
        stored = " ".join(str(row[0]) for row in cursor.fetchall())
    for code in codes:
        assert code not in stored and recovery.code_normalize(code) not in stored
    assert len(data(alice, "recovery_codes")["hashes"]) == 10


def test_a_recovery_code_signs_in_once(alice: User, clock: Clock) -> None:
    codes = totp_on(alice, clock)
    assert codes is not None
    used = services.second_factor_verify(origin=web(alice), user=alice, code=codes[3])
    assert used.type == Authenticator.Type.RECOVERY_CODES
    with pytest.raises(RecoveryCodeIncorrect):
        services.second_factor_verify(origin=web(alice), user=alice, code=codes[3])
    status = services.recovery_codes_status(alice)
    assert status is not None and status.remaining == 9


def test_codes_are_accepted_in_capitals_and_without_hyphens(alice: User, clock: Clock) -> None:
    codes = totp_on(alice, clock)
    assert codes is not None
    services.second_factor_verify(origin=web(alice), user=alice,
                                  code=codes[0].replace("-", " ").upper())


def test_a_made_up_code_of_the_right_shape_is_refused(alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    with pytest.raises(RecoveryCodeIncorrect):
        services.second_factor_verify(origin=web(alice), user=alice, code="aaaa-bbbb-cccc-dddd")


def test_regenerating_invalidates_the_old_set(alice: User, clock: Clock,
                                              notices_delivered: Delivered) -> None:
    old = totp_on(alice, clock)
    assert old is not None
    mail.outbox.clear()
    with notices_delivered():
        new = services.recovery_codes_regenerate(origin=web(alice), user=alice)
    assert not set(old) & set(new)
    with pytest.raises(RecoveryCodeIncorrect):
        services.second_factor_verify(origin=web(alice), user=alice, code=old[0])
    services.second_factor_verify(origin=web(alice), user=alice, code=new[0])
    assert Event.objects.filter(tag="account:recovery_codes:regenerated").exists()
    assert len(mail.outbox) == 1


def test_codes_cannot_be_generated_without_a_factor(alice: User) -> None:
    with pytest.raises(NoFactor):
        services.recovery_codes_regenerate(origin=web(alice), user=alice)


def test_a_second_factor_keeps_the_existing_set(alice: User, clock: Clock) -> None:
    codes = totp_on(alice, clock)
    assert codes is not None
    key = NewKey(name="key", credential={}, credential_id="AAAA", sign_count=0, passkey=False)
    _key, new_codes = services.webauthn_add(user=alice, key=key, origin=web(alice))
    assert new_codes is None
    services.second_factor_verify(origin=web(alice), user=alice, code=codes[0])


def test_confirming_needs_one_of_the_new_codes_and_spends_none(alice: User,
                                                              clock: Clock) -> None:
    codes = totp_on(alice, clock)
    assert codes is not None
    status = services.recovery_codes_status(alice)
    assert status is not None and not status.confirmed
    with pytest.raises(RecoveryCodeIncorrect):
        services.recovery_codes_confirm(user=alice, code="aaaa-bbbb-cccc-dddd")
    services.recovery_codes_confirm(user=alice, code=codes[5])
    status = services.recovery_codes_status(alice)
    assert status is not None and status.confirmed and status.remaining == 10


def test_few_remaining_codes_are_flagged_low(alice: User, clock: Clock) -> None:
    codes = totp_on(alice, clock)
    assert codes is not None
    for code in codes[:7]:
        services.second_factor_verify(origin=web(alice), user=alice, code=code)
    status = services.recovery_codes_status(alice)
    assert status is not None and status.remaining == 3 and status.low


def test_using_a_code_is_audited_with_the_count_left_and_mailed(
        alice: User, clock: Clock, notices_delivered: Delivered) -> None:
    codes = totp_on(alice, clock)
    assert codes is not None
    mail.outbox.clear()
    with notices_delivered():
        services.second_factor_verify(origin=web(alice), user=alice, code=codes[0])
    event = Event.objects.get(tag="account:recovery_codes:used")
    assert event.details == {"remaining": 9}
    assert "9" in mail.outbox[0].body
    assert all(c not in json.dumps(e.details) for e in Event.objects.all() for c in codes)


def test_codes_left_over_without_a_factor_do_not_sign_in(alice: User, clock: Clock) -> None:
    codes = totp_on(alice, clock)
    assert codes is not None
    Authenticator.objects.filter(user=alice, type="totp").delete()
    with pytest.raises(RecoveryCodeIncorrect):
        services.second_factor_verify(origin=web(alice), user=alice, code=codes[0])


def test_pending_codes_are_sealed_in_the_session(alice: User, client: Any) -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = alice
    request.session = client.session
    services.pending_codes_store(request, ["abcd-efgh-ijkl-mnop"])
    assert "abcd" not in json.dumps(dict(request.session))
    assert services.pending_codes(request) == ["abcd-efgh-ijkl-mnop"]
    services.pending_codes_clear(request)
    assert services.pending_codes(request) is None


def test_an_app_code_in_the_recovery_code_field_is_refused_as_a_recovery_code(
        alice: User, clock: Clock) -> None:
    totp_on(alice, clock)
    with pytest.raises(RecoveryCodeIncorrect):
        services.second_factor_verify(origin=web(alice), user=alice, code=clock.code(),
                                      recovery_only=True)
    # The app's code was not spent by that.
    services.second_factor_verify(origin=web(alice), user=alice, code=clock.code())
