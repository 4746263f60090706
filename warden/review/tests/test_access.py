"""Who may see the staff review pages: active staff with a second factor. Anyone else is
told there is no such page (404), after logging in if they had not, as on the audit search;
staff without a second factor are sent to set one up."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from warden.accounts.models import User
from warden.checks.models import CheckResult, Screening
from warden.packaging.models import Project
from warden.review.tests.conftest import file_of, logged_in, result_of, screening_of


@pytest.fixture
def result(demo: Project, probe: type) -> CheckResult:
    return result_of(screening_of(file_of(demo)), classification="malicious")


def pages(screening: Screening) -> list[str]:
    return [reverse("review-queue"), reverse("review-failed"),
            reverse("review-screening", args=[screening.pk]), reverse("review-checks"),
            reverse("review-check", args=["t-probe"]), reverse("review-projects"),
            reverse("review-project", args=[screening.normalized_name])]


def actions(result: CheckResult) -> list[str]:
    screening = result.screening_id
    return [reverse("review-result-review", args=[screening, result.pk]),
            *(reverse(name, args=[screening]) for name in (
                "review-project-quarantine", "review-project-unquarantine",
                "review-release-quarantine", "review-release-unquarantine",
                "review-project-remove")),
            reverse("review-check-state", args=["t-probe"]),
            reverse("review-check-backfill", args=["t-probe"]),
            reverse("review-project-status", args=[result.screening.normalized_name])]


def test_anonymous_visitors_are_sent_to_log_in_first(result: CheckResult) -> None:
    for url in pages(result.screening):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


def test_people_who_are_not_staff_get_404_on_every_page_and_action(
        result: CheckResult, alice: User, mallory: User) -> None:
    for user in (alice, mallory):
        client = logged_in(user)
        for url in pages(result.screening):
            assert client.get(url).status_code == 404, (user, url)
        for url in actions(result):
            assert client.post(url, {"r1-review": "false_positive",
                                     "project-reason": "x"}).status_code == 404, (user, url)
    result.refresh_from_db()
    assert result.review == "unreviewed"
    assert Project.objects.get(pk=result.screening.file.release.project_id).status == "active"


def test_staff_without_a_second_factor_are_sent_to_set_one_up(result: CheckResult) -> None:
    newcomer = User.objects.create_user(username="nina", email="nina@example.invalid",
                                        is_staff=True)
    client = Client()
    client.force_login(newcomer)
    response = client.get(reverse("review-queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_index"))


def test_staff_see_every_page(result: CheckResult, staff: Client) -> None:
    for url in pages(result.screening):
        assert staff.get(url).status_code == 200, url


def test_the_admin_front_page_links_to_the_staff_pages(staff: Client) -> None:
    html = staff.get(reverse("admin:index")).content.decode()
    for name in ("review-queue", "review-checks", "audit-staff-search"):
        assert f'href="{reverse(name)}"' in html, name
