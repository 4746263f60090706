"""Project management in a real browser: an owner invites a collaborator, who accepts in a
browser of their own; the owner yanks a release with a reason and deletes a file after
entering the password again. axe runs on every page reached, and the main actions are done
with the keyboard alone."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.browser import PASSWORD, assert_accessible, log_in, password_entered_long_ago, person
from tests.clients import twine_upload
from tests.conftest import Server
from tests.dists import Dists
from tests.index import index_entries, index_wait, wait_until_listed

pytestmark = pytest.mark.e2e





def published(server: Server, owner: str, make_dists: Callable[..., Dists]) -> Dists:
    """A new project of `owner`'s with release 1.0 (a wheel and an sdist), via twine."""
    dists = make_dists(f"mg-{secrets.token_hex(4)}", "1.0")
    token = server.mint_token(owner, "--expires", "1d")
    result = twine_upload(server.url, dists.files, password=token)
    assert result.returncode == 0, result.describe()
    wait_until_listed(server.url, dists.name, dists.sdist.name, dists.wheel.name)
    return dists






def focused(page: Any) -> dict[str, str]:
    return page.evaluate(
        "() => ({text: document.activeElement.textContent.trim(),"
        " id: document.activeElement.id || '', tag: document.activeElement.tagName})")


def tab_to(page: Any, *, text: str | None = None, element_id: str | None = None,
           limit: int = 80) -> None:
    """Press Tab until the focused element has this text or id, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if (text is not None and now["text"] == text) or \
                (element_id is not None and now["id"] == element_id):
            return
    pytest.fail(f"{text or element_id!r} cannot be reached with the Tab key")


def activate(page: Any) -> None:
    """Press Enter on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def simple_files(server: Server, name: str) -> dict[str, Any]:
    """{filename: PEP 691 entry} of the project's simple page as it is now."""
    return index_entries(server.url, name)


def yanked_on_index(server: Server, name: str, reason: str) -> dict[str, Any]:
    """Waits until the project's simple page (rendered by the server's worker after the
    change) shows every file yanked with `reason`; returns its entries."""
    return index_wait(server.url, name,
                      lambda files: bool(files) and
                      all(f.get("yanked") == reason for f in files.values()),
                      f"every file yanked with {reason!r}")


def listed_alone(server: Server, name: str, *filenames: str) -> dict[str, Any]:
    """Waits until the project's simple page lists exactly `filenames` (as after a file
    was deleted); returns its entries."""
    return index_wait(server.url, name, lambda files: set(files) == set(filenames),
                      f"exactly {sorted(filenames)}")


def test_owner_invites_a_collaborator_who_accepts_then_yanks_and_deletes_a_file(
        server: Server, page: Any, browser: Any, make_dists: Callable[..., Dists]) -> None:
    owner, helper = person(server, prefix="mg", totp=True), person(server, prefix="mg",
                                                                   totp=True)
    dists = published(server, owner, make_dists)
    name = dists.name

    # The owner finds the project on "Your projects" and opens its collaborators.
    log_in(server, page, owner, "/manage/projects/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your projects"
    assert_accessible(page)
    page.get_by_role("link", name=f"Manage {name}").click()
    assert_accessible(page)
    page.get_by_role("link", name="Collaborators").click()
    assert_accessible(page)

    # Invite by keyboard. The password was entered at login a moment ago, so no re-auth.
    tab_to(page, element_id="id_invite-username")
    page.keyboard.type(helper)
    tab_to(page, element_id="id_invite-role_name")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Invite"
    activate(page)
    assert f"{helper} is invited" in page.locator(".messages").inner_text()
    assert_accessible(page)

    # The collaborator, in a browser of their own, accepts by keyboard.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = context.new_page()
        log_in(server, other, helper, "/manage/projects/")
        assert f"{owner} invites you to join {name} as a maintainer" in \
            other.locator("main").inner_text()
        assert_accessible(other)
        tab_to(other, text="Accept")
        activate(other)
        assert f"You joined {name}" in other.locator(".messages").inner_text()
        assert_accessible(other)
        other.get_by_role("link", name=f"Manage {name}").click()
        assert other.get_by_role("heading", level=1).inner_text() == f"Manage {name}"
        assert_accessible(other)
    finally:
        context.close()

    page.reload()
    assert helper in page.locator("table").inner_text()
    assert_accessible(page)

    # Yank 1.0 with a reason, by keyboard.
    page.get_by_role("link", name="Releases").click()
    assert_accessible(page)
    tab_to(page, element_id=page.get_by_label("Reason for yanking 1.0").get_attribute("id"))
    page.keyboard.type("Breaks on Windows")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Yank 1.0"
    activate(page)
    assert "Release 1.0 is yanked." in page.locator(".messages").inner_text()
    assert_accessible(page)
    files = yanked_on_index(server, name, "Breaks on Windows")
    assert {f["yanked"] for f in files.values()} == {"Breaks on Windows"}

    # Delete the wheel: the password is asked for again, then the confirmation page.
    password_entered_long_ago(server, owner)
    page.get_by_role("link", name="1.0", exact=True).click()
    assert_accessible(page)
    tab_to(page, text=f"Delete {dists.wheel.name}")
    activate(page)
    assert "/accounts/reauthenticate/" in page.url
    assert_accessible(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == f"Delete {dists.wheel.name}"
    assert_accessible(page)
    tab_to(page, text="Delete file")
    activate(page)
    assert f"{dists.wheel.name} is deleted." in page.locator(".messages").inner_text()
    assert_accessible(page)
    assert set(listed_alone(server, name, dists.sdist.name)) == {dists.sdist.name}

    # The other confirmation pages, reached with a fresh password.
    page.get_by_role("link", name="Delete release 1.0").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Delete release 1.0"
    assert_accessible(page)
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Settings").click()
    assert_accessible(page)


def test_deleting_a_project_needs_its_exact_name_and_frees_nothing(
        server: Server, page: Any, make_dists: Callable[..., Dists]) -> None:
    owner = person(server, prefix="mg", totp=True)
    dists = published(server, owner, make_dists)
    log_in(server, page, owner, f"/manage/project/{dists.name}/settings/")
    assert_accessible(page)

    page.get_by_label("Project name").fill("not-the-name")
    page.get_by_role("button", name=f"Delete {dists.name}").click()
    page.wait_for_load_state()
    assert "Type the project's name" in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_label("Project name").fill(dists.name)
    page.get_by_role("button", name="Delete project").click()
    page.wait_for_load_state()
    assert f"{dists.name} is deleted." in page.locator(".messages").inner_text()
    assert_accessible(page)
    response = requests.get(f"{server.url}/simple/{dists.name}/", timeout=30)
    assert response.status_code == 404

    # The file names stay used: the same names can't be published again.
    token = server.mint_token(owner, "--expires", "1d")
    again = twine_upload(server.url, [dists.wheel], password=token)
    assert again.returncode != 0 and "never reused" in again.describe()
