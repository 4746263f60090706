"""Projects with files, made directly through the models and storage: these tests are about
reading, so they skip the upload path (which has its own tests)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from packaging.utils import canonicalize_version

from warden.accounts.models import User
from warden.packaging.models import File, JournalEntry, PendingChange, Project, Release
from warden.packaging.names import name_confusable_key, name_normalize
from warden.tuf.signer import publish_all, publisher_for


def pages_publish(project: Project) -> None:
    """What a change does to the pages, without the services that make changes: a new
    serial and a pending change, then the signer's publish."""
    entry = JournalEntry.objects.create(name=project.name, action="test fixture")
    Project.objects.filter(pk=project.pk).update(last_serial=entry.pk)
    project.last_serial = entry.pk
    PendingChange.objects.create(normalized_name=project.normalized_name, index_changed=True)
    publish_all(publisher_for("tests", None))


@pytest.fixture
def republish() -> Callable[[Project], None]:
    return pages_publish


@pytest.fixture
def alice(db: Any) -> User:
    return User.objects.create_user("alice", "alice@example.invalid")


@pytest.fixture
def make_project(alice: User) -> Callable[..., Project]:
    def make(name: str, versions: dict[str, list[str]] | None = None,
             requires_python: str = ">=3.9", yanked: dict[str, str] | None = None) -> Project:
        project = Project.objects.create(name=name, normalized_name=name_normalize(name),
                                         confusable_key=name_confusable_key(name))
        for version, filenames in (versions or {}).items():
            reason = (yanked or {}).get(version)
            release = Release.objects.create(
                project=project, version=version, canonical_version=canonicalize_version(version),
                metadata_version="2.1", requires_python=requires_python,
                yanked=reason is not None, yanked_reason=reason or "")
            for filename in filenames:
                body = f"contents of {filename}".encode()
                sha = hashlib.sha256(body).hexdigest()
                path = f"{sha[:2]}/{sha[2:4]}/{sha}/{filename}"
                default_storage.save(f"packages/{path}", ContentFile(body))
                wheel = filename.endswith(".whl")
                meta_sha = None
                if wheel:
                    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
                    default_storage.save(f"packages/{path}.metadata", ContentFile(meta))
                    meta_sha = hashlib.sha256(meta).hexdigest()
                File.objects.create(
                    release=release, filename=filename,
                    packagetype="bdist_wheel" if wheel else "sdist",
                    python_version="py3" if wheel else "source",
                    requires_python=requires_python, size=len(body), sha256=sha,
                    blake2_256=hashlib.blake2b(body, digest_size=32).hexdigest(),
                    md5=hashlib.md5(body, usedforsecurity=False).hexdigest(), path=path,
                    metadata_sha256=meta_sha)
        pages_publish(project)
        return project

    return make


@pytest.fixture
def demo(make_project: Callable[..., Project]) -> Project:
    return make_project("Demo.Pkg", {
        "1.0": ["demo_pkg-1.0.tar.gz", "demo_pkg-1.0-py3-none-any.whl"],
        "1.1": ["demo_pkg-1.1-py3-none-any.whl"],
        "2.0rc1": ["demo_pkg-2.0rc1-py3-none-any.whl"],
    }, yanked={"1.1": "broke imports"})
