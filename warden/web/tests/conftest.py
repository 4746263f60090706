"""Personas and projects for the public pages, made directly as rows: these tests are about
reading, so they skip the upload path (which has its own tests).

alice owns things, bob maintains some of them, mallory is a stranger."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from packaging.utils import canonicalize_version

from warden.accounts.models import User
from warden.packaging.models import File, Project, Release, Role
from warden.packaging.names import name_confusable_key, name_normalize


def add_release(project: Project, version: str, *, files: tuple[str, ...] = (),
                **metadata: Any) -> Release:
    release = Release.objects.create(project=project, version=version,
                                     canonical_version=canonicalize_version(version),
                                     metadata_version="2.4", **metadata)
    for filename in files:
        digest = hashlib.sha256(filename.encode()).hexdigest()
        wheel = filename.endswith(".whl")
        File.objects.create(
            release=release, filename=filename,
            packagetype="bdist_wheel" if wheel else "sdist",
            python_version="py3" if wheel else "source", size=1536,
            sha256=digest, blake2_256=hashlib.blake2b(filename.encode(),
                                                      digest_size=32).hexdigest(),
            md5=hashlib.md5(filename.encode(), usedforsecurity=False).hexdigest(),
            path=f"{digest[:2]}/{digest[2:4]}/{digest}/{filename}")
    return release


@pytest.fixture
def make_project(alice: User) -> Callable[..., Project]:
    """`make_project(name, {version: {metadata...}}, owner=alice, status=...)`; a version's
    `files` (default: an sdist) become File rows."""

    def make(name: str, releases: dict[str, dict[str, Any]] | None = None, *,
             owner: User | None = alice, status: str = "active",
             status_reason: str = "") -> Project:
        project = Project.objects.create(name=name, normalized_name=name_normalize(name),
                                         confusable_key=name_confusable_key(name),
                                         status=status, status_reason=status_reason)
        if owner is not None:
            Role.objects.create(project=project, user=owner, role_name="owner")
        for version, metadata in (releases or {}).items():
            metadata = dict(metadata)
            slug = name_normalize(name).replace("-", "_")
            files = metadata.pop("files", (f"{slug}-{version}.tar.gz",))
            add_release(project, version, files=tuple(files), **metadata)
        return project

    return make


@pytest.fixture
def demo(make_project: Callable[..., Project], bob: User) -> Project:
    """Demo.Pkg: 1.0, 1.1 (yanked), 2.0rc1 (a pre-release); bob maintains it."""
    project = make_project("Demo.Pkg", {
        "1.0": {
            "summary": "A demonstration package",
            "description": "Demo\n====\n\nThe **first** release.\n",
            "description_content_type": "text/x-rst",
            "license_expression": "MIT",
            "requires_python": ">=3.9",
            "classifiers": ["Programming Language :: Python :: 3",
                            "License :: OSI Approved :: MIT License",
                            "Programming Language :: Python :: 3.12"],
            "project_urls": {"Source": "https://example.invalid/demo",
                             "Evil": "javascript:alert(1)"},
            "home_page": "https://example.invalid/home",
            "files": ("demo_pkg-1.0.tar.gz", "demo_pkg-1.0-py3-none-any.whl"),
        },
        "1.1": {"summary": "Broken", "yanked": True, "yanked_reason": "broke imports",
                "description": "# One point one", "description_content_type": "text/markdown"},
        "2.0rc1": {"summary": "Next", "description": "Next release"},
    })
    Role.objects.create(project=project, user=bob, role_name="maintainer")
    return project
