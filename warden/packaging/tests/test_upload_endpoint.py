"""`POST /legacy/`: twine's upload protocol, end to end through Django's test client."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from tests.dists import core_metadata_of, metadata_text
from warden.accounts.models import User
from warden.packaging.authorize import upload_token_mint
from warden.packaging.errors import UploadError
from warden.packaging.models import (
    File,
    JournalEntry,
    Project,
    ProjectStatus,
    Release,
    Role,
    RoleName,
    SimplePage,
    UsedFilename,
)
from warden.packaging.services import prohibited_name_add, project_create
from warden.packaging.tests.conftest import (
    MakeDist,
    Upload,
    acting,
    basic_auth,
    files_under,
)
from warden.packaging.upload import views
from warden.tokens.models import Token
from warden.tokens.services import token_mint, token_revoke

pytestmark = pytest.mark.django_db

WHEEL = "demo-1.0-py3-none-any.whl"


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Project, Release, File, UsedFilename, JournalEntry, Role)}


def assert_refused(response: object, status: int, *reason_parts: str) -> None:
    reason = response.reason_phrase  # type: ignore[attr-defined]
    assert response.status_code == status, (response.status_code, reason)  # type: ignore[attr-defined]
    for part in reason_parts:
        assert part in reason, reason


# --- what a successful upload creates -------------------------------------------------------


def test_uploading_a_wheel_creates_the_project_release_file_and_used_filename(
        client: Client, alice: User, alice_token: str, make_wheel: MakeDist,
        upload: Upload) -> None:
    wheel = make_wheel("demo", "1.0", requires_python=">=3.9")

    response = upload(client, alice_token, wheel)

    assert response.status_code == 200, response.reason_phrase
    project = Project.objects.get()
    assert (project.name, project.normalized_name) == ("demo", "demo")
    release = Release.objects.get(project=project)
    assert (release.version, release.uploader) == ("1.0", alice)
    assert release.summary == "A package for tests"
    file = File.objects.get(release=release)
    data = wheel.read_bytes()
    assert file.filename == WHEEL
    assert file.packagetype == "bdist_wheel"
    assert file.python_version == "py3"
    assert file.requires_python == ">=3.9"
    assert file.size == len(data)
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    assert file.blake2_256 == hashlib.blake2b(data, digest_size=32).hexdigest()
    assert file.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert file.token_id == str(Token.objects.get().pk)
    assert UsedFilename.objects.filter(filename=WHEEL).exists()
    assert project.total_size == len(data)


def test_uploading_an_sdist_after_a_wheel_adds_it_to_the_same_release(
        client: Client, alice_token: str, make_wheel: MakeDist, make_sdist: MakeDist,
        upload: Upload) -> None:
    wheel, sdist = make_wheel("demo", "1.0"), make_sdist("demo", "1.0")

    assert upload(client, alice_token, wheel).status_code == 200
    response = upload(client, alice_token, sdist)

    assert response.status_code == 200, response.reason_phrase
    release = Release.objects.get()
    files = {f.filename: f for f in release.files.all()}
    assert set(files) == {WHEEL, "demo-1.0.tar.gz"}
    assert files["demo-1.0.tar.gz"].packagetype == "sdist"
    assert files["demo-1.0.tar.gz"].python_version == "source"
    assert Project.objects.get().total_size == wheel.stat().st_size + sdist.stat().st_size


def test_the_uploader_of_a_new_project_becomes_its_only_owner(
        client: Client, alice: User, alice_token: str, make_sdist: MakeDist,
        upload: Upload) -> None:
    assert upload(client, alice_token, make_sdist("fresh", "0.1")).status_code == 200

    project = Project.objects.get(normalized_name="fresh")
    assert list(project.roles.values_list("user__username", "role_name")) == [
        ("alice", RoleName.OWNER)]


def test_an_upload_is_journaled_with_increasing_serials_and_the_project_follows(
        client: Client, alice: User, alice_token: str, make_wheel: MakeDist,
        upload: Upload) -> None:
    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200

    entries = list(JournalEntry.objects.filter(name="demo").order_by("pk"))
    assert [(e.action, e.version, e.submitted_by) for e in entries] == [
        ("create", "", alice),
        ("new release", "1.0", alice),
        (f"add bdist_wheel file {WHEEL}", "1.0", alice),
    ]
    assert Project.objects.get().last_serial == entries[-1].pk


def test_an_upload_publishes_the_projects_simple_page_at_its_new_serial(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        run_tasks: Callable[[], None]) -> None:
    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200
    run_tasks()  # pages are rendered by tasks the upload queued

    page = SimplePage.objects.get(key="demo")
    assert page.serial == Project.objects.get().last_serial
    html = default_storage.open(f"simple/{page.html_sha256[:2]}/{page.html_sha256}").read()
    assert WHEEL.encode() in html
    assert SimplePage.objects.filter(key="").exists()  # the root index lists the new project


def test_the_file_is_stored_under_its_content_addressed_path(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        storage_dir: Path) -> None:
    wheel = make_wheel("demo", "1.0")
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()

    assert upload(client, alice_token, wheel).status_code == 200

    file = File.objects.get()
    assert file.path == f"{sha256[:2]}/{sha256[2:4]}/{sha256}/{WHEEL}"
    assert (storage_dir / "packages" / file.path).read_bytes() == wheel.read_bytes()


def test_a_wheels_metadata_is_stored_beside_it_for_pep_658(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        storage_dir: Path) -> None:
    wheel = make_wheel("demo", "1.0")
    metadata = core_metadata_of(wheel)

    assert upload(client, alice_token, wheel).status_code == 200

    file = File.objects.get()
    assert (storage_dir / "packages" / f"{file.path}.metadata").read_bytes() == metadata
    assert file.metadata_sha256 == hashlib.sha256(metadata).hexdigest()


def test_an_sdist_gets_no_separate_metadata_file(
        client: Client, alice_token: str, make_sdist: MakeDist, upload: Upload,
        storage_dir: Path) -> None:
    assert upload(client, alice_token, make_sdist("demo", "1.0")).status_code == 200

    file = File.objects.get()
    assert file.metadata_sha256 is None
    assert files_under(storage_dir / "packages") == [file.path]


def test_a_maintainer_can_upload_to_the_project(
        client: Client, bob: User, demo: Project, make_wheel: MakeDist, upload: Upload) -> None:
    _, token = token_mint(user=bob, description="bob's", origin=acting(bob))

    response = upload(client, token, make_wheel("demo", "2.0"))

    assert response.status_code == 200, response.reason_phrase
    assert Release.objects.get(project=demo).uploader == bob


# --- re-uploads and filename reuse ----------------------------------------------------------


def test_uploading_the_same_file_again_is_a_no_op_that_succeeds(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    wheel = make_wheel("demo", "1.0")
    assert upload(client, alice_token, wheel).status_code == 200
    before = row_counts()
    total_size = Project.objects.get().total_size

    response = upload(client, alice_token, wheel)

    assert response.status_code == 200, response.reason_phrase
    assert row_counts() == before
    assert Project.objects.get().total_size == total_size


def test_a_different_file_under_a_used_filename_is_refused_as_already_existing(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200
    before = row_counts()

    response = upload(client, alice_token, make_wheel("demo", "1.0", payload="VALUE = 2\n"))

    # twine --skip-existing recognizes exactly this start of the reason.
    assert_refused(response, 400)
    assert response.reason_phrase.startswith("File already exists")
    assert row_counts() == before


def test_the_same_bytes_under_another_filename_are_refused_as_already_existing(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        dist_dir: Path) -> None:
    wheel = make_wheel("demo", "1.0")
    assert upload(client, alice_token, wheel).status_code == 200
    twin = dist_dir / "twin" / "demo-1.0-py2.py3-none-any.whl"
    twin.parent.mkdir()
    twin.write_bytes(wheel.read_bytes())

    response = upload(client, alice_token, twin)

    assert_refused(response, 400)
    assert response.reason_phrase.startswith("File already exists")
    assert File.objects.count() == 1


@pytest.mark.parametrize("same_bytes", [True, False], ids=["same-bytes", "new-bytes"])
def test_the_name_of_a_deleted_file_can_never_be_used_again(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        same_bytes: bool) -> None:
    first = make_wheel("demo", "1.0", payload="VALUE = 1\n")
    assert upload(client, alice_token, first).status_code == 200
    File.objects.all().delete()

    payload = "VALUE = 1\n" if same_bytes else "VALUE = 2\n"
    response = upload(client, alice_token, make_wheel("demo", "1.0", payload=payload))

    assert_refused(response, 400, "was used before")
    assert not File.objects.exists()


def test_a_second_sdist_for_a_release_is_refused_and_not_stored(
        client: Client, alice_token: str, make_sdist: MakeDist, upload: Upload,
        storage_dir: Path) -> None:
    assert upload(client, alice_token, make_sdist("demo", "1.0")).status_code == 200
    stored = files_under(storage_dir / "packages")

    response = upload(client, alice_token, make_sdist("demo", "1.0", fmt="zip"))

    assert_refused(response, 400, "one sdist")
    assert File.objects.count() == 1
    assert files_under(storage_dir / "packages") == stored


def test_a_second_sdist_under_an_equal_spelling_of_the_version_is_refused(
        client: Client, alice_token: str, make_sdist: MakeDist, upload: Upload) -> None:
    # 1.0 and 1.0.0 are the same version under PEP 440, so the same release.
    assert upload(client, alice_token, make_sdist("demo", "1.0")).status_code == 200

    response = upload(client, alice_token, make_sdist("demo", "1.0.0"))

    assert_refused(response, 400, "one sdist")
    assert list(File.objects.values_list("filename", flat=True)) == ["demo-1.0.tar.gz"]


# --- authentication -------------------------------------------------------------------------


def test_a_username_other_than_token_is_refused_with_advice_to_use_a_token(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    response = upload(client, alice_token, make_wheel(), username="alice")

    assert_refused(response, 403, "use the username __token__")
    assert not File.objects.exists()


def test_an_upload_without_credentials_is_asked_for_them(
        client: Client, alice: User, make_wheel: MakeDist, upload: Upload) -> None:
    response = upload(client, None, make_wheel())

    assert_refused(response, 401, "__token__")
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert not Project.objects.exists()


@pytest.mark.parametrize("header", ["Bearer abc", "Basic !!!not-base64!!!", "Basic"])
def test_an_authorization_that_is_not_basic_credentials_is_asked_for_them(
        client: Client, alice: User, make_wheel: MakeDist, header: str) -> None:
    with make_wheel().open("rb") as fh:
        response = client.post("/legacy/", {":action": "file_upload", "content": fh},
                               HTTP_AUTHORIZATION=header)

    assert_refused(response, 401)
    assert "WWW-Authenticate" in response


def test_a_password_that_is_not_a_token_is_refused(
        client: Client, alice: User, make_wheel: MakeDist, upload: Upload) -> None:
    alice.set_password("hunter2-hunter2")
    alice.save()

    response = upload(client, "hunter2-hunter2", make_wheel())

    assert_refused(response, 403, "Invalid API token")


def test_a_token_with_a_forged_signature_is_refused(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    forged = alice_token[:-6] + ("AAAAAA" if alice_token[-6:] != "AAAAAA" else "BBBBBB")

    response = upload(client, forged, make_wheel())

    assert_refused(response, 403, "Invalid API token")
    assert not Project.objects.exists()


def test_an_expired_token_is_refused(
        client: Client, alice: User, demo: Project, make_wheel: MakeDist, upload: Upload,
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_now = timezone.now()
    # Minted two days ago, valid for one day.
    monkeypatch.setattr(timezone, "now", lambda: real_now - timedelta(days=2))
    _, token = token_mint(user=alice, description="old", expires=real_now - timedelta(days=1),
                          origin=acting(alice))
    monkeypatch.undo()

    response = upload(client, token, make_wheel("demo", "1.0"))

    assert_refused(response, 403, "expired")
    assert not File.objects.exists()


def test_a_revoked_token_is_refused(
        client: Client, alice: User, demo: Project, make_wheel: MakeDist,
        upload: Upload) -> None:
    token_row, token = token_mint(user=alice, description="leaked", origin=acting(alice))
    token_revoke(token=token_row, origin=acting(alice))

    response = upload(client, token, make_wheel("demo", "1.0"))

    assert_refused(response, 403, "revoked")
    assert not File.objects.exists()


def test_a_token_of_a_disabled_user_is_refused(
        client: Client, alice: User, alice_token: str, demo: Project, make_wheel: MakeDist,
        upload: Upload) -> None:
    alice.is_active = False
    alice.save()

    response = upload(client, alice_token, make_wheel("demo", "1.0"))

    assert_refused(response, 403, "disabled")


# --- authorization --------------------------------------------------------------------------


def test_a_project_scoped_token_uploads_to_its_project(
        client: Client, alice: User, demo: Project, make_wheel: MakeDist,
        upload: Upload) -> None:
    _, token = upload_token_mint(user=alice, description="demo only", projects=[demo],
                                 origin=acting(alice))

    response = upload(client, token, make_wheel("demo", "1.0"))

    assert response.status_code == 200, response.reason_phrase


def test_a_token_scoped_to_one_project_cannot_upload_to_another(
        client: Client, alice: User, demo: Project, make_wheel: MakeDist,
        upload: Upload) -> None:
    other = project_create(name="other", owner=alice, origin=acting(alice))
    _, token = upload_token_mint(user=alice, description="demo only", projects=[demo],
                                 origin=acting(alice))

    response = upload(client, token, make_wheel("other", "1.0"))

    assert_refused(response, 403, "scoped", "'other'")
    assert not File.objects.exists()
    assert not other.releases.exists()


def test_a_scoped_token_cannot_create_a_new_project(
        client: Client, alice: User, demo: Project, make_wheel: MakeDist,
        upload: Upload) -> None:
    _, token = upload_token_mint(user=alice, description="demo only", projects=[demo],
                                 origin=acting(alice))

    response = upload(client, token, make_wheel("brand-new", "1.0"))

    assert_refused(response, 403, "cannot create a new project")
    assert not Project.objects.filter(normalized_name="brand-new").exists()


def test_a_stranger_cannot_upload_to_someone_elses_project(
        client: Client, demo: Project, mallory_token: str, make_wheel: MakeDist,
        upload: Upload, storage_dir: Path) -> None:
    response = upload(client, mallory_token, make_wheel("demo", "6.6.6"))

    assert_refused(response, 403, "mallory", "isn't allowed")
    assert not Release.objects.exists()
    assert files_under(storage_dir / "packages") == []


def test_a_stranger_re_sending_an_existing_file_is_refused_not_told_it_is_there(
        client: Client, demo: Project, alice_token: str, mallory_token: str,
        make_wheel: MakeDist, upload: Upload) -> None:
    wheel = make_wheel("demo", "1.0")
    assert upload(client, alice_token, wheel).status_code == 200

    response = upload(client, mallory_token, wheel)

    assert_refused(response, 403, "mallory")


@pytest.mark.parametrize("spelling", ["DEMO", "Demo", "dEmO"])
def test_a_stranger_cannot_reach_a_project_by_respelling_its_name(
        client: Client, demo: Project, mallory_token: str, make_wheel: MakeDist,
        upload: Upload, spelling: str) -> None:
    response = upload(client, mallory_token, make_wheel(spelling, "6.6.6"))

    assert_refused(response, 403)
    assert not Release.objects.exists()
    assert Project.objects.count() == 1


def test_a_token_stops_working_for_a_project_when_its_users_role_is_removed(
        client: Client, bob: User, demo: Project, make_wheel: MakeDist,
        upload: Upload) -> None:
    _, token = upload_token_mint(user=bob, description="bob's", projects=[demo],
                                 origin=acting(bob))
    Role.objects.filter(user=bob).delete()

    response = upload(client, token, make_wheel("demo", "1.0"))

    assert_refused(response, 403, "bob")


# --- the protocol ---------------------------------------------------------------------------


def test_an_unknown_action_is_refused(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    response = upload(client, alice_token, make_wheel(), **{":action": "submit"})

    assert_refused(response, 400, ":action")
    assert not Project.objects.exists()


def test_an_unknown_protocol_version_is_refused(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    response = upload(client, alice_token, make_wheel(), protocol_version="2")

    assert_refused(response, 400, "protocol_version")


def test_an_upload_without_a_file_is_refused(client: Client, alice_token: str) -> None:
    response = client.post("/legacy/", {":action": "file_upload", "name": "demo"},
                           HTTP_AUTHORIZATION=basic_auth(alice_token))

    assert_refused(response, 400, "content")


def test_a_get_is_not_allowed(client: Client) -> None:
    assert client.get("/legacy/").status_code == 405


def test_a_refusal_carries_its_message_in_the_body_too(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    response = upload(client, alice_token, make_wheel(), protocol_version="2")

    assert response.content.decode() == f"400 {response.reason_phrase}\n"


# --- integrity ------------------------------------------------------------------------------


def test_a_wrong_sha256_digest_is_refused_and_nothing_is_written(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        storage_dir: Path, upload_temp_dir: Path) -> None:
    response = upload(client, alice_token, make_wheel(), sha256_digest="0" * 64)

    assert_refused(response, 400, "sha256 digest", "does not match")
    assert row_counts() == dict.fromkeys(row_counts(), 0)
    assert files_under(storage_dir) == []
    assert files_under(upload_temp_dir) == []


@pytest.mark.parametrize("field", ["blake2_256_digest", "md5_digest"])
def test_any_wrong_digest_is_refused_even_beside_a_right_sha256(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        field: str) -> None:
    response = upload(client, alice_token, make_wheel(), **{field: "ab" * 16})

    assert_refused(response, 400, "does not match")
    assert not File.objects.exists()


def test_an_upload_without_any_digest_is_refused(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    response = upload(client, alice_token, make_wheel(), sha256_digest=None, md5_digest=None,
                      blake2_256_digest=None)

    assert_refused(response, 400, "digest")
    assert not File.objects.exists()


def test_a_form_metadata_version_that_differs_from_the_wheels_is_refused_naming_it(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        storage_dir: Path) -> None:
    wheel = make_wheel("demo", "1.0", metadata_version="2.1")

    response = upload(client, alice_token, wheel, metadata_version="2.2")

    assert_refused(response, 400, "Metadata-Version", "2.1", "2.2")
    assert not Project.objects.exists()
    assert files_under(storage_dir / "packages") == []


def test_a_form_summary_that_differs_from_the_wheels_is_refused(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    response = upload(client, alice_token, make_wheel(), summary="Something else")

    assert_refused(response, 400, "Summary")


def test_a_file_that_is_not_the_archive_it_claims_is_refused(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    response = upload(client, alice_token, make_wheel(), content=b"not a zip at all")

    assert_refused(response, 400, "not a valid zip")
    assert not Project.objects.exists()


@pytest.mark.parametrize("status", [ProjectStatus.ARCHIVED, ProjectStatus.QUARANTINED])
def test_an_archived_or_quarantined_project_accepts_no_uploads(
        client: Client, demo: Project, alice_token: str, make_wheel: MakeDist, upload: Upload,
        storage_dir: Path, status: ProjectStatus) -> None:
    Project.objects.filter(pk=demo.pk).update(status=status)

    response = upload(client, alice_token, make_wheel("demo", "1.0"))

    assert_refused(response, 400, status.value)
    assert not File.objects.exists()
    assert files_under(storage_dir / "packages") == []


def test_a_deprecated_project_still_accepts_uploads(
        client: Client, demo: Project, alice_token: str, make_wheel: MakeDist,
        upload: Upload) -> None:
    Project.objects.filter(pk=demo.pk).update(status=ProjectStatus.DEPRECATED)

    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dem0", "de_mo", "d-e-m-o", "DEM0", "De.Mo"])
def test_a_name_confusable_with_an_existing_project_is_refused(
        client: Client, demo: Project, alice_token: str, make_wheel: MakeDist,
        upload: Upload, storage_dir: Path, name: str) -> None:
    response = upload(client, alice_token, make_wheel(name, "1.0"))

    assert_refused(response, 400, "too similar", "'demo'")
    assert list(Project.objects.values_list("name", flat=True)) == ["demo"]
    assert files_under(storage_dir / "packages") == []


@pytest.mark.parametrize("name", ["Demo_", "demo-", "_demo"])
def test_a_name_that_is_not_a_valid_project_name_is_refused(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        name: str) -> None:
    response = upload(client, alice_token, make_wheel("demo", "1.0"), name=name)

    assert_refused(response, 400)
    assert not Project.objects.exists()


@pytest.mark.parametrize("name", ["evil-pkg", "Evil_Pkg", "evil.pkg"])
def test_a_prohibited_name_is_refused_in_any_spelling(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        storage_dir: Path, name: str) -> None:
    prohibited_name_add(name="evil-pkg", reason="typosquat of good-pkg", origin=acting(None))

    response = upload(client, alice_token, make_wheel(name, "1.0"))

    assert_refused(response, 400, "isn't allowed")
    assert not Project.objects.exists()
    assert files_under(storage_dir / "packages") == []


# --- limits ---------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_and_its_temp_file_removed(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        settings: object, storage_dir: Path, upload_temp_dir: Path) -> None:
    settings.WARDEN_MAX_FILE_SIZE = 1000  # type: ignore[attr-defined]
    wheel = make_wheel(payload="# padding\n" + "".join(f"x{i} = {i * 7919}\n"
                                                        for i in range(400)))
    assert wheel.stat().st_size > 1000

    response = upload(client, alice_token, wheel)

    assert_refused(response, 400, "File too large", "1000 bytes")
    assert not Project.objects.exists()
    assert files_under(upload_temp_dir) == []
    assert files_under(storage_dir) == []


def test_a_file_over_the_size_limit_is_refused_as_too_large_whatever_the_field_order(
        client: Client, alice_token: str, make_wheel: MakeDist, settings: object,
        upload_temp_dir: Path) -> None:
    # Fields after an oversized file are never read, so :action may be missing.
    settings.WARDEN_MAX_FILE_SIZE = 100  # type: ignore[attr-defined]
    with make_wheel().open("rb") as fh:
        response = client.post("/legacy/", {"content": fh, ":action": "file_upload"},
                               HTTP_AUTHORIZATION=basic_auth(alice_token))

    assert_refused(response, 400, "File too large", "100 bytes")
    assert files_under(upload_temp_dir) == []


def test_form_fields_over_the_size_limit_are_refused_with_a_reason(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        settings: object) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000  # type: ignore[attr-defined]

    response = upload(client, alice_token, make_wheel(), description="x" * 20_000)

    assert_refused(response, 400, "form fields are too large", "10000 bytes")
    assert not Project.objects.exists()


def test_a_body_that_is_not_a_multipart_form_is_refused_with_a_reason(
        client: Client, alice_token: str) -> None:
    response = client.post("/legacy/", data=b"--x\r\nnot a part",
                           content_type="multipart/form-data; boundary=\u2603",
                           HTTP_AUTHORIZATION=basic_auth(alice_token))

    assert_refused(response, 400, "multipart")


def test_a_file_just_under_the_size_limit_is_accepted(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        settings: object) -> None:
    wheel = make_wheel()
    settings.WARDEN_MAX_FILE_SIZE = wheel.stat().st_size  # type: ignore[attr-defined]

    assert upload(client, alice_token, wheel).status_code == 200


def test_an_upload_that_would_exceed_the_project_size_limit_is_refused(
        client: Client, alice_token: str, make_wheel: MakeDist, make_sdist: MakeDist,
        upload: Upload, settings: object, storage_dir: Path) -> None:
    wheel, sdist = make_wheel("demo", "1.0"), make_sdist("demo", "1.0")
    settings.WARDEN_MAX_PROJECT_SIZE = wheel.stat().st_size + 10  # type: ignore[attr-defined]
    assert upload(client, alice_token, wheel).status_code == 200

    response = upload(client, alice_token, sdist)

    assert_refused(response, 400, "Project size too large")
    assert File.objects.count() == 1
    assert Project.objects.get().total_size == wheel.stat().st_size
    assert len(files_under(storage_dir / "packages")) == 2  # the wheel and its .metadata


def test_a_new_projects_first_file_counts_against_the_project_size_limit(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        settings: object) -> None:
    wheel = make_wheel("demo", "1.0")
    settings.WARDEN_MAX_PROJECT_SIZE = wheel.stat().st_size - 1  # type: ignore[attr-defined]

    response = upload(client, alice_token, wheel)

    assert_refused(response, 400, "Project size too large")
    assert not Project.objects.exists()


# --- the token's record ---------------------------------------------------------------------


def test_an_upload_records_when_its_token_was_last_used(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    assert Token.objects.get().last_used is None
    before = timezone.now()

    assert upload(client, alice_token, make_wheel()).status_code == 200

    last_used = Token.objects.get().last_used
    assert last_used is not None and before <= last_used <= timezone.now()


def test_a_repeated_upload_also_records_the_token_use(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    # An owner checking "last used" after a leak must see every accepted request.
    wheel = make_wheel()
    assert upload(client, alice_token, wheel).status_code == 200
    Token.objects.update(last_used=None)

    assert upload(client, alice_token, wheel).status_code == 200

    assert Token.objects.get().last_used is not None


def test_a_refused_upload_does_not_count_as_a_use_of_a_strangers_token(
        client: Client, demo: Project, mallory_token: str, make_wheel: MakeDist,
        upload: Upload) -> None:
    assert upload(client, mallory_token, make_wheel("demo", "2.0")).status_code == 403

    assert Token.objects.get(user__username="mallory").last_used is None


# --- the reason phrase ----------------------------------------------------------------------


def test_the_reason_phrase_is_one_line_of_printable_latin_1_whatever_the_message(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    # A summary that disagrees with the wheel's is echoed back in the refusal.
    summary = "Tab\there \x1b[31mred\x1b[0m \x7fdel \x9bcsi \x00nul Ünï ☃ 🐍"

    response = upload(client, alice_token, make_wheel(), summary=summary)

    assert response.status_code == 400
    reason = response.reason_phrase
    reason.encode("latin-1")  # raises if it can't go on the status line
    assert all(" " <= c <= "~" or c >= "\xa0" for c in reason), repr(reason)
    assert "Ünï" in reason  # latin-1 survives
    assert "☃" not in reason and "🐍" not in reason
    assert summary in response.content.decode()  # the body keeps the message in full


def test_a_multi_line_message_becomes_a_one_line_reason_phrase(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**kwargs: object) -> None:
        raise UploadError("First line\r\nSecond: line\n\tthird \u2028 Ünï ☃")

    monkeypatch.setattr(views, "file_publish", refuse)

    response = upload(client, alice_token, make_wheel())

    assert response.status_code == 400
    assert response.reason_phrase == "First line Second: line third Ünï ?"
    assert "First line\r\nSecond: line" in response.content.decode()


def test_an_sdist_whose_pkg_info_names_another_version_is_refused(
        client: Client, alice_token: str, make_sdist: MakeDist, upload: Upload) -> None:
    sdist = make_sdist("demo", "1.0", metadata=metadata_text("demo", "6.6"))

    response = upload(client, alice_token, sdist, version="1.0")

    assert_refused(response, 400, "PKG-INFO", "6.6")
    assert not File.objects.filter(filename=sdist.name).exists()


def test_an_sdist_whose_pkg_info_names_another_project_is_refused(
        client: Client, alice_token: str, make_sdist: MakeDist, upload: Upload) -> None:
    sdist = make_sdist("demo", "1.0", metadata=metadata_text("requests", "1.0"))

    response = upload(client, alice_token, sdist, name="demo")

    assert_refused(response, 400, "PKG-INFO", "requests")
