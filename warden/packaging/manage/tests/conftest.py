"""Personas and helpers for the management tests.

alice owns `demo`, bob maintains it, carol is a second registered user (invited in tests),
mallory is a stranger with no role anywhere. Everyone has a password, because re-auth
checks a password: allauth lets a user without one through; and a second factor (TOTP),
which every management page requires by default (its tests: warden/accounts/tests/
test_policy.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from warden.accounts.models import User
from warden.packaging.models import File, Project, Release, SimplePage
from warden.packaging.pages import page_path
from warden.packaging.tests import conftest as packaging
from warden.packaging.tests.conftest import Upload

PASSWORD = "correct horse battery staple"

# The packaging tests' project, token, storage isolation, distributions and upload client.
demo = packaging.demo  # alice and bob come from the root conftest
mallory = packaging.mallory  # the root conftest's, with a second factor
alice_token, upload = packaging.alice_token, packaging.upload
storage_dir, upload_temp_dir = packaging.storage_dir, packaging.upload_temp_dir
dist_dir, make_wheel, make_sdist = packaging.dist_dir, packaging.make_wheel, packaging.make_sdist
# allauth's session keys for the authentication log that re-auth reads.
AUTH_RECORDS = "account_authentication_methods"
AUTH_RECORDS_USER = "account_authentication_methods_user"


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def carol(db: None, with_totp: Callable[[User], str]) -> User:
    user = User.objects.create_user(username="carol", email="carol@example.org")
    with_totp(user)
    return user


@pytest.fixture
def personas(alice: User, bob: User, carol: User, mallory: User) -> dict[str, User]:
    for user in (alice, bob, carol, mallory):
        user.set_password(PASSWORD)
        user.save()
    return {u.username: u for u in (alice, bob, carol, mallory)}


def reauthenticated(client: Client, user: User, *, seconds_ago: float = 0) -> None:
    """Record in `client`'s session that `user` entered their password `seconds_ago`,
    exactly as allauth's re-auth form does."""
    session = client.session
    session[AUTH_RECORDS] = [{"method": "password", "at": time.time() - seconds_ago,
                              "username": user.username, "reauthenticated": True}]
    session[AUTH_RECORDS_USER] = str(user.pk)
    session.save()


def logged_in(user: User, *, reauth: bool = True, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    if reauth:
        reauthenticated(client, user)
    return client


@pytest.fixture
def published(demo: Project, alice_token: str, make_wheel: Any, make_sdist: Any,
              upload: Upload, personas: dict[str, User]) -> Release:
    """demo 1.0 with a wheel and an sdist, uploaded through the real endpoint."""
    for path in (make_wheel("demo", "1.0"), make_sdist("demo", "1.0")):
        response = upload(Client(), alice_token, path)
        assert response.status_code == 200, response.content
    return Release.objects.get(project=demo, version="1.0")


def simple_json(project: Project | str) -> dict[str, Any]:
    """The project's published PEP 691 page, as a client would get it."""
    key = project if isinstance(project, str) else project.normalized_name
    page = SimplePage.objects.get(key=key)
    with default_storage.open(page_path(page.json_sha256)) as fh:
        return json.loads(fh.read())  # type: ignore[no-any-return]


def stored(location: Path, file: File) -> bool:
    """Whether `file`'s bytes are in the storage at `location`."""
    return (location / "packages" / file.path).exists()
