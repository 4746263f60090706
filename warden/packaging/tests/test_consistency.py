"""`warden check`: each inconsistency a crash (or a disk) could leave is found, and a
consistent index passes.

The index here is real: alice uploads a wheel and an sdist through the upload endpoint and
the worker and publisher run, so the rows, bytes and pages are the ones `warden serve`
writes. Each test then breaks one thing the way a crash or a bad disk would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from warden.cli import command_args
from warden.packaging.consistency import Report, index_check
from warden.packaging.models import File, PendingChange, SimplePage
from warden.packaging.pages import page_path
from warden.packaging.tasks import storage_remove
from warden.packaging.tests.conftest import MakeDist, Upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(client: Client, alice_token: str, make_wheel: MakeDist, make_sdist: MakeDist,
              upload: Upload, run_tasks: Callable[[], None]) -> list[File]:
    for dist in (make_wheel("demo", "1.0"), make_sdist("demo", "1.0")):
        assert upload(client, alice_token, dist).status_code == 200
    run_tasks()
    assert not PendingChange.objects.exists()
    return list(File.objects.order_by("filename"))


def kinds(report: Report) -> list[str]:
    return sorted(p.kind for p in report.problems)


def check_command(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("consistency", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_a_freshly_published_index_is_consistent(published: list[File]) -> None:
    report = index_check(verify_hashes=True)

    assert report.problems == [] and report.notes == []
    assert report.checked["files"] == 2
    assert report.checked["stored objects"] == 3  # wheel, its .metadata, sdist
    assert report.checked["pages"] == 2  # demo and the root index
    assert check_command()[0] == 0
    assert "consistent" in check_command("--verify-hashes")[1]


def test_a_file_row_whose_bytes_are_gone_is_a_problem_and_the_command_fails(
        published: list[File], storage_dir: Path) -> None:
    (storage_dir / "packages" / published[0].path).unlink()

    assert kinds(index_check()) == ["file-missing"]
    status, out = check_command()
    assert status == 1
    assert f"PROBLEM file-missing: packages/{published[0].path}" in out


def test_truncated_bytes_are_found_by_their_size(published: list[File],
                                                 storage_dir: Path) -> None:
    stored = storage_dir / "packages" / published[1].path
    stored.write_bytes(stored.read_bytes()[:-10])

    assert kinds(index_check()) == ["file-size"]


def test_corrupt_bytes_of_the_right_size_are_found_only_by_verifying_hashes(
        published: list[File], storage_dir: Path) -> None:
    stored = storage_dir / "packages" / published[0].path
    data = bytearray(stored.read_bytes())
    data[100] ^= 0xFF
    stored.write_bytes(bytes(data))

    assert kinds(index_check()) == []
    assert kinds(index_check(verify_hashes=True)) == ["file-hash"]
    assert check_command("--verify-hashes")[0] == 1


def test_a_wheels_missing_pep_658_metadata_is_a_problem(published: list[File],
                                                        storage_dir: Path) -> None:
    wheel = next(f for f in published if f.metadata_sha256)
    (storage_dir / "packages" / f"{wheel.path}.metadata").unlink()

    assert kinds(index_check()) == ["metadata-missing"]


def test_an_orphan_is_noted_not_failed_and_removed_only_when_repairing(
        published: list[File], storage_dir: Path) -> None:
    orphan = storage_dir / "packages" / "ab" / "cd" / ("ab" + "c" * 62) / "x-1.0.tar.gz"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"bytes of an upload that died before its commit")
    partial = storage_dir / "packages" / published[0].path.rsplit("/", 1)[0] / ".incoming-x"
    partial.write_bytes(b"half a write")

    report = index_check()
    assert report.ok
    assert sorted(n.kind for n in report.notes) == ["orphan", "orphan"]
    assert orphan.exists() and partial.exists()  # report only by default

    assert index_check(repair=True).repaired == []  # too young: could be an upload in flight
    assert orphan.exists()

    repaired = index_check(repair=True, stuck_after=timedelta(0))
    assert len(repaired.repaired) == 2
    assert not orphan.exists() and not partial.exists()
    assert index_check(verify_hashes=True).problems == []  # published bytes untouched


def test_a_missing_page_body_is_a_problem(published: list[File], storage_dir: Path) -> None:
    page = SimplePage.objects.get(key="demo")
    (storage_dir / page_path(page.json_sha256)).unlink()

    assert kinds(index_check()) == ["page-missing"]


def test_a_half_written_page_does_not_match_its_content_address(
        published: list[File], storage_dir: Path) -> None:
    page = SimplePage.objects.get(key="")
    body = storage_dir / page_path(page.html_sha256)
    body.write_bytes(body.read_bytes()[: len(body.read_bytes()) // 2])

    assert kinds(index_check()) == ["page-hash"]


def test_a_page_offering_a_file_without_a_row_is_a_problem(published: list[File]) -> None:
    # As if the row were lost but the page not re-rendered (no pending change).
    File.objects.filter(pk=published[0].pk).delete()

    report = index_check()

    assert "page-file-unknown" in kinds(report)
    assert any(published[0].path in p.detail for p in report.problems)


def test_a_page_for_a_project_that_is_gone_is_a_problem(published: list[File]) -> None:
    SimplePage.objects.create(key="ghost", html_sha256=SimplePage.objects.get(key="demo")
                              .html_sha256, json_sha256="", serial=1)

    assert "page-without-project" in kinds(index_check())


def test_a_project_with_neither_page_nor_pending_change_is_a_problem(
        published: list[File]) -> None:
    SimplePage.objects.filter(key="demo").delete()
    assert kinds(index_check()) == ["project-unpublished"]

    PendingChange.objects.create(normalized_name="demo")
    assert kinds(index_check()) == []  # the publisher will make it


def test_a_pending_change_is_stuck_only_once_older_than_the_limit(
        published: list[File]) -> None:
    change = PendingChange.objects.create(normalized_name="demo")
    assert kinds(index_check()) == []

    PendingChange.objects.filter(pk=change.pk).update(
        created=timezone.now() - timedelta(hours=1))
    assert kinds(index_check()) == ["pending-stuck"]


def test_a_task_left_running_is_stuck_and_repair_requeues_it(published: list[File]) -> None:
    result = storage_remove.enqueue(names=[])
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("a-worker-that-was-killed")
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - timedelta(hours=2))

    assert kinds(index_check()) == ["task-stuck"]
    assert index_check(repair=True).repaired == ["requeued 1 stuck task(s)"]
    assert DBTaskResult.objects.get(pk=row.pk).status == "READY"
    assert kinds(index_check()) == []


def test_json_output_lists_each_problem(published: list[File], storage_dir: Path) -> None:
    (storage_dir / "packages" / published[0].path).unlink()

    status, out = check_command("--json")

    assert status == 1
    payload = json.loads(out)
    assert payload["ok"] is False
    assert [p["kind"] for p in payload["problems"]] == ["file-missing"]


def test_warden_check_runs_ours_and_system_checks_stay_reachable() -> None:
    assert command_args(["check"]) == ["consistency"]
    assert command_args(["check", "--json"]) == ["consistency", "--json"]
    assert command_args(["check", "--system", "--deploy"]) == ["check", "--deploy"]
    assert command_args(["migrate"]) == ["migrate"]
