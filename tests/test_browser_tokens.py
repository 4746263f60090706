"""API tokens and the staff admin in a real browser: create a token (after entering the
password again), see it once with the .pypirc snippet, copy it by keyboard, revoke it; and the
admin as staff see it. axe runs on every page reached."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import PASSWORD, assert_accessible, log_in, password_entered_long_ago, person

pytestmark = pytest.mark.e2e









def token_check(server: Any, raw: str) -> str:
    """Who the token authenticates, or why it doesn't, as the server sees it now."""
    return server.shell(
        "from warden.tokens.services import token_authenticate, TokenError\n"
        "try:\n"
        f"    print(token_authenticate(raw={raw!r}).user.username)\n"
        "except TokenError as exc:\n"
        "    print('refused:', exc.message)\n"
    )


def tab_to(page: Any, name: str, limit: int = 60) -> None:
    """Press Tab until the focused element's text is `name`, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == name:
            return
    pytest.fail(f"{name!r} cannot be reached with the Tab key")


def test_create_a_token_see_it_once_and_revoke_it(server: Any, page: Any) -> None:
    username = person(server, prefix="tok", totp=True)
    log_in(server, page, username)
    password_entered_long_ago(server, username)

    page.goto(server.url + "/manage/tokens/")
    assert_accessible(page)
    page.get_by_role("link", name="Create a token").click()

    # Minting a token needs the password again.
    assert "/accounts/reauthenticate/" in page.url
    assert_accessible(page)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/manage/tokens/new/")
    assert_accessible(page)

    page.get_by_label("Description").fill("laptop upload")
    page.get_by_label("Scope").select_option(label="All your projects (the whole account)")
    page.locator("#id_expiry").select_option(label="90 days")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", level=1).inner_text() == "Your new API token"
    assert_accessible(page)
    raw = page.locator("#token-value").inner_text().strip()
    assert raw.startswith("wdn_")
    pypirc = page.locator("#token-pypirc").inner_text()
    assert f"repository = {server.url}/legacy/" in pypirc
    assert "username = __token__" in pypirc and f"password = {raw}" in pypirc
    assert "twine upload --repository warden" in page.locator("#token-twine").inner_text()
    assert token_check(server, raw) == username

    # Each copy button is reachable by keyboard.
    for name in ("Copy token", "Copy .pypirc snippet", "Copy twine command"):
        tab_to(page, name)

    page.goto(server.url + "/manage/tokens/")
    assert_accessible(page)
    row = page.get_by_role("row", name="laptop upload")
    assert "All your projects" in row.inner_text()
    assert raw not in page.content()  # shown once, never again

    row.get_by_role("link", name="Revoke laptop upload").click()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke token").click()
    page.wait_for_url("**/manage/tokens/")
    assert_accessible(page)
    assert "Revoked" in page.get_by_role("row", name="laptop upload").inner_text()
    assert token_check(server, raw).startswith("refused: This API token has been revoked")


def test_staff_reach_the_admin_through_the_login_page(server: Any, page: Any) -> None:
    username = person(server, prefix="tok", staff=True, superuser=True, totp=True)
    log_in(server, page, username, next_url="/admin/")

    assert page.url == server.url + "/admin/"
    assert page.get_by_role("link", name="Warden administration").is_visible()
    assert_accessible(page)

    page.goto(server.url + "/admin/accounts/user/")
    assert page.get_by_role("link", name=username).is_visible()
    assert_accessible(page)


# Django's breadcrumbs are white links in light-blue text; warden/static/warden/admin.css
# underlines them, or axe reports link-in-text-block (serious) on the prohibited-name page.
@pytest.mark.parametrize("path", [
    "/admin/packaging/project/",
    "/admin/tokens/token/",
    "/admin/accounts/user/add/",
    "/admin/packaging/prohibitedname/",
])
def test_other_admin_pages_pass_axe(server: Any, page: Any, path: str) -> None:
    username = person(server, prefix="tok", staff=True, superuser=True, totp=True)
    log_in(server, page, username, next_url=path)
    assert page.url == server.url + path
    assert_accessible(page)


def test_the_copy_button_copies_the_token_by_keyboard(server: Any, page: Any) -> None:
    username = person(server, prefix="tok", totp=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    log_in(server, page, username)
    page.goto(server.url + "/manage/tokens/new/")
    page.locator("#id_description").fill("copied")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_load_state()
    assert_accessible(page)
    raw = page.locator("#token-value").inner_text().strip()

    script = page.request.get(server.url + "/static/warden/warden.js")
    assert script.ok, f"warden serve answers {script.status} for warden.js: no copy buttons"
    tab_to(page, "Copy token")
    page.keyboard.press("Enter")

    status = page.locator("#token-value-status")
    status.filter(has_text="Copied").wait_for(timeout=5000)
    assert page.evaluate("() => navigator.clipboard.readText()") == raw
