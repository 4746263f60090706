"""The admin's front page tells staff, ahead of time, what only people can fix about
package signing: offline metadata about to expire, and a signer that stopped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from warden.accounts.models import User
from warden.packaging.models import PendingChange
from warden.tuf import repository as repo
from warden.tuf.models import Role
from warden.tuf.offline import embedded_init
from warden.tuf.signer import publish_all, publisher_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(with_totp: Callable[[User], str], tmp_path: Path, settings: Any) -> Client:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "warden.lib.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": tmp_path / "storage"}}}
    settings.WARDEN_TUF_ONLINE_KEY_FILE = tmp_path / "keys" / "online.pem"
    embedded_init(keys_dir=tmp_path / "keys", online_key_file=tmp_path / "keys" / "online.pem",
                  bit_length=2, now=datetime.now(UTC))
    publish_all(publisher_for("tests", None))  # the signer's first publish
    staff = User.objects.create_superuser(username="staff", email="staff@example.org",
                                          password="a long staff password")
    with_totp(staff)
    client = Client()
    client.force_login(staff)
    return client


def test_a_healthy_repository_shows_no_warning(staff_client: Client) -> None:
    page = staff_client.get("/admin/").content.decode()

    assert "Package signing needs attention" not in page


def test_offline_metadata_that_expires_within_a_month_is_shown(staff_client: Client) -> None:
    soon = datetime.now(UTC) + timedelta(days=20)
    Role.objects.filter(name=repo.TARGETS).update(expires=soon)

    page = staff_client.get("/admin/").content.decode()

    assert "Package signing needs attention" in page
    assert f"The signed targets metadata expires on {soon:%Y-%m-%d}" in page
    assert "bins metadata" not in page


def test_changes_waiting_for_a_stopped_signer_are_shown(staff_client: Client) -> None:
    change = PendingChange.objects.create(normalized_name="demo")
    PendingChange.objects.filter(pk=change.pk).update(
        created=datetime.now(UTC) - timedelta(minutes=10))

    page = staff_client.get("/admin/").content.decode()

    assert "Changes have waited for the signer since" in page
