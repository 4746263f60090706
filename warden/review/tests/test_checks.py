"""The checks pages: every installed check with its state and how often reviewers found it
right, a check's page with its state form and its re-scans (backfills)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.vocabulary import Tag
from warden.checks.models import Backfill, CheckConfig, Screening
from warden.checks.services import backfill_queue
from warden.packaging.models import File, Project
from warden.review.tests.conftest import logged_in, page_text, result_of, screening_of

CHECKS = reverse("review-checks")
PROBE = reverse("review-check", args=["t-probe"])


def probe_row(html: str) -> str:
    match = re.search(r"<tr>\s*<th scope=\"row\"><a href=\"/staff/checks/t-probe/\">.*?</tr>",
                      html, re.DOTALL)
    assert match, html
    return match.group(0)


def cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row,
                                                                   re.DOTALL)]


def test_the_checks_page_lists_each_installed_check_with_its_state_and_counts(
        staff: Client, probe: Any) -> None:
    screening = screening_of()
    result_of(screening, check="t-probe", check_version=2, classification="malicious",
              review="true_positive")
    result_of(screening_of(), check="t-probe", check_version=2, classification="suspicious",
              review="false_positive")
    result_of(screening_of(), check="t-probe", check_version=2, classification="suspicious",
              review="true_positive")
    result_of(screening_of(), check="t-probe", check_version=2, classification="clean")
    result_of(screening_of(), check="t-probe", check_version=2, classification="")
    # The old version's results count for the old version only.
    result_of(screening_of(), check="t-probe", check_version=1, classification="malicious",
              review="false_positive")

    row = probe_row(page_text(staff.get(CHECKS)))

    assert "looks for probes" in row
    # version, state, scanned, flagged, errors, precision
    assert cells(row) == ["2", "evaluation", "5", "3", "1",
                          "67% (2 of 3 reviewed results right)"]


def test_precision_says_not_enough_reviews_until_a_flagged_result_is_reviewed(
        staff: Client, probe: Any) -> None:
    result_of(screening_of(), check="t-probe", check_version=2, classification="malicious")

    assert cells(probe_row(page_text(staff.get(CHECKS))))[-1] == "not enough reviews"
    assert "not enough reviews" in page_text(staff.get(PROBE))


def test_the_check_page_shows_its_description_escaped_and_its_hooks(
        staff: Client, probe: Any) -> None:
    html = page_text(staff.get(PROBE))

    assert "Check t-probe" in html
    assert "Finds &lt;b&gt;probes&lt;/b&gt;." in html
    assert "<p>A second paragraph.</p>" in html
    assert "every uploaded file; the first file of each new project" in html
    assert 'option value="evaluation" selected' in html


def test_a_check_that_is_not_installed_has_no_page(staff: Client, probe: Any) -> None:
    result_of(screening_of(), check="t-gone")
    assert staff.get(reverse("review-check", args=["t-gone"])).status_code == 404
    assert staff.post(reverse("review-check-state", args=["t-gone"]),
                      {"state": "enabled"}).status_code == 404


def test_staff_change_a_checks_state_and_it_is_an_audit_event(
        staff: Client, probe: Any) -> None:
    response = staff.post(reverse("review-check-state", args=["t-probe"]), {"state": "enabled"})

    assert response.status_code == 302
    assert CheckConfig.objects.get(name="t-probe").state == "enabled"
    event = Event.objects.get(tag=Tag.STAFF_CHECK_STATE_CHANGED)
    assert (event.actor_username, event.details["state"]) == ("sam", "enabled")
    html = page_text(staff.get(PROBE))
    assert "The check t-probe is now in the enabled state." in html
    assert 'option value="enabled" selected' in html
    assert cells(probe_row(page_text(staff.get(CHECKS))))[1] == "enabled"


def test_a_state_change_needs_a_recent_password_and_a_known_state(
        staff: Client, probe: Any, sam: User) -> None:
    url = reverse("review-check-state", args=["t-probe"])
    assert staff.post(url, {"state": "on"}).status_code == 400

    response = logged_in(sam, reauthenticated=False).post(url, {"state": "disabled"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not CheckConfig.objects.exists()


def test_a_backfill_screens_every_stored_file_and_shows_its_progress(
        staff: Client, probe: Any, demo: Project) -> None:
    response = staff.post(reverse("review-check-backfill", args=["t-probe"]))

    assert response.status_code == 302
    backfill = Backfill.objects.get()
    stored = sorted(File.objects.values_list("filename", flat=True))
    assert len(stored) == 4
    assert (backfill.check_name, backfill.check_version, backfill.total) == ("t-probe", 2, 4)
    screenings = Screening.objects.filter(backfill=backfill)
    assert not screenings.exists()   # queued by the worker, not in the request
    assert backfill_queue(backfill_id=backfill.pk) == 4   # the backfill_fill task's work
    assert sorted(screenings.values_list("filename", flat=True)) == stored
    assert all(s.checks == ["t-probe"] for s in screenings)
    assert Event.objects.filter(tag=Tag.STAFF_CHECK_BACKFILL_STARTED,
                                actor_username="sam").exists()

    html = page_text(staff.get(PROBE))
    assert "Re-scanning 4 files with t-probe." in html
    assert "0 of 4 files" in html

    screenings.filter(pk=screenings.first().pk).update(state="done")  # type: ignore[union-attr]
    html = page_text(staff.get(PROBE))
    assert "1 of 4 files" in html
    assert "finished" not in html.split('id="backfills-caption"')[1]

    screenings.update(state="done")
    assert "4 of 4 files · finished" in page_text(staff.get(PROBE))
