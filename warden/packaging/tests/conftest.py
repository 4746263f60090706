"""Personas, distributions and an upload client for the packaging tests.

Personas:
- alice: owns `demo` and publishes with an unscoped token (`alice_token`);
- bob: maintainer of `demo`;
- mallory: a registered stranger with no role anywhere, and a token of her own.

All three have a second factor (TOTP), so what stops mallory here is her lack of a role,
not of 2FA; the policy on uploads has its own tests (warden/accounts/tests/test_policy.py).

Distributions are real archives, written byte for byte into the test's tmp dir: a wheel with
`*.dist-info/METADATA`, `WHEEL` and a `RECORD` of correct hashes; an sdist with
`<name>-<version>/PKG-INFO`. The same arguments give the same bytes, so a test can rebuild
"the same file" or change `payload` to get a different file under the same filename.

Every test gets its own storage directory and upload temp directory, so "nothing was
written" is a statement about an empty directory, not a guess.
"""

from __future__ import annotations

import base64
import email.parser
import gzip
import hashlib
import io
import itertools
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client

from warden.accounts.models import User
from warden.packaging.models import Project, Role, RoleName
from warden.packaging.services import project_create as project_create
from warden.tokens.services import token_mint

DATE_TIME = (2024, 1, 1, 0, 0, 0)
MTIME = 1704067200  # 2024-01-01, so rebuilt archives are byte-identical
WHEEL_FILE = (b"Wheel-Version: 1.0\nGenerator: warden-tests\nRoot-Is-Purelib: true\n"
              b"Tag: py3-none-any\n")

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


@pytest.fixture
def mallory(mallory: User, with_totp: Callable[[User], str]) -> User:
    with_totp(mallory)
    return mallory


@pytest.fixture
def demo(alice: User, bob: User) -> Project:
    """alice's project, created the way the first upload creates it; bob maintains it."""
    project = project_create(name="demo", owner=alice)
    Role.objects.create(project=project, user=bob, role_name=RoleName.MAINTAINER)
    return project


@pytest.fixture
def alice_token(alice: User) -> str:
    return token_mint(user=alice, description="ci")[1]


@pytest.fixture
def mallory_token(mallory: User) -> str:
    return token_mint(user=mallory, description="mine")[1]


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


def dist_stem(name: str) -> str:
    return name.replace("-", "_").replace(".", "_").lower()


def metadata_text(name: str, version: str, *, metadata_version: str = "2.1",
                  summary: str = "A package for tests", requires_python: str | None = None,
                  classifiers: Iterable[str] = (), requires_dist: Iterable[str] = (),
                  extra_headers: str = "", description: str = "Nothing to see here.") -> bytes:
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}",
             f"Summary: {summary}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Classifier: {c}" for c in classifiers]
    lines += [f"Requires-Dist: {r}" for r in requires_dist]
    text = "\n".join(lines) + "\n" + extra_headers + "\n" + description + "\n"
    return text.encode()


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def wheel_bytes(members: Mapping[str, bytes], *, dist_info: str) -> bytes:
    files = dict(members)
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def tar_gz_bytes(members: Iterable[tuple[str, bytes]]) -> bytes:
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directories: set[str] = set()
        for path, data in members:
            parts = path.split("/")
            for depth in range(1, len(parts)):
                directory = "/".join(parts[:depth])
                if directory not in directories and ".." not in parts[:depth]:
                    directories.add(directory)
                    info = tarfile.TarInfo(directory)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
                    tar.addfile(info)
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def zip_bytes(members: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in members:
            archive.writestr(zipfile.ZipInfo(path, date_time=DATE_TIME), data)
    return buffer.getvalue()


@pytest.fixture
def dist_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "dists"
    directory.mkdir()
    return directory


@pytest.fixture
def make_wheel(dist_dir: Path) -> MakeDist:
    """`make_wheel(name, version, *, payload=..., tag=..., metadata=..., directory=...,
    **metadata_fields)` writes a wheel and returns its path. `metadata` (bytes) replaces the
    generated METADATA; `metadata_fields` go to `metadata_text`."""
    counter = itertools.count()

    def make(name: str = "demo", version: str = "1.0", *, payload: str = "VALUE = 1\n",
             tag: str = "py3-none-any", metadata: bytes | None = None,
             directory: Path | None = None, **fields: Any) -> Path:
        stem = dist_stem(name)
        dist_info = f"{stem}-{version}.dist-info"
        members = {
            f"{stem}/__init__.py": payload.encode(),
            f"{dist_info}/METADATA": metadata or metadata_text(name, version, **fields),
            f"{dist_info}/WHEEL": WHEEL_FILE,
        }
        target = (directory or dist_dir / f"w{next(counter)}")
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"{stem}-{version}-{tag}.whl"
        path.write_bytes(wheel_bytes(members, dist_info=dist_info))
        return path

    return make


@pytest.fixture
def make_sdist(dist_dir: Path) -> MakeDist:
    """`make_sdist(name, version, *, fmt="tar.gz"|"zip", payload=..., metadata=...,
    extra_members=[(path, bytes)], directory=..., **metadata_fields)` writes an sdist."""
    counter = itertools.count()

    def make(name: str = "demo", version: str = "1.0", *, fmt: str = "tar.gz",
             payload: str = "VALUE = 1\n", metadata: bytes | None = None,
             extra_members: Iterable[tuple[str, bytes]] = (), directory: Path | None = None,
             **fields: Any) -> Path:
        stem = dist_stem(name)
        root = f"{stem}-{version}"
        members = [
            (f"{root}/PKG-INFO", metadata or metadata_text(name, version, **fields)),
            (f"{root}/pyproject.toml",
             f'[project]\nname = "{name}"\nversion = "{version}"\n'.encode()),
            (f"{root}/{stem}/__init__.py", payload.encode()),
            *extra_members,
        ]
        target = (directory or dist_dir / f"s{next(counter)}")
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"{root}.{fmt}"
        path.write_bytes(tar_gz_bytes(members) if fmt == "tar.gz" else zip_bytes(members))
        return path

    return make


def core_metadata_of(path: Path) -> bytes:
    """The METADATA (wheel) or PKG-INFO (sdist) inside the distribution at `path`."""
    if path.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(path) as archive:
            wanted = ".dist-info/METADATA" if path.name.endswith(".whl") else "/PKG-INFO"
            name = next(n for n in archive.namelist()
                        if n.endswith(wanted) and n.count("/") == 1)
            return archive.read(name)
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            if member.name.endswith("/PKG-INFO") and member.name.count("/") == 1:
                extracted = tar.extractfile(member)
                assert extracted is not None
                return extracted.read()
    raise AssertionError(f"no core metadata in {path}")


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
