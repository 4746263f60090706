"""Issue 3's journey, end to end in a real browser: a person who has never used Warden
registers, verifies their address, sets up an authenticator app (which tokens require),
creates an API token on the token page, uploads with twine, finds the project, invites a
collaborator, yanks a bad release and deletes a file. axe-core runs on every page reached."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser import assert_accessible, password_entered_long_ago, person
from tests.clients import twine_upload
from tests.conftest import Server
from tests.dists import Dists
from tests.index import wait_until_listed
from tests.test_browser_accounts import mail_to
from tests.test_browser_manage import listed_alone, yanked_on_index
from warden.accounts.twofactor.totp import PERIOD, totp_code

pytestmark = pytest.mark.e2e

PASSWORD = "a journey of many pages 42"


def heading(page: Any) -> str:
    return str(page.get_by_role("heading", level=1).inner_text())


def test_a_newcomer_publishes_shares_yanks_and_deletes_in_the_browser(
        server: Server, page: Any, make_dists: Callable[..., Dists]) -> None:
    username = f"new{secrets.token_hex(4)}"
    address = f"{username}@example.invalid"
    collaborator = person(server)

    # Register, and verify the address by the mailed link.
    page.goto(server.url + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Register").click()
    assert heading(page) == "Create an account"
    assert_accessible(page)
    page.get_by_label("Email").fill(address)
    page.get_by_label("Username").fill(username)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    assert heading(page) == "Check your email"
    assert_accessible(page)
    page.goto(server.url + mail_to(server, address, "/accounts/confirm-email/"))
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Confirm")).click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Log out").count() == 1
    assert_accessible(page)

    # Tokens need a second factor: the token page sends a newcomer to set one up, and
    # says why.
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/accounts/2fa/"
    assert "Why you are here" in page.locator("main").inner_text()
    assert_accessible(page)
    # Arriving by the mailed link proves the mailbox, not the password, so setting up the
    # app asks for the password first.
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.wait_for_load_state()
    assert "/accounts/reauthenticate/" in page.url
    assert_accessible(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert heading(page) == "Set up an authenticator app"
    assert_accessible(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(
        totp_code(secret, int(time.time()) // PERIOD))
    page.get_by_role("button", name="Turn on the authenticator app").click()
    page.wait_for_load_state()
    # The recovery codes come with it, shown until one is typed back.
    assert heading(page) == "Recovery codes"
    assert_accessible(page)
    codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
    page.locator("#confirm_code").fill(codes[0])
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()

    # Now a token (the password was entered a moment ago).
    page.goto(server.url + "/manage/tokens/new/")
    assert_accessible(page)
    page.get_by_label("Description").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    assert heading(page) == "Your new API token"
    assert_accessible(page)
    token = page.locator("#token-value").inner_text().strip()
    assert token.startswith("wdn_")

    # Upload with twine and that token.
    dists = make_dists(f"journey-{secrets.token_hex(3)}", "1.0")
    result = twine_upload(server.url, dists.files, password=token)
    assert result.returncode == 0, result.describe()
    wait_until_listed(server.url, dists.name, dists.sdist.name, dists.wheel.name)

    # Find the project by searching, and open its page.
    page.goto(server.url + "/")
    page.locator("#site-search-q").fill(dists.name)
    with page.expect_navigation():
        page.locator("#site-search-q").press("Enter")
    assert_accessible(page)
    page.get_by_role("link", name=dists.name, exact=True).first.click()
    assert heading(page).startswith(dists.name)
    assert dists.wheel.name in page.locator("main").inner_text()
    assert_accessible(page)

    # Invite a collaborator (the password was entered a moment ago).
    page.get_by_role("link", name="Your projects").click()
    assert_accessible(page)
    page.get_by_role("link", name=f"Manage {dists.name}").click()
    page.get_by_role("link", name="Collaborators").click()
    page.locator("#id_invite-username").fill(collaborator)
    page.get_by_role("button", name="Invite").click()
    assert f"{collaborator} is invited" in page.locator(".messages").inner_text()
    assert_accessible(page)

    # Yank the release with a reason.
    page.get_by_role("link", name="Releases").click()
    page.get_by_label("Reason for yanking 1.0").fill("Wrong build")
    page.get_by_role("button", name="Yank 1.0").click()
    assert "Release 1.0 is yanked." in page.locator(".messages").inner_text()
    assert_accessible(page)
    assert {f["yanked"] for f in yanked_on_index(server, dists.name, "Wrong build").values()} \
        == {"Wrong build"}

    # Delete the wheel: the password again, then the confirmation.
    password_entered_long_ago(server, username)
    page.get_by_role("link", name="1.0", exact=True).click()
    page.get_by_role("link", name=f"Delete {dists.wheel.name}").click()
    assert "/accounts/reauthenticate/" in page.url
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="Delete file").click()
    assert f"{dists.wheel.name} is deleted." in page.locator(".messages").inner_text()
    assert_accessible(page)
    assert set(listed_alone(server, dists.name, dists.sdist.name)) == {dists.sdist.name}

    # The project page shows the yank and the remaining file.
    page.goto(f"{server.url}/project/{dists.name}/1.0/")
    main = page.locator("main").inner_text()
    assert "Wrong build" in main and dists.wheel.name not in main
    assert_accessible(page)
