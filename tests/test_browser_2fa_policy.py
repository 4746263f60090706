"""The two-factor policy in a real browser: someone without a second factor who goes to
create an API token is sent to set one up, told why, and brought back to create it
afterwards. axe runs on every page reached."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import assert_accessible, person
from tests.twofactor import (
    confirm_recovery_codes,
    heading,
    password_step,
    site_fixture,  # noqa: F401  (fixture `site`)
    step_now,
    totp_code,
)

pytestmark = pytest.mark.e2e


def test_no_token_without_two_factor_then_back_to_create_one(site, page):
    username = person(site, prefix="pol")
    password_step(site, page, username)

    page.goto(site.url + "/manage/tokens/")
    url = urlsplit(page.url)
    assert url.path == "/accounts/2fa/"
    assert parse_qs(url.query) == {"reason": ["required"], "next": ["/manage/tokens/"]}
    assert heading(page) == "Two-factor authentication"
    why = page.locator("#two-factor-required").inner_text()
    assert "requires two-factor authentication before you can manage projects, create" in why
    assert "Afterwards you will be taken back to where you were." in why
    assert_accessible(page)

    page.get_by_role("link", name="Set up an authenticator app").click()
    page.wait_for_load_state()
    assert heading(page) == "Set up an authenticator app"
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(totp_code(secret, step_now()))
    page.get_by_role("button", name="Turn on the authenticator app").click()
    page.wait_for_load_state()
    confirm_recovery_codes(page)

    # Back where they were going, which now lets them in.
    assert urlsplit(page.url).path == "/manage/tokens/"
    assert_accessible(page)
    page.get_by_role("link", name="Create a token").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/manage/tokens/new/"
    page.get_by_label("Description").fill("after 2fa")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_load_state()
    assert heading(page) == "Your new API token"
    assert page.locator("#token-value").inner_text().strip().startswith("wdn_")
    assert_accessible(page)
