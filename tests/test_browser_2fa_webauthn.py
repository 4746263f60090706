"""Security keys and passkeys in a real browser, with Chromium's virtual authenticator (the
DevTools protocol's WebAuthn domain) as the key: register one with a name, log in with it at
the second step, remove it behind re-authentication; register a passkey and sign in with it
alone; removing the last factor is refused. axe runs on every page reached."""

from __future__ import annotations

import pytest

from tests.browser import (
    SECOND_STEP,
    assert_accessible,
    log_in,
    password_entered_long_ago,
    person,
)
from tests.test_browser_accounts import press_enter_and_wait, tab_to
from tests.twofactor import (
    authenticator_page_fixture,  # noqa: F401  (fixture `authenticator_page`)
    confirm_recovery_codes,
    credentials,
    heading,
    is_logged_in,
    log_out,
    password_step,
    site_fixture,  # noqa: F401  (fixture `site`)
    wait_for_mail,
)

pytestmark = pytest.mark.e2e


def add_key(page, name: str, *, passkey: bool = False) -> None:
    """From the security page: the add-key page, a name, the button; the virtual key
    answers by itself."""
    page.get_by_role("link", name="Add a security key or passkey").first.click()
    page.wait_for_load_state()
    assert heading(page) == "Add a security key or passkey"
    assert_accessible(page)
    page.get_by_label("Name").fill(name)
    if passkey:
        page.get_by_label("Use it as a passkey to sign in without a password").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add the key").click()
    page.wait_for_load_state()


def key_names(page) -> list[str]:
    """The names in the keys table, as its row headers."""
    return [n.strip() for n in page.locator("table tbody th[scope=row]").all_inner_texts()]


def test_register_a_key_log_in_with_it_and_remove_it(site, authenticator_page):
    page, cdp, authenticator_id = authenticator_page
    username = person(site, prefix="key", totp=True)
    log_in(site, page, username)
    assert is_logged_in(page)

    page.goto(site.url + "/accounts/2fa/")
    add_key(page, "Blue YubiKey")
    # Not the first factor, so no new recovery codes: straight to the list of keys.
    assert heading(page) == "Security keys and passkeys"
    assert "Your security key “Blue YubiKey” is added" in page.get_by_role("main").inner_text()
    assert key_names(page) == ["Blue YubiKey"]
    assert_accessible(page)
    assert len(credentials(cdp, authenticator_id)) == 1
    wait_for_mail(site, f"{username}@example.invalid", "Security Key Added")

    page.goto(site.url + "/accounts/2fa/")
    assert key_names(page) == ["Blue YubiKey"]
    assert_accessible(page)

    log_out(page)
    password_step(site, page, username)
    assert page.url.startswith(site.url + SECOND_STEP)
    assert page.get_by_role("heading", name="Use a security key or passkey").count() == 1
    assert_accessible(page)
    # By keyboard: the key's button is reachable and Enter starts the ceremony.
    tab_to(page, text="Use a security key")
    press_enter_and_wait(page)
    assert is_logged_in(page)
    assert_accessible(page)

    # Removing it needs a fresh proof that it is you; here, the key itself.
    password_entered_long_ago(site, username)
    page.goto(site.url + "/accounts/2fa/keys/")
    page.get_by_role("link", name="Remove Blue YubiKey").click()
    page.wait_for_load_state()
    assert heading(page) == "Confirm it is you"
    assert_accessible(page)
    page.get_by_role("link", name="Use a security key or passkey").click()
    page.wait_for_load_state()
    assert heading(page) == "Confirm it is you"
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Use a security key").click()
    page.wait_for_load_state()

    assert heading(page) == "Remove “Blue YubiKey”"
    assert_accessible(page)
    page.get_by_role("button", name="Remove the key").click()
    page.wait_for_load_state()
    assert heading(page) == "Security keys and passkeys"
    assert ("The key “Blue YubiKey” is removed from your account"
            in page.get_by_role("main").inner_text())
    assert key_names(page) == []
    assert_accessible(page)
    wait_for_mail(site, f"{username}@example.invalid", "Security Key Removed")

    # The app is left, so the second step no longer offers a key.
    log_out(page)
    password_step(site, page, username)
    assert page.url.startswith(site.url + SECOND_STEP)
    assert page.get_by_role("button", name="Use a security key").count() == 0


def test_sign_in_with_a_passkey_alone(site, authenticator_page):
    page, cdp, authenticator_id = authenticator_page
    username = person(site, prefix="pk")
    password_step(site, page, username)
    assert is_logged_in(page)

    page.goto(site.url + "/accounts/2fa/")
    add_key(page, "Laptop passkey", passkey=True)
    # The first factor: its recovery codes come first, then the security page.
    confirm_recovery_codes(page)
    assert heading(page) == "Two-factor authentication"
    assert key_names(page) == ["Laptop passkey"]
    assert "Passkey" in page.get_by_role("row", name="Laptop passkey").inner_text()
    assert_accessible(page)
    [credential] = credentials(cdp, authenticator_id)
    assert credential["isResidentCredential"]

    log_out(page)
    page.goto(site.url + "/accounts/login/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_load_state()
    assert is_logged_in(page)
    assert_accessible(page)
    page.goto(site.url + "/accounts/email/")
    assert f"{username}@example.invalid" in page.get_by_role("main").inner_text()

    # It is the account's only factor and policy requires one: it cannot be removed.
    page.goto(site.url + "/accounts/2fa/keys/")
    page.get_by_role("link", name="Remove Laptop passkey").click()
    page.wait_for_load_state()
    assert heading(page) == "Remove “Laptop passkey”"
    page.get_by_role("button", name="Remove the key").click()
    page.wait_for_load_state()
    assert "This is your last second factor" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.goto(site.url + "/accounts/2fa/keys/")
    assert key_names(page) == ["Laptop passkey"]


def test_the_passkey_page_signs_in_too(site, authenticator_page):
    page, _, _ = authenticator_page
    username = person(site, prefix="pkp")
    password_step(site, page, username)
    page.goto(site.url + "/accounts/2fa/")
    add_key(page, "Phone", passkey=True)
    confirm_recovery_codes(page)
    log_out(page)

    page.goto(site.url + "/accounts/2fa/passkey-login/?next=/accounts/2fa/keys/")
    assert heading(page) == "Sign in with a passkey"
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_load_state()
    assert is_logged_in(page)
    assert page.url == site.url + "/accounts/2fa/keys/"
    assert key_names(page) == ["Phone"]

    # The account no longer knows the passkey (here, deleted behind the site's back), but
    # the device still offers it: refused, in words.
    log_out(page)
    site.shell(
        "from allauth.mfa.models import Authenticator\n"
        f"Authenticator.objects.filter(user__username={username!r}, type='webauthn').delete()\n")
    page.goto(site.url + "/accounts/2fa/passkey-login/")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_load_state()
    assert not is_logged_in(page)
    assert "is not registered to this account" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


def test_replace_the_app_with_a_key(site, authenticator_page):
    page, _, _ = authenticator_page
    username = person(site, prefix="swap", totp=True)
    log_in(site, page, username)
    assert is_logged_in(page)

    # The app is the only factor, and policy requires one: removing it is refused, and the
    # refusal says what to do first.
    page.goto(site.url + "/accounts/2fa/")
    page.get_by_role("link", name="Remove the authenticator app").click()
    page.wait_for_load_state()
    assert heading(page) == "Remove the authenticator app"
    assert "This is your only second factor" in page.get_by_role("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Remove the authenticator app").click()
    page.wait_for_load_state()
    assert "This is your last second factor" in page.get_by_role("alert").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Add a security key or passkey").first.click()
    page.wait_for_load_state()
    page.get_by_label("Name").fill("Green key")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the key").click()
    page.wait_for_load_state()
    assert key_names(page) == ["Green key"]

    page.goto(site.url + "/accounts/2fa/")
    page.get_by_role("link", name="Remove the authenticator app").click()
    page.wait_for_load_state()
    assert "You will log in with your security keys instead" in (
        page.get_by_role("main").inner_text())
    page.get_by_role("button", name="Remove the authenticator app").click()
    page.wait_for_load_state()
    assert heading(page) == "Two-factor authentication"
    assert ("Your authenticator app has been removed"
            in page.get_by_role("main").inner_text())
    assert page.get_by_role("link", name="Set up an authenticator app").count() == 1
    assert_accessible(page)

    # The second step now offers the key (and recovery codes), not the app.
    log_out(page)
    password_step(site, page, username)
    assert page.url.startswith(site.url + SECOND_STEP)
    assert page.locator("#totp_code").count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Use a security key").click()
    page.wait_for_load_state()
    assert is_logged_in(page)
