"""`warden project status`: operators see and set a project's PEP 792 status."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from warden.audit.models import Event
from warden.audit.vocabulary import Tag
from warden.packaging.models import Project


def run(*args: str) -> str:
    out = StringIO()
    call_command("project", "status", *args, stdout=out)
    return out.getvalue()


def test_the_command_shows_the_status_by_any_spelling_of_the_name(demo: Project) -> None:
    assert run("DEMO") == f"{demo.name}: active\n"


def test_an_operator_quarantines_a_project_with_a_reason_and_it_is_audited(
        demo: Project) -> None:
    assert run(demo.name, "quarantined", "--reason", "a stealer") == f"{demo.name}: quarantined\n"

    demo.refresh_from_db()
    assert (demo.status, demo.status_reason) == ("quarantined", "a stealer")
    event = Event.objects.get(tag=Tag.PROJECT_QUARANTINED)
    assert event.actor_id is None and event.details["via"] == "warden project status"
    assert run(demo.name) == f"{demo.name}: quarantined (a stealer)\n"


def test_a_status_other_than_active_needs_a_reason(demo: Project) -> None:
    with pytest.raises(CommandError, match="--reason is required"):
        run(demo.name, "archived")
    assert Project.objects.get(pk=demo.pk).status == "active"


def test_setting_the_same_status_again_says_so(demo: Project) -> None:
    run(demo.name, "deprecated", "--reason", "use other")
    with pytest.raises(CommandError, match="already has that status"):
        run(demo.name, "deprecated", "--reason", "use other")


def test_an_unknown_project_is_an_error(db: None) -> None:
    with pytest.raises(CommandError, match="no project is named"):
        run("nope")
