"""The publishing seam: what `file_publish` promises around its one transaction.

- a file refused inside the transaction leaves no bytes in storage, unless a committed file
  row names the same path (a concurrent upload of the very same file won);
- every change to a project is made known through `project_changed`, whose receivers can
  say no to the whole change;
- the token's use is recorded in the file's transaction, so it goes when the file does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError
from django.test import Client

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.vocabulary import Tag
from warden.lib import signals
from warden.packaging import publish
from warden.packaging.changes import ProjectChange
from warden.packaging.errors import UploadError
from warden.packaging.models import File, Project, Release, UsedFilename
from warden.packaging.services import file_delete, project_delete, release_yank
from warden.packaging.tests.conftest import MakeDist, Upload, acting, files_under
from warden.tokens.models import Token

pytestmark = pytest.mark.django_db


def refuse(exc: BaseException) -> Any:
    def fail(**kwargs: Any) -> Any:
        raise exc

    return fail


# --- bytes of a refused file ------------------------------------------------------------------


def test_a_file_refused_inside_the_transaction_leaves_no_bytes_in_storage(
        client: Client, alice: User, alice_token: str, make_wheel: MakeDist, upload: Upload,
        storage_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Refused after every early check passed and the bytes were written: under the lock.
    monkeypatch.setattr(publish, "release_insert",
                        refuse(UploadError("Refused under the project's lock.")))

    response = upload(client, alice_token, make_wheel("fresh", "1.0"))

    assert response.status_code == 400, response.reason_phrase
    assert "Refused under the project's lock." in response.reason_phrase
    assert files_under(storage_dir / "packages") == []
    assert not File.objects.exists() and not UsedFilename.objects.exists()
    assert not Project.objects.exists()  # the project it would have created went too


def test_a_file_whose_transaction_fails_on_an_integrity_error_leaves_no_bytes_in_storage(
        client: Client, demo: Project, alice_token: str, make_wheel: MakeDist,
        upload: Upload, storage_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publish, "release_insert",
                        refuse(IntegrityError("UNIQUE constraint failed")))

    response = upload(client, alice_token, make_wheel("demo", "1.0"))

    assert response.status_code == 400, response.reason_phrase
    assert files_under(storage_dir / "packages") == []
    assert not File.objects.exists() and not Release.objects.exists()


def test_bytes_stay_when_a_committed_file_row_names_the_same_path(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        storage_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = make_wheel("demo", "1.0")
    assert upload(client, alice_token, wheel).status_code == 200  # the upload that won
    stored = files_under(storage_dir / "packages")
    assert stored  # the wheel and its .metadata
    # The same file again, as a concurrent upload sees it: the winner's row committed after
    # both of its checks looked (before the bytes, and under the lock), so its own INSERT is
    # the one that fails.
    existing, looked = publish._existing, []

    def not_yet_there(**kwargs: Any) -> Any:
        looked.append(kwargs["incoming"].filename)
        return None if len(looked) <= 2 else existing(**kwargs)

    monkeypatch.setattr(publish, "_existing", not_yet_there)

    response = upload(client, alice_token, wheel)

    assert len(looked) == 3  # both checks, and the look after the failed INSERT
    assert response.status_code == 200, response.reason_phrase
    assert response.content == b"OK (already uploaded)\n"
    assert files_under(storage_dir / "packages") == stored
    assert File.objects.count() == 1


# --- project_changed --------------------------------------------------------------------------


@pytest.fixture
def changes() -> Iterator[list[tuple[str, ProjectChange]]]:
    """Every change `project_changed` sends, as (normalized name, change)."""
    sent: list[tuple[str, ProjectChange]] = []

    def receiver(*, normalized_name: str, change: ProjectChange, **kwargs: Any) -> None:
        sent.append((normalized_name, change))

    signals.project_changed.connect(receiver, dispatch_uid="test_publish_seam.changes")
    yield sent
    signals.project_changed.disconnect(dispatch_uid="test_publish_seam.changes")


@pytest.fixture
def receiver_says_no() -> Iterator[None]:
    def receiver(*, change: ProjectChange, **kwargs: Any) -> None:
        if change.tag == Tag.PROJECT_FILE_UPLOADED:
            raise UploadError("A check refused this file.")

    signals.project_changed.connect(receiver, dispatch_uid="test_publish_seam.says_no")
    yield
    signals.project_changed.disconnect(dispatch_uid="test_publish_seam.says_no")


def test_an_upload_of_a_new_project_sends_its_creation_release_and_file(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        changes: list[tuple[str, ProjectChange]]) -> None:
    assert upload(client, alice_token, make_wheel("Fresh", "1.0")).status_code == 200

    file = File.objects.get()
    assert [(name, change.tag, change.version) for name, change in changes] == [
        ("fresh", Tag.PROJECT_CREATED, ""),
        ("fresh", Tag.PROJECT_RELEASE_CREATED, "1.0"),
        ("fresh", Tag.PROJECT_FILE_UPLOADED, "1.0"),
    ]
    uploaded = changes[-1][1]
    assert uploaded.file_ids == (file.pk,)
    assert uploaded.filename == file.filename
    assert changes[0][1].index_changed  # a new project changes the list of projects


def test_a_yank_sends_its_change(published_wheel: File, alice: User,
                                 changes: list[tuple[str, ProjectChange]]) -> None:
    release_yank(release=published_wheel.release, reason="broken", origin=acting(alice))

    assert [(name, change.tag, change.version) for name, change in changes] == [
        ("demo", Tag.PROJECT_RELEASE_YANKED, "1.0")]


def test_deleting_a_file_sends_its_change_with_the_files_id(
        published_wheel: File, alice: User, changes: list[tuple[str, ProjectChange]]) -> None:
    file_id = published_wheel.pk

    file_delete(file=published_wheel, origin=acting(alice))

    assert [(name, change.tag, change.file_ids) for name, change in changes] == [
        ("demo", Tag.PROJECT_FILE_REMOVED, (file_id,))]


def test_deleting_a_project_sends_its_change_with_its_files_ids(
        published_wheel: File, alice: User, changes: list[tuple[str, ProjectChange]]) -> None:
    file_id = published_wheel.pk

    project_delete(project=published_wheel.release.project, confirm_name="demo",
                   origin=acting(alice))

    assert [(name, change.tag, change.file_ids, change.index_changed)
            for name, change in changes] == [("demo", Tag.PROJECT_DELETED, (file_id,), True)]


@pytest.fixture
def published_wheel(client: Client, alice_token: str, make_wheel: MakeDist,
                    upload: Upload) -> File:
    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200
    return File.objects.get()


def test_a_receiver_that_says_no_rolls_the_whole_upload_back(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        storage_dir: Path, receiver_says_no: None) -> None:
    response = upload(client, alice_token, make_wheel("fresh", "1.0"))

    assert response.status_code == 400
    assert "A check refused this file." in response.reason_phrase
    assert not File.objects.exists() and not Project.objects.exists()
    assert not UsedFilename.objects.exists()
    assert files_under(storage_dir / "packages") == []


def test_a_receiver_that_fails_rolls_the_whole_upload_back(
        client: Client, demo: Project, alice_token: str, make_wheel: MakeDist,
        upload: Upload, storage_dir: Path) -> None:
    def receiver(**kwargs: Any) -> None:
        raise RuntimeError("the receiver broke")

    signals.project_changed.connect(receiver, dispatch_uid="test_publish_seam.broken")
    try:
        with pytest.raises(RuntimeError, match="the receiver broke"):
            upload(client, alice_token, make_wheel("demo", "1.0"))
    finally:
        signals.project_changed.disconnect(dispatch_uid="test_publish_seam.broken")

    assert not File.objects.exists() and not Release.objects.exists()
    assert files_under(storage_dir / "packages") == []


# --- the token's use --------------------------------------------------------------------------


def test_an_uploads_token_use_is_recorded_with_the_file(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200

    used = Event.objects.get(tag=Tag.ACCOUNT_TOKEN_USED)
    token = Token.objects.get()
    assert (used.token_id, used.project_name, used.filename) == (
        str(token.pk), "demo", File.objects.get().filename)
    assert token.last_used is not None


def test_a_token_use_goes_when_the_files_transaction_rolls_back(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        storage_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The use is recorded, and then the transaction fails before it commits.
    record_use = publish.token_record_use

    def recorded_then_failed(**kwargs: Any) -> None:
        record_use(**kwargs)
        raise UploadError("The transaction failed after the token's use was recorded.")

    monkeypatch.setattr(publish, "token_record_use", recorded_then_failed)

    response = upload(client, alice_token, make_wheel("demo", "1.0"))

    assert response.status_code == 400, response.reason_phrase
    assert not File.objects.exists()
    assert not Event.objects.filter(tag=Tag.ACCOUNT_TOKEN_USED).exists()
    assert Token.objects.get().last_used is None
    assert files_under(storage_dir / "packages") == []


def test_a_receiver_that_says_no_leaves_no_token_use(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        receiver_says_no: None) -> None:
    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 400

    assert not Event.objects.filter(tag=Tag.ACCOUNT_TOKEN_USED).exists()
    assert Token.objects.get().last_used is None
