"""The audit pages in a real browser: a user reads their security history, a maintainer the
history of their project after a real twine upload, and staff search and export. axe runs on
every page reached."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser import assert_accessible, log_in, person
from tests.clients import twine_upload
from tests.conftest import Server
from tests.dists import Dists

pytestmark = pytest.mark.e2e

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"




def failed_login_recorded(server: Server, username: str, address: str) -> None:
    """A failed login from `address` in a browser, recorded as the accounts app would."""
    server.shell(
        "from django.test import RequestFactory\n"
        "from warden.accounts.models import User\n"
        "from warden.audit.origin import Origin\n"
        "from warden.audit.services import record_event\n"
        "from warden.audit.vocabulary import Tag\n"
        f"request = RequestFactory().post('/', REMOTE_ADDR={address!r},"
        f" HTTP_USER_AGENT={FIREFOX!r})\n"
        f"record_event(tag=Tag.ACCOUNT_LOGIN_FAILURE, origin=Origin.from_request(request),"
        f" user=User.objects.get(username={username!r}))\n"
    )


def published(server: Server, owner: str, make_dists: Callable[..., Dists]) -> Dists:
    """A new project of `owner`'s, uploaded by twine with a token named "ci"."""
    dists = make_dists(f"au-{secrets.token_hex(4)}", "1.0")
    token = server.mint_token(owner, "--description", "ci", "--expires", "1d")
    result = twine_upload(server.url, dists.files, password=token)
    assert result.returncode == 0, result.describe()
    return dists




def main_text(page: Any) -> str:
    return str(page.locator("main").inner_text())


def test_a_user_reads_their_security_history_and_filters_it(
        server: Server, page: Any, make_dists: Callable[..., Dists]) -> None:
    owner, stranger = (person(server, prefix="au", totp=True),
                       person(server, prefix="au", totp=True))
    dists = published(server, owner, make_dists)
    failed_login_recorded(server, owner, "198.51.100.23")
    failed_login_recorded(server, stranger, "192.0.2.44")

    log_in(server, page, owner, "/manage/projects/")
    page.get_by_role("navigation", name="Account").get_by_role(
        "link", name="Security history").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Security history"
    assert_accessible(page)
    text = main_text(page)
    assert "Failed login from 198.51.100.0/24 with Firefox 140" in text
    assert re.search(rf"Token 'ci' was used to upload {re.escape(dists.wheel.name)} "
                     r"from 127\.0\.0\.0/24 with twine \d", text)
    assert "192.0.2.0/24" not in text
    assert "UTC" in text

    page.get_by_label("Kind of event").select_option(label="Failed login")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1
    assert "Failed login" in rows.first.inner_text()
    page.get_by_role("link", name="Show all kinds").click()
    page.wait_for_load_state()
    assert page.locator("main table tbody tr").count() > 1


def test_a_maintainer_sees_which_token_uploaded_each_file_and_a_stranger_sees_nothing(
        server: Server, page: Any, browser: Any, make_dists: Callable[..., Dists]) -> None:
    owner, stranger = (person(server, prefix="au", totp=True),
                       person(server, prefix="au", totp=True))
    dists = published(server, owner, make_dists)

    log_in(server, page, owner, f"/manage/project/{dists.name}/")
    page.get_by_role("navigation", name="Project management").get_by_role(
        "link", name="History").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == f"History of {dists.name}"
    assert_accessible(page)
    text = main_text(page)
    for filename in (dists.wheel.name, dists.sdist.name):
        assert re.search(rf"Token 'ci' uploaded {re.escape(filename)} from 127\.0\.0\.0/24 "
                         r"with twine \d", text)
    assert "token 'ci' (" in text

    page.get_by_label("Kind of event").select_option(label="File uploaded")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.locator("main table tbody tr").count() == 2

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = context.new_page()
        log_in(server, other, stranger, "/manage/projects/")
        response = other.goto(f"{server.url}/manage/project/{dists.name}/history/")
        assert response is not None and response.status == 404
        assert_accessible(other)
    finally:
        context.close()


def test_staff_search_events_by_user_and_kind_and_export_them(
        server: Server, page: Any, make_dists: Callable[..., Dists]) -> None:
    owner = person(server, prefix="au", totp=True)
    admin = person(server, prefix="au", staff=True, totp=True)
    dists = published(server, owner, make_dists)
    failed_login_recorded(server, owner, "198.51.100.23")

    log_in(server, page, admin, "/manage/audit/")
    assert page.get_by_role("heading", level=1).inner_text() == "Audit search"
    assert_accessible(page)

    page.get_by_label("User").fill(owner)
    page.get_by_label("Kind of event").select_option(
        label="File uploaded (project:file:uploaded)")
    page.get_by_label("From").fill("2000-01-01")
    page.get_by_role("button", name="Search", exact=True).last.click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.get_by_role("heading", level=2).first.inner_text() == "2 events"
    assert "Failed login" not in page.locator("main table").inner_text()

    # An address is matched by its network.
    page.goto(f"{server.url}/manage/audit/?ip=198.51.100.77&username={owner}")
    assert_accessible(page)
    assert "Failed login from 198.51.100.0/24 with Firefox 140" in main_text(page)

    # The CSV export holds the same events as the page.
    page.goto(f"{server.url}/manage/audit/?username={owner}&tag=project:file:uploaded")
    href = page.get_by_role("link", name="CSV").get_attribute("href")
    exported = page.request.get(f"{server.url}/manage/audit/{href}")
    assert exported.ok
    rows = list(csv.DictReader(io.StringIO(exported.text())))
    assert {row["filename"] for row in rows} == {dists.wheel.name, dists.sdist.name}
    assert {row["token_description"] for row in rows} == {"ci"}

    # Anyone else is told there is no such page.
    page.goto(f"{server.url}/accounts/logout/")
    page.get_by_role("main").get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    log_in(server, page, owner, "/manage/projects/")
    response = page.goto(f"{server.url}/manage/audit/")
    assert response is not None and response.status == 404
    assert_accessible(page)
