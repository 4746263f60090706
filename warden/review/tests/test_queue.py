"""The review queue: flagged results, the most severe first, filtered; and the page of
checks that failed."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from warden.checks.models import CheckResult, Screening
from warden.packaging.names import name_normalize
from warden.review.tests.conftest import page_text, result_of, screening_of

QUEUE = reverse("review-queue")
SCREENING_LINK = re.compile(r'href="/staff/screening/(\d+)/"')


def aged(result: CheckResult, days: int) -> CheckResult:
    CheckResult.objects.filter(pk=result.pk).update(
        created=timezone.now() - timedelta(days=days))
    return result


def named(name: str, version: str = "1.0") -> Screening:
    return screening_of(normalized_name=name_normalize(name), project_name=name, version=version,
                        filename=f"{name}-{version}.tar.gz")


def listed(client: Client, query: str = "") -> list[int]:
    """The screenings the queue links to, in its order."""
    return [int(n) for n in SCREENING_LINK.findall(page_text(client.get(QUEUE + query)))]


def test_the_queue_lists_malicious_first_then_the_most_confident_then_the_oldest(
        staff: Client) -> None:
    suspicious_sure = result_of(named("a"), classification="suspicious", confidence=0.9)
    malicious_unsure = result_of(named("b"), classification="malicious", confidence=0.4)
    malicious_sure_new = aged(result_of(named("c"), classification="malicious",
                                        confidence=0.95), days=1)
    malicious_sure_old = aged(result_of(named("d"), classification="malicious",
                                        confidence=0.95), days=5)
    suspicious_unsure = result_of(named("e"), classification="suspicious", confidence=0.3)

    assert listed(staff) == [r.screening_id for r in (
        malicious_sure_old, malicious_sure_new, malicious_unsure, suspicious_sure,
        suspicious_unsure)]


def test_the_queue_leaves_out_clean_indeterminate_and_failed_results(staff: Client) -> None:
    flagged = result_of(named("flagged"), classification="suspicious")
    result_of(named("clean"), classification="clean", confidence=1.0)
    result_of(named("unsure"), classification="indeterminate")
    result_of(named("broken"), classification="", error="ValueError: boom")

    assert listed(staff) == [flagged.screening_id]


def test_the_queue_shows_unreviewed_results_unless_asked_for_reviewed_ones(
        staff: Client) -> None:
    waiting = result_of(named("waiting"))
    right = result_of(named("right"), review="true_positive")
    wrong = result_of(named("wrong"), review="false_positive")

    assert listed(staff) == [waiting.screening_id]
    assert listed(staff, "?review=true_positive") == [right.screening_id]
    assert listed(staff, "?review=false_positive") == [wrong.screening_id]
    assert sorted(listed(staff, "?review=any")) == sorted(
        r.screening_id for r in (waiting, right, wrong))


def test_the_queue_filters_by_check_classification_project_and_check_state(
        staff: Client) -> None:
    screening = named("Some.Project")
    by_probe = result_of(screening, check="t-probe", classification="malicious")
    by_other = result_of(screening, check="t-other", classification="suspicious",
                         state="evaluation")
    elsewhere = result_of(named("elsewhere"), check="t-probe", classification="suspicious")

    assert listed(staff, "?check=t-other") == [by_other.screening_id]
    assert listed(staff, "?classification=malicious") == [by_probe.screening_id]
    assert sorted(listed(staff, "?classification=suspicious")) == sorted(
        [by_other.screening_id, elsewhere.screening_id])
    assert listed(staff, "?project=some_project&check=t-probe") == [screening.pk]
    assert listed(staff, "?state=evaluation") == [by_other.screening_id]
    assert listed(staff, "?state=enabled&project=elsewhere") == [elsewhere.screening_id]


def test_the_queue_says_which_results_come_from_checks_in_evaluation(staff: Client) -> None:
    result_of(named("trial"), check="t-new", state="evaluation", message="looks odd")

    row = re.search(r"<tr>.*?</tr>", page_text(staff.get(QUEUE)).split("<tbody>")[1],
                    re.DOTALL)
    assert row is not None
    assert "t-new" in row.group(0)
    assert "evaluation" in row.group(0)
    assert "looks odd" in row.group(0)


def test_a_filter_value_that_does_not_exist_is_refused(staff: Client) -> None:
    result_of(named("any"))

    assert staff.get(QUEUE + "?classification=clean").status_code == 400
    assert staff.get(QUEUE + "?check=no-such-check").status_code == 400


def test_the_queue_is_paginated(staff: Client) -> None:
    for number in range(27):
        result_of(named(f"p{number}"), confidence=number / 100)

    first, second = listed(staff), listed(staff, "?page=2")
    assert len(first) == 25
    assert len(second) == 2
    assert not set(first) & set(second)


def test_the_failed_checks_page_lists_errors_with_their_last_line(staff: Client) -> None:
    failed = result_of(named("crashing"), check="t-crash", classification="",
                       error="Traceback (most recent call last):\n  File x\n"
                             "ValueError: a bug in <the> check\n")
    result_of(named("fine"), check="t-crash", classification="malicious")
    result_of(named("fine"), check="t-other", classification="clean")

    html = page_text(staff.get(reverse("review-failed")))
    assert [int(n) for n in SCREENING_LINK.findall(html)] == [failed.screening_id]
    assert "ValueError: a bug in &lt;the&gt; check" in html
    assert "Traceback" not in html

    assert SCREENING_LINK.findall(page_text(staff.get(
        reverse("review-failed") + "?check=t-other"))) == []
    assert staff.get(reverse("review-failed") + "?check=no-such-check").status_code == 400
