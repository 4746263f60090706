"""One screening's page: the file, who uploaded it with which token, the verdicts with their
evidence (shown as text, whatever it holds), the archive's members and metadata, the
project's history; and what staff do from it: review a result, quarantine and release,
remove the project and prohibit its name."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.vocabulary import Tag
from warden.checks.models import CheckResult, Screening
from warden.packaging.models import File, ProhibitedName, Project, Release
from warden.review.tests.conftest import file_of, logged_in, page_text, result_of, screening_of

SCRIPT = "<script>alert(1)</script>"


def url(screening: Screening) -> str:
    return reverse("review-screening", args=[screening.pk])


def action(name: str, screening: Screening) -> str:
    return reverse(name, args=[screening.pk])


@pytest.fixture
def screening(demo: Project, alice: User) -> Screening:
    """demo's sdist 1.0, uploaded by alice with a token, found malicious by t-probe (which
    quarantined the project) and clean by t-other."""
    file = file_of(demo)
    File.objects.filter(pk=file.pk).update(token_id="tok-1234abcd")
    Release.objects.filter(pk=file.release_id).update(uploader=alice)
    file.refresh_from_db()
    screening = screening_of(file, classification="malicious", confidence=0.97,
                             action="quarantined-project", checks=["t-probe", "t-other"])
    result_of(screening, check="t-probe", classification="malicious", confidence=0.97,
              message="found a dropper", evidence=[
                  {"member": "demo_pkg-1.0/setup.py", "lines": [3, 4], "rule": "exec-b64",
                   "excerpt": "exec(base64.b64decode('aGk='))"}])
    result_of(screening, check="t-other", classification="clean", confidence=1.0,
              state="evaluation", message="nothing found")
    return screening


def result(screening: Screening, check: str = "t-probe") -> CheckResult:
    return screening.results.get(check_name=check)


def test_the_page_shows_the_file_its_uploader_token_verdict_and_action(
        staff: Client, screening: Screening) -> None:
    html = page_text(staff.get(url(screening)))

    assert f"Screening of {screening.filename}" in html
    assert f'href="{reverse("project", args=["demo-pkg"])}"' in html
    assert screening.sha256 in html
    assert "1.5\xa0KB" in html
    assert f'href="{reverse("user", args=["alice"])}"' in html
    assert "tok-1234abcd" in html
    assert "The project was quarantined automatically." in html
    assert "with 97% confidence" in html
    assert "found a dropper" in html
    assert "demo_pkg-1.0/setup.py" in html
    assert "lines 3\u20134" in html
    assert "exec-b64" in html
    assert "exec(base64.b64decode(&#x27;aGk=&#x27;))" in html
    # The evaluation check's clean result is shown, marked as evaluation.
    assert "t-other, version 1" in html
    assert "never acts" in html
    # Release metadata, as text.
    assert "A demonstration package" in html
    assert "javascript:alert(1)" in html
    assert 'href="javascript:' not in html


def test_evidence_and_messages_holding_html_are_shown_escaped_as_text(
        staff: Client, screening: Screening) -> None:
    result_of(screening, check="t-html", message=f"message {SCRIPT}", error=f"error {SCRIPT}",
              evidence=[{"member": f"m/{SCRIPT}.py", "lines": None, "rule": f"r{SCRIPT}",
                         "excerpt": f"x = '{SCRIPT}'"}])

    html = page_text(staff.get(url(screening)))

    assert SCRIPT not in html
    assert "<script" not in html.split("<main", 1)[1]
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for shown in (f"message {escaped}", f"error {escaped}", f"m/{escaped}.py",
                  f"r{escaped}", f"x = &#x27;{escaped}&#x27;"):
        assert shown in html


def test_the_page_lists_the_archive_members_from_storage(
        staff: Client, screening: Screening, storage_dir: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("demo_pkg/__init__.py", "print('hi')\n")
        archive.writestr("demo_pkg/<b>odd</b>.py", "")
    default_storage.save(f"packages/{screening.file.path}", ContentFile(buffer.getvalue()))

    html = page_text(staff.get(url(screening)))
    members = html.split('id="members-heading"')[1].split("</section>")[0]
    assert "demo_pkg/__init__.py" in members
    assert "demo_pkg/&lt;b&gt;odd&lt;/b&gt;.py" in members


def test_a_file_missing_from_storage_is_said_to_be_unreadable(
        staff: Client, screening: Screening, storage_dir: Path) -> None:
    assert "The stored file could not be read." in page_text(staff.get(url(screening)))


def test_a_deleted_projects_screening_keeps_its_names_and_results_without_actions(
        staff: Client, screening: Screening) -> None:
    Project.objects.filter(pk=screening.file.release.project_id).delete()

    html = page_text(staff.get(url(screening)))

    assert "Demo.Pkg" in html
    assert "(removed)" in html
    assert "found a dropper" in html
    assert "The file was deleted" in html
    assert "The project no longer exists" in html
    assert 'href="/project/demo-pkg/"' not in html
    assert staff.post(action("review-project-quarantine", screening),
                      {"project-reason": "x"}).status_code == 404


def test_a_project_registered_later_under_the_name_is_not_acted_on(
        staff: Client, screening: Screening, make_project: object) -> None:
    Project.objects.filter(pk=screening.file.release.project_id).delete()
    Screening.objects.filter(pk=screening.pk).update(created=screening.created.replace(
        year=screening.created.year - 1))
    newcomer = make_project("Demo.Pkg", {"1.0": {}})  # type: ignore[operator]

    html = page_text(staff.get(url(screening)))

    assert "The project no longer exists" in html
    assert staff.post(action("review-project-quarantine", screening),
                      {"project-reason": "x"}).status_code == 404
    newcomer.refresh_from_db()
    assert newcomer.status == "active"


def test_a_review_verdict_is_saved_shown_and_recorded_as_an_audit_event(
        staff: Client, screening: Screening, sam: User) -> None:
    probe = result(screening)
    response = staff.post(reverse("review-result-review", args=[screening.pk, probe.pk]),
                          {f"r{probe.pk}-review": "true_positive",
                           f"r{probe.pk}-note": "drops a <b>miner</b>"})

    assert response.status_code == 302
    assert response["Location"] == url(screening)
    probe.refresh_from_db()
    assert (probe.review, probe.review_note, probe.reviewer) == (
        "true_positive", "drops a <b>miner</b>", sam)
    event = Event.objects.get(tag=Tag.STAFF_CHECK_RESULT_REVIEWED)
    assert event.actor_username == "sam"
    assert event.details["verdict"] == "true_positive"

    html = page_text(staff.get(url(screening)))
    assert "Your review of the t-probe result is saved." in html
    assert "true positive" in html
    assert "drops a &lt;b&gt;miner&lt;/b&gt;" in html
    assert re.search(rf'value="true_positive"[^>]*id="id_r{probe.pk}-review_0"[^>]*checked'
                     rf'|checked[^>]*id="id_r{probe.pk}-review_0"', html)
    # The project's history on the page holds the review.
    history = html.split('id="history-heading"')[1]
    assert "Staff member sam reviewed a result of the check t-probe" in history


def test_a_review_without_a_verdict_is_refused_and_the_form_says_why(
        staff: Client, screening: Screening) -> None:
    probe = result(screening)
    response = staff.post(reverse("review-result-review", args=[screening.pk, probe.pk]),
                          {f"r{probe.pk}-note": "hmm"})

    assert response.status_code == 400
    assert f'id="id_r{probe.pk}-review_error"' in response.content.decode()
    probe.refresh_from_db()
    assert probe.review == "unreviewed"


def test_a_result_is_reviewed_only_from_its_own_screening(
        staff: Client, screening: Screening) -> None:
    other = screening_of(filename="other-1.0.tar.gz")
    probe = result(screening)
    response = staff.post(reverse("review-result-review", args=[other.pk, probe.pk]),
                          {f"r{probe.pk}-review": "false_positive"})
    assert response.status_code == 404


def test_staff_quarantine_the_project_and_release_it_again(
        staff: Client, screening: Screening) -> None:
    project = Project.objects.get(normalized_name="demo-pkg")

    response = staff.post(action("review-project-quarantine", screening),
                          {"project-reason": "a dropper in setup.py"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.status_reason) == ("quarantined", "a dropper in setup.py")
    html = page_text(staff.get(url(screening)))
    assert "is quarantined: none of its files can be installed" in html
    assert "Release the project from quarantine" in html
    assert Event.objects.filter(tag=Tag.PROJECT_QUARANTINED, actor_username="sam").exists()

    # Twice is a no-op the page explains.
    staff.post(action("review-project-quarantine", screening), {"project-reason": "again"})
    assert "is already quarantined" in page_text(staff.get(url(screening)))

    staff.post(action("review-project-unquarantine", screening))
    project.refresh_from_db()
    assert project.status == "active"
    assert "is released from quarantine" in page_text(staff.get(url(screening)))


def test_staff_quarantine_the_release_alone_and_release_it_again(
        staff: Client, screening: Screening) -> None:
    release = screening.file.release

    staff.post(action("review-release-quarantine", screening),
               {"release-reason": "this version only"})
    release.refresh_from_db()
    assert release.quarantined
    assert Project.objects.get(pk=release.project_id).status == "active"
    assert "End the quarantine of this release" in page_text(staff.get(url(screening)))

    staff.post(action("review-release-unquarantine", screening))
    release.refresh_from_db()
    assert not release.quarantined


def test_quarantine_needs_a_reason(staff: Client, screening: Screening) -> None:
    response = staff.post(action("review-project-quarantine", screening), {"project-reason": ""})

    assert response.status_code == 400
    assert 'id="id_project-reason_error"' in response.content.decode()
    assert Project.objects.get(normalized_name="demo-pkg").status == "active"


def test_quarantine_asks_for_the_password_again_when_it_was_entered_long_ago(
        screening: Screening, sam: User) -> None:
    client = logged_in(sam, reauthenticated=False)

    response = client.post(action("review-project-quarantine", screening),
                           {"project-reason": "malware"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert Project.objects.get(normalized_name="demo-pkg").status == "active"


def test_removing_the_project_prohibits_its_name_and_keeps_the_screening(
        staff: Client, screening: Screening) -> None:
    response = staff.post(action("review-project-remove", screening),
                          {"remove-confirm_name": "Demo.Pkg", "remove-reason": "malware"})

    assert response.status_code == 302
    assert not Project.objects.filter(normalized_name="demo-pkg").exists()
    assert ProhibitedName.objects.get(normalized_name="demo-pkg").reason == "malware"
    assert Event.objects.filter(tag=Tag.STAFF_PROJECT_REMOVED, actor_username="sam").exists()
    assert Event.objects.filter(tag=Tag.STAFF_NAME_PROHIBITED, actor_username="sam").exists()
    html = page_text(staff.get(url(screening)))
    assert "is removed and its name is prohibited" in html
    assert "found a dropper" in html


def test_removing_needs_the_project_name_typed(staff: Client, screening: Screening) -> None:
    response = staff.post(action("review-project-remove", screening),
                          {"remove-confirm_name": "demo"})

    assert response.status_code == 400
    assert "Type the project&#x27;s name, Demo.Pkg, to confirm." in response.content.decode()
    assert Project.objects.filter(normalized_name="demo-pkg").exists()
    assert not ProhibitedName.objects.exists()


def test_actions_are_posts_only(staff: Client, screening: Screening) -> None:
    for name in ("review-project-quarantine", "review-project-remove"):
        assert staff.get(action(name, screening)).status_code == 405
