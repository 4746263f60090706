"""Accounts in a real browser, by keyboard alone: register, verify by the mailed link, log
in and out, reset a password; axe-core on every page reached, error pages included.

"Keyboard alone" means Tab, typing and Enter: no clicks. Opening a link from a mail is a
navigation (the mail client is not under test).
"""

from __future__ import annotations

import email
import email.policy
import re
import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser import assert_accessible

pytestmark = pytest.mark.e2e

PASSWORD = "keyboard only passphrase 7"
NEW_PASSWORD = "another keyboard passphrase 8"
MAX_TABS = 40  # more than any of our pages needs to reach any control


def focused(page: Any) -> dict[str, str]:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {tag: el.tagName.toLowerCase(), name: el.getAttribute('name') || '',
                text: (el.innerText || el.value || '').trim(), type: el.type || ''};
    }""")


def tab_to(page: Any, *, name: str = "", text: str = "") -> int:
    """Presses Tab until the focused control has this name attribute (or this visible
    text); returns how many presses it took. Fails if the control is not reachable."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        now = focused(page)
        if (name and now["name"] == name) or (text and now["text"] == text):
            return presses
    pytest.fail(f"Tab never reached {name or text!r} on {page.url}")


def fill_by_keyboard(page: Any, fields: list[tuple[str, str]]) -> None:
    """Tabs to the first field, then types each value and Tabs once to the next field:
    the tab order must follow the visual order of the form."""
    first, *rest = fields
    tab_to(page, name=first[0])
    page.keyboard.type(first[1])
    for name, value in rest:
        page.keyboard.press("Tab")
        assert focused(page)["name"] == name, f"Tab after the previous field left {name}"
        page.keyboard.type(value)


def press_enter_and_wait(page: Any) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def mail_to(server: Any, address: str, path_prefix: str, timeout: float = 10) -> str:
    """The newest link starting with path_prefix in a mail to `address` from the server's
    mail directory (the file backend of the embedded default)."""
    mail_dir = Path(server.env["WARDEN_DATA_DIR"]) / "mail"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        links = []
        for path in sorted(mail_dir.glob("*"), key=lambda p: p.stat().st_mtime):
            for raw in re.split(rb"\n-{79}\n", path.read_bytes()):
                message = email.message_from_bytes(raw, policy=email.policy.default)
                if address not in str(message.get("To", "")):
                    continue
                body = message.get_body(preferencelist=("plain",))
                text = body.get_content() if body else ""
                links += re.findall(r"https?://\S*?(" + re.escape(path_prefix) + r"\S*)", text)
        if links:
            return str(links[-1])
        time.sleep(0.2)
    pytest.fail(f"no mail to {address} with a {path_prefix} link in {mail_dir}")


def make_user(server: Any, password: str = PASSWORD) -> tuple[str, str]:
    username = f"kb{secrets.token_hex(4)}"
    address = f"{username}@example.invalid"
    server.warden("user", "create", username, "--email", address, "--no-password")
    server.shell(
        "from allauth.account.models import EmailAddress\n"
        "from warden.accounts.models import User\n"
        f"u = User.objects.get(username={username!r}); u.set_password({password!r}); u.save()\n"
        "EmailAddress.objects.update_or_create(user=u, email=u.email, "
        "defaults={'verified': True, 'primary': True})")
    return username, address


def is_logged_in(page: Any) -> bool:
    return page.get_by_role("button", name="Log out").count() == 1


def test_serve_says_where_mail_goes(server):
    mail_dir = Path(server.env["WARDEN_DATA_DIR"]) / "mail"
    assert (f"Mail is written to files in {mail_dir} (set WARDEN_EMAIL_HOST for SMTP)"
            in server.log.read_text())


def test_keyboard_only_sign_up_verify_and_land_logged_in(server, page):
    username = f"kb{secrets.token_hex(4)}"
    address = f"{username}@example.invalid"

    page.goto(server.url + "/")
    tab_to(page, text="Register")
    press_enter_and_wait(page)
    assert page.url == server.url + "/accounts/signup/"
    assert_accessible(page)

    # First a mistake, so the page with errors is checked too.
    fill_by_keyboard(page, [("email", "not-an-address"), ("username", username),
                            ("password1", "short"), ("password2", "short")])
    press_enter_and_wait(page)
    assert page.locator("#id_email[aria-invalid=true]").count() == 1
    assert page.locator("#id_password1[aria-invalid=true]").count() == 1
    assert_accessible(page)

    # The form keeps the address and username; clear them by keyboard and type again.
    tab_to(page, name="email")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(address)
    page.keyboard.press("Tab")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    press_enter_and_wait(page)
    assert page.url == server.url + "/accounts/confirm-email/"
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    assert not is_logged_in(page)
    assert_accessible(page)

    page.goto(server.url + mail_to(server, address, "/accounts/confirm-email/"))
    assert address in page.locator("main").inner_text()
    assert_accessible(page)
    tab_to(page, text="Confirm")
    press_enter_and_wait(page)

    assert is_logged_in(page)
    assert_accessible(page)
    page.goto(server.url + "/accounts/email/")
    row = page.get_by_role("row").filter(has_text=address)
    assert "Verified" in row.inner_text() and "Primary" in row.inner_text()
    assert_accessible(page)


def test_keyboard_only_login_with_a_failed_attempt_and_logout(server, page):
    username, _ = make_user(server)

    page.goto(server.url + "/")
    tab_to(page, text="Log in")
    press_enter_and_wait(page)
    assert page.url.startswith(server.url + "/accounts/login/")
    assert_accessible(page)

    fill_by_keyboard(page, [("login", username), ("password", "not the password")])
    press_enter_and_wait(page)
    alert = page.get_by_role("alert")
    assert "not correct" in alert.inner_text()
    assert not is_logged_in(page)
    assert_accessible(page)

    tab_to(page, name="password")
    page.keyboard.type(PASSWORD)
    press_enter_and_wait(page)
    assert is_logged_in(page)
    assert_accessible(page)

    tab_to(page, text="Log out")
    press_enter_and_wait(page)
    assert not is_logged_in(page)
    assert page.get_by_role("link", name="Log in").count() == 1
    assert_accessible(page)


def test_keyboard_only_login_by_email_address(server, page):
    _, address = make_user(server)
    page.goto(server.url + "/accounts/login/")
    fill_by_keyboard(page, [("login", address), ("password", PASSWORD)])
    press_enter_and_wait(page)
    assert is_logged_in(page)


def test_password_reset_by_mailed_link(server, page):
    username, address = make_user(server)

    page.goto(server.url + "/accounts/login/")
    tab_to(page, text="Forgot your password?")
    press_enter_and_wait(page)
    assert page.url == server.url + "/accounts/password/reset/"
    assert_accessible(page)

    fill_by_keyboard(page, [("email", address)])
    press_enter_and_wait(page)
    assert page.url == server.url + "/accounts/password/reset/done/"
    assert_accessible(page)

    page.goto(server.url + mail_to(server, address, "/accounts/password/reset/key/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Choose a new password"
    assert_accessible(page)
    fill_by_keyboard(page, [("password1", NEW_PASSWORD), ("password2", NEW_PASSWORD)])
    press_enter_and_wait(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Password changed"
    assert_accessible(page)

    page.goto(server.url + "/accounts/login/")
    fill_by_keyboard(page, [("login", username), ("password", NEW_PASSWORD)])
    press_enter_and_wait(page)
    assert is_logged_in(page)


def test_signed_in_account_pages_pass_axe(server, page):
    username, _ = make_user(server)
    page.goto(server.url + "/accounts/login/")
    fill_by_keyboard(page, [("login", username), ("password", PASSWORD)])
    press_enter_and_wait(page)
    assert is_logged_in(page)

    for path in ["/accounts/email/", "/accounts/password/change/", "/accounts/logout/",
                 "/accounts/reauthenticate/"]:
        page.goto(server.url + path)
        assert page.locator("h1").count() == 1, path
        assert_accessible(page)

    # A password change with the wrong current password: errors shown, still accessible.
    page.goto(server.url + "/accounts/password/change/")
    fill_by_keyboard(page, [("oldpassword", "wrong password!"), ("password1", NEW_PASSWORD),
                            ("password2", NEW_PASSWORD)])
    press_enter_and_wait(page)
    assert page.locator("#id_oldpassword[aria-invalid=true]").count() == 1
    assert_accessible(page)
