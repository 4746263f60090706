"""Personas, screenings and an installed check for the staff review pages.

sam is staff (with a password and a second factor, as staff pages require); alice owns
projects (the root conftest's persona) and mallory is a stranger. Screenings and results are
made directly as rows: these tests are about what staff see and do, not about running
checks (the checks app tests that)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from warden.accounts.models import User
from warden.checks.models import CheckResult, Screening
from warden.checks.registry import installed
from warden.checks.tests.conftest import plugin_install
from warden.packaging.models import File, Project
from warden.packaging.tests.conftest import storage_dir  # noqa: F401 (fixture)
from warden.web.tests.conftest import demo, make_project  # noqa: F401 (fixtures)

PASSWORD = "correct horse battery staple"

# A check as a third party ships one: a module and a distribution's entry point.
PROBE_MODULE = "warden_review_probe"
PROBE_SOURCE = '''
from warden.checks.base import CLEAN, Check, Hook, State


class Probe(Check):
    name = "t-probe"
    version = 2
    summary = "looks for probes"
    description = "Finds <b>probes</b>.\\n\\nA second paragraph."
    hooks = frozenset({Hook.FILE, Hook.PROJECT})
    default_state = State.EVALUATION

    def scan(self, artifact):
        return CLEAN
'''


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Any]]:
    """The `t-probe` check, installed for this test only (found through its entry point,
    as the registry finds any check)."""
    site = tmp_path / "site"
    site.mkdir()
    plugin_install(site, module=PROBE_MODULE, source=PROBE_SOURCE,
                  entry_points={"t-probe": f"{PROBE_MODULE}:Probe"})
    monkeypatch.syspath_prepend(str(site))
    installed.cache_clear()
    yield installed()["t-probe"]
    installed.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db: None) -> None:
    # allauth keeps its re-authentication rate limit in the cache, which may outlive a test.
    cache.clear()


@pytest.fixture
def sam(db: None, with_totp: Callable[[User], str]) -> User:
    user = User.objects.create_user(username="sam", email="sam@example.invalid",
                                    password=PASSWORD, is_staff=True)
    with_totp(user)  # staff pages require a second factor
    return user


def logged_in(user: User, *, reauthenticated: bool = True) -> Client:
    """A client logged in as `user`; by default they have also just entered their password
    again on the real re-authentication page."""
    if not user.has_usable_password():
        user.set_password(PASSWORD)
        user.save()
    client = Client()
    client.force_login(user)
    if reauthenticated:
        response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert response.status_code == 302, response.content.decode()[:2000]
    return client


@pytest.fixture
def staff(sam: User) -> Client:
    return logged_in(sam)


def screening_of(file: File | None = None, **fields: Any) -> Screening:
    """A finished screening of `file` (or of a file known only by its names)."""
    values: dict[str, Any] = {
        "normalized_name": "demo-pkg", "project_name": "Demo.Pkg", "version": "1.0",
        "filename": "demo_pkg-1.0.tar.gz", "sha256": "ab" * 32, "size": 1536,
        "state": "done", "checks": ["t-probe"]}
    if file is not None:
        release = file.release
        values.update(normalized_name=release.project.normalized_name,
                      project_name=release.project.name, version=release.version,
                      filename=file.filename, sha256=file.sha256, size=file.size,
                      uploader=release.uploader, token_id=file.token_id)
    values.update(fields)
    return Screening.objects.create(file=file, **values)


def result_of(screening: Screening, *, check: str = "t-probe", **fields: Any) -> CheckResult:
    values: dict[str, Any] = {"check_version": 1, "state": "enabled",
                              "classification": "suspicious", "confidence": 0.5,
                              "message": f"{check} found something"}
    values.update(fields)
    return CheckResult.objects.create(screening=screening, check_name=check, **values)


def file_of(project: Project, version: str = "1.0") -> File:
    return File.objects.filter(release__project=project, release__version=version).order_by(
        "filename").first()  # type: ignore[return-value]


def page_text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())
