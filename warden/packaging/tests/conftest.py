"""Personas, distributions and an upload client for the packaging tests.

Personas:
- alice: owns `demo` and publishes with an unscoped token (`alice_token`);
- bob: maintainer of `demo`;
- mallory: a registered stranger with no role anywhere, and a token of her own.

All three have a second factor (TOTP), so what stops mallory here is her lack of a role,
not of 2FA; the policy on uploads has its own tests (warden/accounts/tests/test_policy.py).

Distributions are real archives from tests/dists.py, the one builder, written into the
test's tmp dir by `make_wheel` and `make_sdist`. The same arguments give the same bytes, so a
test can rebuild "the same file" or change `payload` to get a different file under the same
filename.

Every test gets its own storage directory and upload temp directory, so "nothing was
written" is a statement about an empty directory, not a guess.
"""

from __future__ import annotations

import base64
import email.parser
import hashlib
import itertools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client

from tests.dists import core_metadata_of, sdist_bytes, wheel_bytes
from warden.accounts.models import User
from warden.audit.origin import Interface, Origin
from warden.packaging.models import Project, Role, RoleName
from warden.packaging.services import project_create as project_create
from warden.tokens.services import token_mint

# METADATA header -> upload form field, the way twine fills the form.
FORM_FIELDS = {
    "Metadata-Version": "metadata_version",
    "Name": "name",
    "Version": "version",
    "Summary": "summary",
    "Description-Content-Type": "description_content_type",
    "Author": "author",
    "Author-Email": "author_email",
    "License": "license",
    "Requires-Python": "requires_python",
}
FORM_MULTI_FIELDS = {
    "Classifier": "classifiers",
    "Requires-Dist": "requires_dist",
    "Provides-Extra": "provides_extra",
}

MakeDist = Callable[..., Path]
Upload = Callable[..., HttpResponse]


# --- personas -------------------------------------------------------------------------------


def acting(user: User | None) -> Origin:
    """Where a test's call to a service comes from: `user` acting on a page."""
    return Origin(interface=Interface.WEB, actor=user)


@pytest.fixture
def mallory(mallory: User, with_totp: Callable[[User], str]) -> User:
    with_totp(mallory)
    return mallory


@pytest.fixture
def demo(alice: User, bob: User) -> Project:
    """alice's project, created the way the first upload creates it; bob maintains it."""
    project = project_create(name="demo", owner=alice, origin=acting(alice))
    Role.objects.create(project=project, user=bob, role_name=RoleName.MAINTAINER)
    return project


@pytest.fixture
def alice_token(alice: User) -> str:
    return token_mint(user=alice, description="ci", origin=acting(alice))[1]


@pytest.fixture
def mallory_token(mallory: User) -> str:
    return token_mint(user=mallory, description="mine", origin=acting(mallory))[1]


# --- isolation ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def storage_dir(settings: Any, tmp_path: Path) -> Path:
    """A storage location of this test's own (Django resets default_storage on change)."""
    location = tmp_path / "storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "warden.lib.storage.AtomicFileSystemStorage",
                    "OPTIONS": {"location": location}},
    }
    return location


@pytest.fixture(autouse=True)
def upload_temp_dir(settings: Any, tmp_path: Path) -> Path:
    directory = tmp_path / "upload-tmp"
    directory.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = directory
    return directory


def files_under(directory: Path) -> list[str]:
    """Every file below `directory`, relative, sorted (nothing if it doesn't exist)."""
    if not directory.exists():
        return []
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


# --- distributions --------------------------------------------------------------------------


@pytest.fixture
def dist_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "dists"
    directory.mkdir()
    return directory


@pytest.fixture
def make_wheel(dist_dir: Path) -> MakeDist:
    """`make_wheel(name, version, *, payload=..., directory=..., **options)` writes
    `tests.dists.wheel_bytes(name, version, module=payload, **options)` into `directory` (by
    default a new one of its own) and returns its path. `payload` is the source of the
    package's `__init__.py`; options are `tag`, `metadata` (bytes, replacing the generated
    METADATA), `files` and the fields of `tests.dists.metadata_text`."""
    counter = itertools.count()

    def make(name: str = "demo", version: str = "1.0", *, payload: str | None = None,
             directory: Path | None = None, **options: Any) -> Path:
        wheel = wheel_bytes(name, version, module=payload, **options)
        return wheel.write_to(directory or dist_dir / f"w{next(counter)}")

    return make


@pytest.fixture
def make_sdist(dist_dir: Path) -> MakeDist:
    """`make_sdist(name, version, *, fmt="tar.gz"|"zip", payload=..., extra_members=[(path,
    bytes)], directory=..., **options)` writes `tests.dists.sdist_bytes` the same way."""
    counter = itertools.count()

    def make(name: str = "demo", version: str = "1.0", *, payload: str | None = None,
             extra_members: Iterable[tuple[str, bytes]] = (), directory: Path | None = None,
             **options: Any) -> Path:
        sdist = sdist_bytes(name, version, dict(extra_members), module=payload, **options)
        return sdist.write_to(directory or dist_dir / f"s{next(counter)}")

    return make


# --- the upload client ----------------------------------------------------------------------


def basic_auth(password: str, username: str = "__token__") -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def upload_form(path: Path, data: bytes | None = None) -> dict[str, Any]:
    """The form twine would send for `path`: its own metadata, its type and the digests of
    `data` (the file's bytes unless given)."""
    message = email.parser.BytesParser().parsebytes(core_metadata_of(path))
    form: dict[str, Any] = {":action": "file_upload", "protocol_version": "1"}
    for header, field in FORM_FIELDS.items():
        if header in message:
            form[field] = str(message[header])
    for header, field in FORM_MULTI_FIELDS.items():
        if values := message.get_all(header):
            form[field] = [str(v) for v in values]
    form["description"] = message.get_payload()
    data = path.read_bytes() if data is None else data
    form["filetype"] = "bdist_wheel" if path.name.endswith(".whl") else "sdist"
    form["pyversion"] = path.name.split("-")[-3] if path.name.endswith(".whl") else "source"
    form["sha256_digest"] = hashlib.sha256(data).hexdigest()
    form["md5_digest"] = hashlib.md5(data, usedforsecurity=False).hexdigest()
    form["blake2_256_digest"] = hashlib.blake2b(data, digest_size=32).hexdigest()
    return form


def upload_to(client: Client, token: str | None, path: Path, *, username: str = "__token__",
              content: bytes | None = None, **overrides: Any) -> HttpResponse:
    """POST `path` to /legacy/ as twine would. An override of None drops that field.
    `content` sends other bytes under the file's name (the form still describes `path`)."""
    form = upload_form(path, content)
    for key, value in overrides.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    headers = {} if token is None else {"HTTP_AUTHORIZATION": basic_auth(token, username)}
    if content is not None:
        fh: Any = SimpleUploadedFile(path.name, content)
    else:
        fh = path.open("rb")
    with fh:
        # The file goes last, as twine sends it.
        return client.post("/legacy/", {**form, "content": fh}, **headers)


@pytest.fixture
def upload() -> Upload:
    """`upload(client, token, path, **form_overrides)`; see `upload_to`."""
    return upload_to
