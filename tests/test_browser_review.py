"""The staff review pages in a real browser: staff walk from the queue to a screening of a
file that twine uploaded, read its evidence (as text, whatever it holds), record a verdict by
keyboard alone, quarantine the project and release it again; on a server with a check
installed, they read its page, enable it and re-scan every file with it. The pages also at
320 px; axe runs on every page reached."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser import assert_accessible, log_in, person
from tests.clients import twine_upload
from tests.conftest import Server, server_running
from tests.dists import Dists
from tests.test_browser_accounts import focused, tab_to
from warden.checks.tests.conftest import plugin_install

pytestmark = pytest.mark.e2e

SCRIPT = "<script>alert(1)</script>"


def published(server: Server, owner: str, make_dists: Callable[..., Dists]) -> Dists:
    dists = make_dists(f"rv-{secrets.token_hex(4)}", "1.0")
    token = server.mint_token(owner, "--description", "ci", "--expires", "1d")
    result = twine_upload(server.url, dists.files, password=token)
    assert result.returncode == 0, result.describe()
    return dists


def screened(server: Server, filename: str) -> int:
    """A finished screening of the uploaded file `filename`: malicious by an enabled check
    (with evidence that is HTML), suspicious by a check in evaluation. Made as rows, as the
    worker would: the detection checks themselves are tested elsewhere."""
    out = server.shell(
        "from warden.checks.models import CheckResult, Screening\n"
        "from warden.packaging.models import File\n"
        f"f = File.objects.select_related('release__project').get(filename={filename!r})\n"
        "r = f.release\n"
        "s = Screening.objects.create(file=f, normalized_name=r.project.normalized_name,"
        " project_name=r.project.name, version=r.version, filename=f.filename,"
        " sha256=f.sha256, size=f.size, uploader=r.uploader, token_id=f.token_id,"
        " checks=['rv-enabled', 'rv-trial'], state='done', classification='malicious',"
        " confidence=0.99)\n"
        "CheckResult.objects.create(screening=s, check_name='rv-enabled', check_version=1,"
        " state='enabled', classification='malicious', confidence=0.99,"
        " message='runs code at import', evidence=[{'member': 'setup.py', 'lines': [1, 1],"
        f" 'rule': 'script', 'excerpt': {SCRIPT!r}}}])\n"
        "CheckResult.objects.create(screening=s, check_name='rv-trial', check_version=1,"
        " state='evaluation', classification='suspicious', confidence=0.4,"
        " message='new project')\n"
        "print(s.pk)\n")
    return int(out.splitlines()[-1])


def project_status(server: Server, name: str) -> str:
    return server.shell(
        "from warden.packaging.models import Project\n"
        f"print(Project.objects.get(normalized_name={name!r}).status)\n").splitlines()[-1]


def fits(page: Any, width: int) -> None:
    """Nothing makes the page itself scroll sideways (WCAG 1.4.10, reflow)."""
    page.set_viewport_size({"width": width, "height": 800})
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate("""(width) => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > width)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
        .slice(0, 8)""", width)
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide at {width} px: {wide}"
    assert_accessible(page)


def message(page: Any) -> str:
    return str(page.locator(".messages").inner_text())


def test_staff_review_a_screening_then_quarantine_and_release_the_project(
        server: Server, page: Any, make_dists: Callable[..., Dists]) -> None:
    owner = person(server, prefix="rv", totp=True)
    admin = person(server, prefix="rv", staff=True, totp=True)
    dists = published(server, owner, make_dists)
    screening = screened(server, dists.wheel.name)
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))

    # The queue: the enabled check's malicious result first, the evaluation one after.
    log_in(server, page, admin, "/staff/screening/")
    assert page.get_by_role("heading", level=1).inner_text() == "Screening review queue"
    assert_accessible(page)
    rows = page.locator("main table tbody tr").filter(has_text=dists.wheel.name)
    assert rows.count() == 2
    assert "malicious" in rows.nth(0).inner_text()
    assert "evaluation" in rows.nth(1).inner_text()
    page.get_by_label("Classification").select_option(label="suspicious")
    page.get_by_label("Project", exact=True).fill(dists.name)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert_accessible(page)
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1
    assert "rv-trial" in rows.first.inner_text()
    page.get_by_role("link", name="Clear filters").click()
    page.wait_for_load_state()

    # The screening: the file, its uploader and token, the evidence as text.
    page.locator("main table tbody tr").filter(has_text=dists.wheel.name).first.get_by_role(
        "link").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/staff/screening/{screening}/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        f"Screening of {dists.wheel.name}")
    assert_accessible(page)
    main = page.locator("main")
    assert owner in main.inner_text()
    assert main.locator("pre code").first.inner_text() == SCRIPT
    assert main.locator("script").count() == 0
    assert alerts == []
    members = page.get_by_role("region", name="Files in the archive").inner_text()
    assert "METADATA" in members

    # A verdict by keyboard alone: Tab to the first choice, Space, Tab to the note, Tab to
    # the button, Enter.
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    result_id = page.locator("form[action*='/review/']").first.get_attribute("action")
    assert result_id is not None
    prefix = "r" + result_id.rstrip("/").split("/")[-2]
    tab_to(page, name=f"{prefix}-review")
    assert focused(page)["type"] == "radio"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == f"{prefix}-note"
    page.keyboard.type("a dropper, confirmed")
    page.keyboard.press("Tab")
    assert focused(page)["tag"] == "button"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_accessible(page)
    assert "Your review of the rv-enabled result is saved." in message(page)
    assert "a dropper, confirmed" in main.inner_text()

    # Quarantine the project, then release it.
    page.get_by_label("Reason").first.fill("runs code at import")
    page.get_by_role("button", name="Quarantine the project").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert "is quarantined: none of its files can be installed" in message(page)
    assert project_status(server, dists.name) == "quarantined"
    page.get_by_role("link", name=dists.name, exact=True).first.click()
    page.wait_for_load_state()
    assert "This project is quarantined." in page.locator("main").inner_text()
    page.go_back()
    page.wait_for_load_state()

    page.get_by_role("button", name="Release the project from quarantine").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert "is released from quarantine" in message(page)
    assert project_status(server, dists.name) == "active"

    # Every staff page at 320 px.
    for path in (f"/staff/screening/{screening}/", "/staff/screening/",
                 "/staff/screening/failed/", "/staff/checks/"):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(server.url + path)
        assert_accessible(page)
        fits(page, 320)


def test_staff_find_a_project_and_quarantine_it_by_keyboard_from_its_page(
        server: Server, page: Any, make_dists: Callable[..., Dists]) -> None:
    owner = person(server, prefix="rv", totp=True)
    admin = person(server, prefix="rv", staff=True, totp=True)
    dists = published(server, owner, make_dists)

    log_in(server, page, admin, "/staff/projects/")
    assert_accessible(page)
    page.get_by_label("Name contains").fill(dists.name)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.locator("main table tbody tr").get_by_role("link", name=dists.name).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == f"Project {dists.name}"
    assert_accessible(page)
    fits(page, 320)
    page.set_viewport_size({"width": 1280, "height": 900})

    # By keyboard: Tab to the checked radio (active), arrow down to archived, deprecated,
    # quarantined; Tab to the reason; Tab to the button; Enter.
    tab_to(page, name="status")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "reason"
    page.keyboard.type("a stealer in 1.0")
    page.keyboard.press("Tab")
    assert focused(page)["tag"] == "button"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_accessible(page)
    assert f"{dists.name} is now quarantined." in message(page)
    assert project_status(server, dists.name) == "quarantined"
    assert "a stealer in 1.0" in page.locator("main").inner_text()


def test_the_staff_pages_are_not_found_for_anyone_else(server: Server, page: Any) -> None:
    stranger = person(server, prefix="rv", totp=True)
    log_in(server, page, stranger, "/")
    for path in ("/staff/screening/", "/staff/checks/", "/staff/projects/"):
        response = page.goto(server.url + path)
        assert response is not None and response.status == 404
    assert_accessible(page)


# A check as a third party ships one (a module and its distribution's entry point), for a
# server of its own: it finds a marker in a package's Python files.
PROBE = '''
from warden.checks.base import CLEAN, Check, Classification, Evidence, State, Verdict


class Probe(Check):
    name = "rv-probe"
    version = 1
    summary = "finds the RV-PROBE marker"
    description = "Flags Python files that carry the RV-PROBE marker.\\n\\nFor the tests."
    default_state = State.EVALUATION

    def scan(self, artifact):
        for member, text in artifact.archive.texts():
            for number, line in enumerate(text.splitlines(), 1):
                if "RV-PROBE" in line:
                    return Verdict(Classification.SUSPICIOUS, 0.7, "RV-PROBE marker",
                                   (Evidence(member=member, lines=(number, number),
                                             rule="rv-probe", excerpt=line),))
        return CLEAN
'''
MARKER = 'PROBE = "<b>RV-PROBE</b>"\n'


@pytest.fixture(scope="module")
def probe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    site = tmp_path_factory.mktemp("rv-probe-site")
    plugin_install(site, module="rv_probe_check", source=PROBE,
                   entry_points={"rv-probe": "rv_probe_check:Probe"})

    def with_probe(srv: Server) -> None:
        srv.env["PYTHONPATH"] = str(site)

    with server_running(tmp_path_factory, prepare=with_probe) as (srv, _):
        yield srv


def screenings_done(server: Server, name: str) -> int:
    return int(server.shell(
        "from warden.checks.models import Screening\n"
        f"print(Screening.objects.filter(normalized_name={name!r}, state='done').count())\n"
    ).splitlines()[-1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_staff_enable_a_check_and_re_scan_every_file_with_it(
        probe_server: Server, page: Any, make_dists: Callable[..., Dists]) -> None:
    server = probe_server
    owner = person(server, prefix="rv", totp=True)
    admin = person(server, prefix="rv", staff=True, totp=True)
    dists = make_dists(f"rv-{secrets.token_hex(4)}", "1.0", marker=MARKER)
    token = server.mint_token(owner, "--expires", "1d")
    assert twine_upload(server.url, dists.files, password=token).returncode == 0
    # The worker screens both files with the check, in evaluation.
    wait_for(lambda: screenings_done(server, dists.name) == 2, "the upload's screenings")

    log_in(server, page, admin, "/staff/checks/")
    assert page.get_by_role("heading", level=1).inner_text() == "Malware checks"
    assert_accessible(page)
    row = page.locator("main table tbody tr").filter(has_text="rv-probe")
    assert [c.strip() for c in row.locator("td").all_inner_texts()] == [
        "1", "evaluation", "2", "2", "0", "not enough reviews"]
    fits(page, 320)
    page.set_viewport_size({"width": 1280, "height": 900})

    row.get_by_role("link", name="rv-probe").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Check rv-probe"
    assert_accessible(page)
    assert "Flags Python files that carry the RV-PROBE marker." in page.locator(
        "main").inner_text()

    page.get_by_role("combobox", name="State").select_option(label="enabled")
    page.get_by_role("button", name="Save state").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert "The check rv-probe is now in the enabled state." in message(page)

    page.get_by_role("button", name="Re-scan all files").click()
    page.wait_for_load_state()
    assert "Re-scanning 2 files with rv-probe." in message(page)
    progress = page.get_by_role("region", name="Re-scans of this check, newest first")

    def finished() -> bool:
        page.reload()
        return "2 of 2 files · finished" in progress.inner_text()

    wait_for(finished, "the re-scan")
    assert_accessible(page)
    fits(page, 320)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Its results, from the upload and from the re-scan, wait in the queue.
    page.get_by_role("link", name="Its results waiting for review").click()
    page.wait_for_load_state()
    assert_accessible(page)
    rows = page.locator("main table tbody tr")
    assert rows.count() == 4
    rows.first.get_by_role("link").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.locator("main pre code").first.inner_text() == MARKER.strip()
    assert page.locator("main b").count() == 0
