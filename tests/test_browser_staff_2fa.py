"""Staff and two-factor authentication in a real browser: staff without a second factor are
sent from the admin to set one up, told why; staff reset the factors of someone who lost
them, after saying how they verified the person. axe runs on every page reached."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser import assert_accessible, log_in, person

pytestmark = pytest.mark.e2e


def body_text(page: Any) -> str:
    return str(page.locator("body").inner_text())


def test_staff_without_2fa_are_sent_from_the_admin_to_set_it_up(server: Any, page: Any) -> None:
    username = person(server, prefix="st", staff=True, superuser=True)
    log_in(server, page, username, next_url="/admin/")

    assert urlsplit(page.url).path == "/accounts/2fa/"
    assert "Staff need two-factor authentication to use the administration" in body_text(page)
    assert "Why you are here" in body_text(page)
    assert_accessible(page)


def test_staff_reset_a_users_second_factors_after_saying_how_they_verified_them(
        server: Any, page: Any) -> None:
    staff = person(server, prefix="st", staff=True, superuser=True, totp=True)
    lost = person(server, prefix="lost", totp=True)
    log_in(server, page, staff, next_url=f"/admin/accounts/user/?q={lost}")

    page.locator(f"tr:has(a:text-is('{lost}')) input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option("reset_two_factor")
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state()
    assert f"Reset two-factor authentication of {lost}?" in body_text(page)
    assert "An authenticator app" in body_text(page)
    assert_accessible(page)

    # No reason, no reset: the browser does not even send the form (the server refuses it
    # too: warden/accounts/tests/test_two_factor_reset.py).
    page.get_by_role("button", name="Yes, reset two-factor authentication").click()
    field = page.get_by_label("How did you verify that the request comes from this person?")
    assert field.evaluate("el => el.validity.valueMissing")
    assert f"Reset two-factor authentication of {lost}?" in body_text(page)

    field.fill("video call, passport checked")
    page.get_by_role("button", name="Yes, reset two-factor authentication").click()
    page.wait_for_load_state()
    assert f"Removed every second factor and the recovery codes of {lost}" in body_text(page)
    assert_accessible(page)
    left = server.shell(
        "from allauth.mfa.models import Authenticator\n"
        f"print(Authenticator.objects.filter(user__username={lost!r}).count())\n")
    assert left.splitlines()[-1] == "0"
