"""Two-factor authentication with an authenticator app (TOTP) in a real browser: set it up
from the key shown on the page with codes computed here, confirm the recovery codes, log in
with the second step, see a wrong code and a replayed one refused in words; the same by
keyboard alone; the second step in German. axe runs on every page reached."""

from __future__ import annotations

import pytest

from tests.browser import (
    PASSWORD,
    SECOND_STEP,
    TOTP,
    Totp,
    assert_accessible,
    person,
    totp_next_code,
)
from tests.test_browser_accounts import fill_by_keyboard, press_enter_and_wait, tab_to
from tests.twofactor import (
    confirm_recovery_codes,
    field_error,
    heading,
    is_logged_in,
    log_out,
    password_step,
    recovery_codes_shown,
    site_fixture,  # noqa: F401  (fixture `site`)
    step_now,
    totp_code,
    totp_step,
    wrong_code,
)

pytestmark = pytest.mark.e2e


def session_key(page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == "sessionid"), None)


def test_set_up_the_app_log_in_with_a_code_and_a_replayed_code_is_refused(site, page):
    username = person(site, prefix="totp")
    password_step(site, page, username)
    assert is_logged_in(page)  # no factor yet: the password is enough

    page.goto(site.url + "/accounts/2fa/")
    assert heading(page) == "Two-factor authentication"
    assert_accessible(page)
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.wait_for_load_state()
    assert heading(page) == "Set up an authenticator app"
    assert page.get_by_role("img", name="QR code for your").count() == 1
    assert_accessible(page)

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    code_field = page.locator("#totp_code")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert code_field.get_attribute("inputmode") == "numeric"

    # A wrong code first: the error is in words, beside the field.
    code_field.fill(wrong_code(secret))
    page.get_by_role("button", name="Turn on the authenticator app").click()
    page.wait_for_load_state()
    assert "That code is not correct" in field_error(page, "totp_code")
    assert_accessible(page)
    # The page keeps the same key after a failed try.
    assert page.locator("#totp-secret").inner_text().replace(" ", "") == secret

    set_up_step = step_now()
    page.locator("#totp_code").fill(totp_code(secret, set_up_step))
    page.get_by_role("button", name="Turn on the authenticator app").click()
    page.wait_for_load_state()
    # The first factor comes with recovery codes, shown until one is typed back.
    assert "Your authenticator app is set up" in page.get_by_role("main").inner_text()
    confirm_recovery_codes(page)
    assert heading(page) == "Two-factor authentication"
    assert page.locator("section", has_text="Authenticator app").get_by_text("On").count() == 1
    assert "10 of 10 recovery codes left" in page.get_by_role("main").inner_text()
    assert_accessible(page)

    log_out(page)
    password_step(site, page, username)
    assert page.url.startswith(site.url + SECOND_STEP)
    assert heading(page) == "Log in: second step"
    assert not is_logged_in(page)
    assert_accessible(page)

    totp_step(page, wrong_code(secret))
    assert "That code is not correct" in field_error(page, "totp_code")
    assert not is_logged_in(page)
    assert_accessible(page)

    # A phone whose clock is three minutes behind: the answer says so.
    totp_step(page, totp_code(secret, step_now() - 6))
    assert "would be right if your device's clock were about" in field_error(page, "totp_code")
    assert_accessible(page)

    # The code used to set the app up is spent; the next one logs in, with a new session
    # key (a key planted before the login is worth nothing after it).
    totp_step(page, totp_code(secret, set_up_step))
    assert "has been used already" in field_error(page, "totp_code")
    half_logged_in = session_key(page)
    TOTP[username] = Totp(secret=secret, used=set_up_step)
    code = totp_next_code(username)
    totp_step(page, code)
    assert is_logged_in(page)
    assert session_key(page) not in (None, half_logged_in)
    assert_accessible(page)

    # Someone who watched that code being typed cannot log in with it, however spaced.
    log_out(page)
    password_step(site, page, username)
    totp_step(page, code)
    assert "has been used already" in field_error(page, "totp_code")
    totp_step(page, f"{code[:3]} {code[3:]}")
    assert "has been used already" in field_error(page, "totp_code")
    assert not is_logged_in(page)
    assert_accessible(page)


def test_keyboard_only_set_up_and_second_step(site, page):
    username = person(site, prefix="kbt")
    page.goto(site.url + "/accounts/login/")
    fill_by_keyboard(page, [("login", username), ("password", PASSWORD)])
    press_enter_and_wait(page)
    assert is_logged_in(page)

    page.goto(site.url + "/accounts/2fa/")
    tab_to(page, text="Set up an authenticator app")
    press_enter_and_wait(page)
    assert heading(page) == "Set up an authenticator app"
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    # The copy button comes before the field, in reading order.
    tab_to(page, text="Copy key")
    tab_to(page, name="code")
    set_up_step = step_now()
    page.keyboard.type(totp_code(secret, set_up_step))
    press_enter_and_wait(page)

    assert heading(page) == "Recovery codes"
    codes = recovery_codes_shown(page)
    tab_to(page, text="Download as a text file")
    tab_to(page, name="code")
    page.keyboard.type(codes[3])
    press_enter_and_wait(page)
    assert heading(page) == "Two-factor authentication"

    tab_to(page, text="Log out")
    press_enter_and_wait(page)
    page.goto(site.url + "/accounts/login/")
    fill_by_keyboard(page, [("login", username), ("password", PASSWORD)])
    press_enter_and_wait(page)
    assert page.url.startswith(site.url + SECOND_STEP)

    tab_to(page, name="code")
    page.keyboard.type(wrong_code(secret))
    press_enter_and_wait(page)
    assert "That code is not correct" in field_error(page, "totp_code")
    tab_to(page, name="code")
    page.keyboard.press("ControlOrMeta+a")
    TOTP[username] = Totp(secret=secret, used=set_up_step)
    page.keyboard.type(totp_next_code(username))
    press_enter_and_wait(page)
    assert is_logged_in(page)


def test_the_second_step_in_german(site, page):
    username = person(site, prefix="det", totp=True)
    password_step(site, page, username)
    assert page.url.startswith(site.url + SECOND_STEP)

    page.select_option("#language-select", "de")
    page.get_by_role("button", name="Change").click()
    page.wait_for_load_state()
    assert page.url.startswith(site.url + SECOND_STEP)
    assert page.locator("html").get_attribute("lang") == "de"
    assert_accessible(page)
    # The field's error, in German too.
    page.locator("#totp_code").fill("12")
    page.locator("form:has(#totp_code) button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#totp_code").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    assert heading(page) != "Log in: second step", "the second step is not translated"


def test_too_many_wrong_codes_say_when_to_try_again(site, page):
    username = person(site, prefix="rl", totp=True)
    password_step(site, page, username)
    wrong = wrong_code(TOTP[username].secret)
    for _ in range(10):  # the hourly allowance of failures for one account
        totp_step(page, wrong)
        assert "That code is not correct" in field_error(page, "totp_code")

    # Now even the right code is refused, with when to try again, in words.
    totp_step(page, totp_next_code(username))
    error = field_error(page, "totp_code")
    assert "Too many failed attempts" in error and "try again after" in error
    assert not is_logged_in(page)
    assert_accessible(page)
