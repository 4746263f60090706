"""Recovery codes in a real browser: log in with one at the second step, once only; generate
a new set (after confirming it is you with an app code), which makes the old set stop
working. axe runs on every page reached."""

from __future__ import annotations

import pytest

from tests.browser import (
    SECOND_STEP,
    assert_accessible,
    log_in,
    password_entered_long_ago,
    person,
)
from tests.twofactor import (
    confirm_recovery_codes,
    field_error,
    heading,
    is_logged_in,
    log_out,
    password_step,
    recovery_codes_new,
    site_fixture,  # noqa: F401  (fixture `site`)
)

pytestmark = pytest.mark.e2e


def recovery_step(page, code: str) -> None:
    page.locator("#recovery_code").fill(code)
    page.get_by_role("button", name="Log in with the recovery code").click()
    page.wait_for_load_state()


def test_a_recovery_code_logs_in_once(site, page):
    username = person(site, prefix="rec", totp=True)
    codes = recovery_codes_new(site, username)

    password_step(site, page, username)
    assert page.url.startswith(site.url + SECOND_STEP)
    assert page.get_by_role("heading", name="Use a recovery code").count() == 1
    assert page.locator("#recovery_code").get_attribute("autocomplete") == "off"
    recovery_step(page, "zzzz-zzzz-zzzz-zzzz")
    assert "That recovery code is not correct" in field_error(page, "recovery_code")
    assert not is_logged_in(page)
    assert_accessible(page)

    # Typed as people copy it from paper: upper case, spaces around.
    recovery_step(page, f"  {codes[0].upper()} ")
    assert is_logged_in(page)
    assert_accessible(page)
    page.goto(site.url + "/accounts/2fa/")
    assert "9 of 10 recovery codes left" in page.get_by_role("main").inner_text()
    assert_accessible(page)

    log_out(page)
    password_step(site, page, username)
    recovery_step(page, codes[0])
    assert "has been used already" in field_error(page, "recovery_code")
    assert not is_logged_in(page)
    assert_accessible(page)
    recovery_step(page, codes[1])
    assert is_logged_in(page)


def test_new_recovery_codes_replace_the_old_set(site, page):
    username = person(site, prefix="regen", totp=True)
    old_codes = recovery_codes_new(site, username)
    log_in(site, page, username)
    assert is_logged_in(page)

    password_entered_long_ago(site, username)
    page.goto(site.url + "/accounts/2fa/")
    page.get_by_role("link", name="Generate new recovery codes").click()
    page.wait_for_load_state()
    # Confirm it is you: with a recovery code instead of the password this time.
    assert heading(page) == "Confirm it is you"
    assert_accessible(page)
    page.get_by_role("link", name="Use a code from your authenticator app or a recovery code"
                     ).click()
    page.wait_for_load_state()
    assert heading(page) == "Confirm it is you"
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(old_codes[1])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()

    assert heading(page) == "Generate new recovery codes"
    assert_accessible(page)
    page.get_by_role("button", name="Generate new codes").click()
    page.wait_for_load_state()
    new_codes = confirm_recovery_codes(page)
    assert not set(new_codes) & set(old_codes)
    assert heading(page) == "Two-factor authentication"

    log_out(page)
    password_step(site, page, username)
    recovery_step(page, old_codes[2])
    assert "That recovery code is not correct" in field_error(page, "recovery_code")
    recovery_step(page, new_codes[0])
    assert is_logged_in(page)
