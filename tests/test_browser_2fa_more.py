"""More two-factor pages in a real browser: renaming a security key (and a name already
taken, in any case, refused beside the field); a login left half-finished for longer than
ACCOUNT_LOGIN_TIMEOUT sent back to the password with an explanation; a security key that
does not hold the account's credential, or signs with the wrong private key, refused in
words, with the code form still usable; and the fresh recovery codes downloaded as a text
file holding the logged-in user's codes only. axe runs on every page reached."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.browser import (
    SECOND_STEP,
    TOTP,
    assert_accessible,
    log_in,
    person,
    totp_enable,
    totp_next_code,
)
from tests.test_browser_2fa_webauthn import add_key, key_names
from tests.test_browser_accounts import press_enter_and_wait, tab_to
from tests.twofactor import (
    authenticator_page_fixture,  # noqa: F401  (fixture `authenticator_page`)
    confirm_recovery_codes,
    credentials,
    field_error,
    heading,
    is_logged_in,
    log_out,
    password_step,
    recovery_codes_shown,
    site_fixture,  # noqa: F401  (fixture `site`)
    totp_code,
    totp_step,
)

pytestmark = pytest.mark.e2e

LOGIN = "/accounts/login/"
TOOK_TOO_LONG = ("Logging in took too long, so it was cancelled for your safety. "
                 "Enter your password again.")
KEY_STATUS_WORKING = "Follow your browser\u2019s instructions"


def session_key(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")


def swap_authenticator(page, cdp, authenticator_id: str) -> str:
    """Unplugs the virtual key and plugs in a new, empty one (a second physical key);
    returns the new one's id."""
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator_id})
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return str(added["authenticatorId"])


def test_a_key_can_be_renamed_but_not_to_a_name_another_key_has(site, authenticator_page):
    page, cdp, authenticator_id = authenticator_page
    username = person(site, prefix="ren", totp=True)
    log_in(site, page, username)
    page.goto(site.url + "/accounts/2fa/keys/")
    add_key(page, "Blue YubiKey")
    assert key_names(page) == ["Blue YubiKey"]
    # A second key is a second device: the first would be refused as already registered.
    swap_authenticator(page, cdp, authenticator_id)
    add_key(page, "Red key")
    assert sorted(key_names(page)) == ["Blue YubiKey", "Red key"]

    page.get_by_role("link", name="Rename Blue YubiKey").click()
    page.wait_for_load_state()
    assert heading(page) == "Rename “Blue YubiKey”"
    assert page.get_by_label("Name").input_value() == "Blue YubiKey"
    assert_accessible(page)
    # By keyboard: to the field, replace its text, Enter submits.
    tab_to(page, name="name")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Backup key")
    press_enter_and_wait(page)
    assert heading(page) == "Security keys and passkeys"
    assert "The key is now called “Backup key”." in page.get_by_role("status").inner_text()
    assert sorted(key_names(page)) == ["Backup key", "Red key"]
    assert_accessible(page)

    # The other key's name, in other letter case and with spaces around: refused, in words
    # tied to the field, and nothing is renamed.
    page.get_by_role("link", name="Rename Red key").click()
    page.wait_for_load_state()
    assert heading(page) == "Rename “Red key”"
    page.get_by_label("Name").fill("  BACKUP KEY ")
    page.get_by_role("button", name="Save name").click()
    page.wait_for_load_state()
    assert heading(page) == "Rename “Red key”"
    assert "You already have a key with that name" in field_error(page, "id_name")
    assert_accessible(page)
    # An empty name (spaces only) is refused the same way, in the form's own words.
    page.get_by_label("Name").fill("   ")
    page.get_by_role("button", name="Save name").click()
    page.wait_for_load_state()
    assert "Give the key a name" in field_error(page, "id_name")
    assert_accessible(page)

    page.get_by_role("link", name="Cancel").click()
    page.wait_for_load_state()
    assert sorted(key_names(page)) == ["Backup key", "Red key"]
    # The key's own name in another case is no clash with itself.
    page.get_by_role("link", name="Rename Red key").click()
    page.wait_for_load_state()
    page.get_by_label("Name").fill("RED KEY")
    page.get_by_role("button", name="Save name").click()
    page.wait_for_load_state()
    assert sorted(key_names(page)) == ["Backup key", "RED KEY"]


def test_a_second_step_left_too_long_sends_you_back_to_the_password(site, page):
    username = person(site, prefix="slow", totp=True)
    password_step(site, page, username)
    assert urlsplit(page.url).path == SECOND_STEP
    assert_accessible(page)

    # Age the half-finished login (allauth's `account_login` in the session, stamped
    # `initiated_at`) past ACCOUNT_LOGIN_TIMEOUT (300 s), as if the person went for coffee.
    aged = site.shell(
        "from django.contrib.sessions.models import Session\n"
        f"s = Session.objects.get(session_key={session_key(page)!r})\n"
        "d = s.get_decoded()\n"
        "d['account_login']['initiated_at'] -= 301\n"
        "Session.objects.save(s.session_key, d, s.expire_date)\n"
        "print('aged')\n")
    assert aged.endswith("aged")

    # A correct code (not marked spent here: the server must not take it).
    app = TOTP[username]
    totp_step(page, totp_code(app.secret, app.used + 1))
    assert urlsplit(page.url).path == LOGIN
    assert not is_logged_in(page)
    assert TOOK_TOO_LONG in page.get_by_role("status").inner_text()
    assert_accessible(page)
    # Going back to the second step does not resume the old login either.
    page.goto(site.url + SECOND_STEP)
    assert urlsplit(page.url).path == LOGIN
    assert not is_logged_in(page)

    # Starting again works, with the very code that came too late.
    password_step(site, page, username)
    assert urlsplit(page.url).path == SECOND_STEP
    totp_step(page, totp_next_code(username))
    assert is_logged_in(page)


def other_private_key() -> str:
    """A fresh P-256 private key, as the DevTools protocol takes it (PKCS#8, base64)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return base64.b64encode(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())).decode()


def test_a_key_without_the_accounts_credential_is_refused_in_words(site, authenticator_page):
    page, cdp, authenticator_id = authenticator_page
    # The key first, then the app (turned on behind the scenes), so that no login has spent
    # an app code yet and the one typed at the end needs no wait for the clock.
    username = person(site, prefix="nokey")
    password_step(site, page, username)
    page.goto(site.url + "/accounts/2fa/")
    add_key(page, "Blue YubiKey")
    confirm_recovery_codes(page)
    assert key_names(page) == ["Blue YubiKey"]
    totp_enable(site, username)
    log_out(page)

    password_step(site, page, username)
    assert urlsplit(page.url).path == SECOND_STEP
    # The key in the port no longer holds the credential (reset, or another key).
    [registered] = credentials(cdp, authenticator_id)
    cdp.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator_id})
    assert credentials(cdp, authenticator_id) == []
    status = page.locator("#webauthn-status")
    assert status.get_attribute("role") == "status"
    tab_to(page, text="Use a security key")
    page.keyboard.press("Enter")
    # It says so in the status region, once the browser has given up on the key.
    page.wait_for_function(
        "(working) => { const s = document.getElementById('webauthn-status');"
        " return s.textContent.trim() && !s.textContent.startsWith(working); }",
        arg=KEY_STATUS_WORKING, timeout=20_000)
    # Browsers do not tell a page that a key lacks the credential (that would reveal which
    # keys a person has): it looks like a cancelled request, and the page says so.
    assert status.inner_text().startswith("Nothing was done: the request was cancelled or "
                                          "took too long. Press the button to try again.")
    assert urlsplit(page.url).path == SECOND_STEP
    assert not is_logged_in(page)
    assert page.get_by_role("button", name="Use a security key").is_enabled()
    assert_accessible(page)

    # A key that holds the credential's id but signs with another private key (a forgery):
    # the browser gets an answer, the server refuses it, and the page says so in an alert.
    cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator_id, "credential": {
        **{k: v for k, v in registered.items() if k in ("credentialId", "isResidentCredential",
                                                       "rpId", "userHandle")},
        "privateKey": other_private_key(), "signCount": registered["signCount"] + 1}})
    with page.expect_navigation():
        page.get_by_role("button", name="Use a security key").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == SECOND_STEP
    assert not is_logged_in(page)
    assert "is not registered to this account, or it did not answer" in (
        page.get_by_role("alert").inner_text())
    assert_accessible(page)

    # The app's code still logs in from the same page.
    totp_step(page, totp_next_code(username))
    assert is_logged_in(page)


def generate_recovery_codes(site, page) -> list[str]:
    """From the security page, just after logging in (so no password is asked again): a
    new set of codes, shown; returns them."""
    page.goto(site.url + "/accounts/2fa/")
    page.get_by_role("link", name="Generate new recovery codes").click()
    page.wait_for_load_state()
    assert heading(page) == "Generate new recovery codes"
    assert_accessible(page)
    page.get_by_role("button", name="Generate new codes").click()
    page.wait_for_load_state()
    assert heading(page) == "Recovery codes"
    assert_accessible(page)
    codes = recovery_codes_shown(page)
    assert len(codes) == 10
    return codes


def download_codes(page) -> tuple[str, str]:
    """Presses the download button by keyboard; the file's name and text."""
    button = page.get_by_role("button", name="Download as a text file")
    button.focus()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8")


def test_the_recovery_codes_download_as_a_text_file_of_your_own_codes(site, browser):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900})
                for _ in range(2)]
    try:
        alice, bob = (c.new_page() for c in contexts)
        alice_name = person(site, prefix="dla", totp=True)
        bob_name = person(site, prefix="dlb", totp=True)
        log_in(site, alice, alice_name)
        log_in(site, bob, bob_name)
        alice_codes = generate_recovery_codes(site, alice)
        bob_codes = generate_recovery_codes(site, bob)

        name, text = download_codes(alice)
        assert name == "warden-recovery-codes.txt"
        lines = [line.strip() for line in text.splitlines()]
        assert f"Recovery codes for {alice_name}" in lines[0]
        assert [line for line in lines if line in alice_codes] == alice_codes
        assert bob_name not in text
        assert not any(code in text for code in bob_codes)
        # Still on the codes page, which still asks for one back.
        assert heading(alice) == "Recovery codes"
        assert_accessible(alice)

        _, bob_text = download_codes(bob)
        assert f"Recovery codes for {bob_name}" in bob_text.splitlines()[0]
        assert all(code in bob_text for code in bob_codes)
        assert alice_name not in bob_text
        assert not any(code in bob_text for code in alice_codes)

        # The file's codes are the account's: one logs Alice in.
        log_out(alice)
        password_step(site, alice, alice_name)
        assert urlsplit(alice.url).path == SECOND_STEP
        alice.locator("#recovery_code").fill(lines[lines.index(alice_codes[0])])
        alice.get_by_role("button", name="Log in with the recovery code").click()
        alice.wait_for_load_state()
        assert is_logged_in(alice)
    finally:
        for context in contexts:
            context.close()
