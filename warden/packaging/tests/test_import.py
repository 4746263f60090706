"""`warden import DIR --owner USER`: bringing an existing index's files in."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.dists import metadata_text
from warden.accounts.models import User
from warden.packaging.models import File, Project, Release, RoleName, SimplePage
from warden.packaging.tests.conftest import MakeDist, files_under

pytestmark = pytest.mark.django_db


def run_import(directory: Path, owner: str = "alice") -> str:
    """Runs the command; returns what it printed. Raises CommandError as the command does."""
    out = io.StringIO()
    call_command("import", str(directory), owner=owner, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_failing_import(directory: Path, owner: str = "alice") -> tuple[CommandError, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import", str(directory), owner=owner, stdout=out, stderr=io.StringIO())
    return raised.value, out.getvalue()


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """An export in the shape pypiserver/devpi leave behind: nested directories."""
    directory = tmp_path / "export"
    directory.mkdir()
    return directory


def test_import_brings_in_wheels_and_sdists_from_nested_directories(
        alice: User, export: Path, make_wheel: MakeDist, make_sdist: MakeDist) -> None:
    make_wheel("demo", "1.0", directory=export / "demo")
    make_sdist("demo", "1.0", directory=export / "demo")
    make_sdist("other-thing", "2.0", fmt="zip", directory=export / "deep" / "er")

    printed = run_import(export)

    assert "Imported 3 file(s); 0 already present; 0 refused." in printed
    assert sorted(File.objects.values_list("filename", flat=True)) == [
        "demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz", "other_thing-2.0.zip"]
    assert sorted(Project.objects.values_list("name", flat=True)) == ["demo", "other-thing"]
    for project in Project.objects.all():
        assert list(project.roles.values_list("user__username", "role_name")) == [
            ("alice", RoleName.OWNER)]


def test_imported_files_are_stored_and_published_like_uploads(
        alice: User, export: Path, make_wheel: MakeDist, storage_dir: Path,
        run_tasks: Callable[[], None]) -> None:
    wheel = make_wheel("demo", "1.0", directory=export)

    run_import(export)
    run_tasks()  # pages are rendered by the tasks the import queued

    file = File.objects.get()
    assert (storage_dir / "packages" / file.path).read_bytes() == wheel.read_bytes()
    assert file.metadata_sha256 is not None
    assert (storage_dir / "packages" / f"{file.path}.metadata").exists()
    assert file.uploaded_via == "warden-import"
    assert Release.objects.get().uploader == alice
    assert SimplePage.objects.get(key="demo").serial == Project.objects.get().last_serial


def test_a_second_import_reports_the_files_as_already_present(
        alice: User, export: Path, make_wheel: MakeDist, make_sdist: MakeDist) -> None:
    make_wheel("demo", "1.0", directory=export)
    make_sdist("demo", "1.0", directory=export)
    run_import(export)

    printed = run_import(export)

    assert "Imported 0 file(s); 2 already present; 0 refused." in printed
    assert File.objects.count() == 2


def test_bad_files_are_refused_with_reasons_after_the_good_ones_are_imported(
        alice: User, export: Path, make_wheel: MakeDist, make_sdist: MakeDist) -> None:
    make_wheel("good", "1.0", directory=export / "a")
    corrupt = make_wheel("broken", "1.0", directory=export / "b")
    corrupt.write_bytes(corrupt.read_bytes()[:200])
    make_sdist("sneaky", "1.0", directory=export / "c",
               extra_members=[("sneaky-1.0/../../etc/cron.d/evil", b"* * * * * root sh\n")])
    (export / "c" / "old-1.0-py2.7.egg").write_bytes(b"PK\x05\x06" + b"\0" * 18)

    error, printed = run_failing_import(export)

    assert error.returncode == 2
    assert "Imported 1 file(s); 0 already present; 3 refused." in printed
    refusals = {line.split(":", 1)[0].strip(): line for line in printed.splitlines()
                if line.strip().startswith("refused ")}
    assert set(refusals) == {"refused b/broken-1.0-py3-none-any.whl",
                             "refused c/sneaky-1.0.tar.gz", "refused c/old-1.0-py2.7.egg"}
    assert "zip" in refusals["refused b/broken-1.0-py3-none-any.whl"]
    assert "'..'" in refusals["refused c/sneaky-1.0.tar.gz"]
    assert "Only wheels" in refusals["refused c/old-1.0-py2.7.egg"]
    assert list(Project.objects.values_list("name", flat=True)) == ["good"]


def test_files_that_are_not_distributions_are_skipped_silently(
        alice: User, export: Path, make_wheel: MakeDist) -> None:
    wheel = make_wheel("demo", "1.0", directory=export)
    (export / f"{wheel.name}.asc").write_text("-----BEGIN PGP SIGNATURE-----\n")
    (export / "index.html").write_text("<html></html>")

    printed = run_import(export)

    assert "Imported 1 file(s); 0 already present; 0 refused." in printed


def test_a_wheel_whose_metadata_version_disagrees_with_its_filename_is_refused(
        alice: User, export: Path, make_wheel: MakeDist) -> None:
    # The dist-info directory matches the filename; only METADATA claims another version.
    make_wheel("demo", "1.0", directory=export, metadata=metadata_text("demo", "2.0"))

    _, printed = run_failing_import(export)

    assert "version 2.0" in printed and "1.0" in printed
    assert not Release.objects.exists()


def test_an_sdist_whose_metadata_names_another_project_is_refused(
        alice: User, export: Path, make_sdist: MakeDist) -> None:
    make_sdist("demo", "1.0", directory=export, metadata=metadata_text("requests", "1.0"))

    _, printed = run_failing_import(export)

    assert "'requests'" in printed
    assert not Project.objects.exists()


def test_a_local_version_is_refused_as_for_an_upload(
        alice: User, export: Path, make_wheel: MakeDist) -> None:
    make_wheel("demo", "1.0+internal", directory=export)

    _, printed = run_failing_import(export)

    assert "Local versions are not allowed" in printed
    assert not Project.objects.exists()


def test_an_imported_name_confusable_with_an_existing_project_is_refused(
        alice: User, demo: Project, export: Path, make_wheel: MakeDist,
        storage_dir: Path) -> None:
    make_wheel("dem0", "1.0", directory=export)

    _, printed = run_failing_import(export)

    assert "too similar" in printed
    assert list(Project.objects.values_list("name", flat=True)) == ["demo"]
    assert files_under(storage_dir / "packages") == []


def test_files_for_an_existing_project_join_it_without_changing_its_owners(
        alice: User, bob: User, demo: Project, export: Path, make_wheel: MakeDist) -> None:
    make_wheel("demo", "3.0", directory=export)

    run_import(export, owner="bob")

    assert demo.releases.get().version == "3.0"
    assert sorted(demo.roles.values_list("user__username", "role_name")) == [
        ("alice", RoleName.OWNER), ("bob", RoleName.MAINTAINER)]


def test_an_unknown_owner_is_refused_before_anything_is_imported(
        alice: User, export: Path, make_wheel: MakeDist) -> None:
    make_wheel("demo", "1.0", directory=export)

    error, _ = run_failing_import(export, owner="nobody")

    assert "nobody" in str(error)
    assert not Project.objects.exists()


def test_a_directory_that_does_not_exist_is_refused(alice: User, tmp_path: Path) -> None:
    error, _ = run_failing_import(tmp_path / "missing")

    assert "is not a directory" in str(error)
