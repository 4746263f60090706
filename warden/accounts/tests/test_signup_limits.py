"""Sign-ups per client address are capped per hour and per day; the refusal is a 429 that
says when to try again, recorded in the audit trail, and alike for taken and new addresses."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from warden.accounts.models import SignUp, User
from warden.audit.models import Event
from warden.audit.vocabulary import Tag

pytestmark = pytest.mark.django_db

HOME = "198.51.100.7"
ELSEWHERE = "203.0.113.9"


def sign_up(n: int | str, address: str = HOME, *, as_user: str = ""):
    return Client(REMOTE_ADDR=address).post("/accounts/signup/", {
        "email": f"person{n}@example.org", "username": as_user or f"person{n}",
        "password1": "a long enough passphrase", "password2": "a long enough passphrase"})


def test_the_sixth_sign_up_in_an_hour_from_one_address_is_refused_with_429():
    assert [sign_up(i).status_code for i in range(5)] == [302] * 5
    refused = sign_up(5)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert re.search(r"Try again after .+ \(in about 60 minutes\)", page), page
    assert 3500 <= int(refused["Retry-After"]) <= 3600
    assert not User.objects.filter(username="person5").exists()
    assert User.objects.count() == 5


def test_a_refused_sign_up_is_recorded():
    for i in range(6):
        sign_up(i)
    event = Event.objects.get(tag=Tag.SITE_SIGNUP_LIMITED)
    assert event.user_id is None
    assert event.details["retry_at"]


def test_another_address_can_still_sign_up():
    for i in range(5):
        sign_up(i)
    assert sign_up(5, address=ELSEWHERE).status_code == 302
    assert User.objects.filter(username="person5").exists()


def test_a_taken_address_gets_the_same_answer_at_the_cap():
    for i in range(5):
        sign_up(i)
    # Both a new address and one already registered are refused alike, or the cap would
    # tell which addresses have accounts.
    assert sign_up(0, as_user="someone").status_code == sign_up(9).status_code == 429


def test_sign_ups_answered_as_taken_count_towards_the_cap():
    sign_up(0)
    for i in range(4):
        # "Verification sent", as for a new address; no account is created.
        assert sign_up(0, as_user=f"other{i}").status_code == 302
    assert User.objects.count() == 1
    assert sign_up(1).status_code == 429


def test_the_daily_cap_holds_after_the_hour(settings):
    settings.WARDEN_SIGNUP_LIMIT_PER_ADDRESS_DAY = 7
    for i in range(5):
        sign_up(i)
    for row in SignUp.objects.all():
        row.at -= timedelta(hours=2)
        row.save()
    assert [sign_up(i).status_code for i in range(5, 8)] == [302, 302, 429]


def test_the_hourly_cap_is_a_setting(settings):
    settings.WARDEN_SIGNUP_LIMIT_PER_ADDRESS_HOUR = 2
    assert [sign_up(i).status_code for i in range(3)] == [302, 302, 429]


def test_the_addresses_are_kept_hashed():
    sign_up(0)
    assert HOME not in SignUp.objects.get().ip_hash
