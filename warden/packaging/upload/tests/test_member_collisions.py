"""An upload whose archive holds two members that Windows and macOS merge is refused
through `POST /legacy/`, with a reason twine shows its user."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from warden.packaging.models import File
from warden.packaging.tests.conftest import MakeDist, Upload, files_under

pytestmark = pytest.mark.django_db


def test_uploading_a_wheel_with_case_only_duplicate_members_gets_a_400_naming_both(
    client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload, storage_dir: Path
) -> None:
    wheel = make_wheel(files={"demo/__init__.py": b"", "DEMO/__init__.py": b"EVIL = 1\n"})

    response = upload(client, alice_token, wheel)

    assert response.status_code == 400
    # twine prints "HTTPError: 400 Bad Request from <url>" and then this reason phrase.
    reason = response.reason_phrase
    assert "'demo/__init__.py'" in reason and "'DEMO/__init__.py'" in reason, reason
    assert "same file on Windows and macOS" in reason, reason
    assert not File.objects.exists()
    assert files_under(storage_dir) == []
