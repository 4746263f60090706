"""Staff find any project and set its PEP 792 status from its staff page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.vocabulary import Tag
from warden.packaging.models import Project
from warden.review.tests.conftest import logged_in, page_text


def status_url(project: Project) -> str:
    return reverse("review-project-status", args=[project.normalized_name])


def test_the_project_list_finds_projects_by_name_and_by_status(
        staff: Client, demo: Project, make_project) -> None:
    make_project("other-thing")
    Project.objects.filter(pk=demo.pk).update(status="quarantined", status_reason="bad")

    by_name = page_text(staff.get(reverse("review-projects"), {"q": "Demo_Pkg"}))
    by_status = page_text(staff.get(reverse("review-projects"), {"status": "quarantined"}))

    assert "Demo.Pkg" in by_name and "other-thing" not in by_name
    assert "Demo.Pkg" in by_status and "other-thing" not in by_status


def test_staff_quarantine_a_project_from_its_page_and_make_it_active_again(
        staff: Client, demo: Project) -> None:
    response = staff.post(status_url(demo), {"status": "quarantined", "reason": "stealer"})

    assert response.status_code == 302
    demo.refresh_from_db()
    assert (demo.status, demo.status_reason) == ("quarantined", "stealer")
    assert "is now quarantined" in page_text(staff.get(response["Location"]))
    assert Event.objects.filter(tag=Tag.PROJECT_QUARANTINED, actor_username="sam").exists()

    staff.post(status_url(demo), {"status": "active", "reason": ""})
    demo.refresh_from_db()
    assert (demo.status, demo.status_reason) == ("active", "")
    assert Event.objects.filter(tag=Tag.PROJECT_UNQUARANTINED).exists()


@pytest.mark.parametrize("status", ["archived", "deprecated"])
def test_staff_archive_or_deprecate_a_project_with_a_reason_recorded(
        staff: Client, demo: Project, status: str) -> None:
    staff.post(status_url(demo), {"status": status, "reason": "use new-thing"})

    demo.refresh_from_db()
    assert (demo.status, demo.status_reason) == (status, "use new-thing")
    event = Event.objects.get(tag=Tag.PROJECT_STATUS_CHANGED)
    assert event.details == {"status": status, "previous": "active", "reason": "use new-thing"}
    assert event.actor_username == "sam"


def test_a_status_other_than_active_needs_a_reason(staff: Client, demo: Project) -> None:
    response = staff.post(status_url(demo), {"status": "quarantined", "reason": " "})

    assert response.status_code == 400
    assert 'id="id_reason_error"' in response.content.decode()
    assert Project.objects.get(pk=demo.pk).status == "active"


def test_an_unknown_status_is_refused(staff: Client, demo: Project) -> None:
    response = staff.post(status_url(demo), {"status": "deleted", "reason": "x"})

    assert response.status_code == 400
    assert Project.objects.get(pk=demo.pk).status == "active"


def test_setting_the_status_asks_for_the_password_again_when_it_was_entered_long_ago(
        sam: User, demo: Project) -> None:
    client = logged_in(sam, reauthenticated=False)

    response = client.post(status_url(demo), {"status": "quarantined", "reason": "malware"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert Project.objects.get(pk=demo.pk).status == "active"


def test_an_owner_cannot_set_their_own_projects_status(alice: User, demo: Project) -> None:
    # alice owns demo but is not staff: the page does not exist for her.
    client = logged_in(alice)

    response = client.post(status_url(demo), {"status": "active", "reason": ""})

    assert response.status_code == 404
