"""Test distributions: the one way the tests and the benchmark build wheels and sdists.

The packaging unit tests (through the `make_wheel` and `make_sdist` fixtures of
warden/packaging/tests/conftest.py), the archive-inspection tests (which craft their attacks
on top of these archives in warden/packaging/dists/tests/builders.py), the end-to-end tests
(`build_dists`: files that twine uploads and pip and uv install for real) and the benchmark's
corpus (bench/corpus.py) all build here, so they agree on what a distribution is:

- one name normalisation: `dist_stem`, the PEP 503 normalised name with `-` as `_`, as wheel
  filenames, PEP 625 sdist filenames and `.dist-info` directories spell it;
- one core metadata writer, `metadata_text` (a wheel's METADATA, an sdist's PKG-INFO);
- one wheel writer, `wheel_members`/`wheel_bytes`: the package, METADATA, WHEEL and a RECORD
  with the sha256 and size of every other member;
- one sdist writer, `sdist_members`/`sdist_bytes`: `<stem>-<version>/` holding PKG-INFO,
  pyproject.toml and the package, as a .tar.gz (with its directory entries) or a .zip.

The same arguments give the same bytes (fixed times and modes, no time in the gzip header),
so a test can rebuild "the same file", or change `module` to get a different file under the
same filename. A test that needs a deliberately wrong distribution says so in its arguments:
`metadata` replaces the generated core metadata, `files` adds or replaces members (a path
with `..`, a bomb), `dist_info` and `root` rename the .dist-info and the sdist's top directory.

This module needs nothing but the standard library, because a buildable sdist
(`buildable=True`) carries a copy of it next to a small in-tree PEP 517 backend, which builds
the wheel with `wheel_bytes` from the sdist's own PKG-INFO and package. So pip and uv build it
offline, with build isolation, from nothing but the index under test, and get the very wheel
`build_dists` wrote.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import re
import tarfile
import textwrap
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

DATE_TIME = (2024, 1, 1, 0, 0, 0)  # of every zip member, so rebuilt archives are identical
MTIME = 1704067200  # the same instant, for tar members
METADATA_VERSION = "2.1"
TAG = "py3-none-any"

ZipMember = tuple[str | zipfile.ZipInfo, bytes]
TarMember = tuple[tarfile.TarInfo, bytes | None]


# --- names ------------------------------------------------------------------------------------


def normalized_name(name: str) -> str:
    """The PEP 503 normalised project name: what `packaging.utils.canonicalize_name` gives
    (spelled out here because this module must run without `packaging`, see above)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def dist_stem(name: str) -> str:
    """The name in wheel and PEP 625 sdist filenames and in `.dist-info`: normalised, `_`."""
    return normalized_name(name).replace("-", "_")


def wheel_filename(name: str, version: str, tag: str = TAG) -> str:
    return f"{dist_stem(name)}-{version}-{tag}.whl"


def sdist_filename(name: str, version: str, fmt: str = "tar.gz") -> str:
    return f"{dist_stem(name)}-{version}.{fmt}"


def dist_info_dir(name: str, version: str) -> str:
    return f"{dist_stem(name)}-{version}.dist-info"


# --- core metadata ----------------------------------------------------------------------------


def metadata_text(
    name: str = "demo",
    version: str = "1.0",
    *,
    metadata_version: str = METADATA_VERSION,
    summary: str = "A package for tests",
    requires_python: str | None = None,
    classifiers: Iterable[str] = (),
    requires_dist: Iterable[str] = (),
    description_content_type: str | None = None,
    extra_headers: str = "",
    description: str = "Nothing to see here.",
) -> bytes:
    """Core metadata as a build backend writes it. `extra_headers` is raw header text
    (`"Author: x\\n"`), written as it is: a repeated or malformed field, if a test wants one."""
    lines = [
        f"Metadata-Version: {metadata_version}",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {summary}",
    ]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Classifier: {c}" for c in classifiers]
    lines += [f"Requires-Dist: {r}" for r in requires_dist]
    if description_content_type:
        lines.append(f"Description-Content-Type: {description_content_type}")
    return ("\n".join(lines) + "\n" + extra_headers + "\n" + description + "\n").encode()


def e2e_metadata(name: str, version: str, **fields: Any) -> bytes:
    """The core metadata of the end-to-end packages: the fields tests/clients.raw_upload
    sends for them, as twine would."""
    e2e = {
        "summary": f"{name}, a package for end-to-end tests",
        "requires_python": ">=3.8",
        "description_content_type": "text/plain",
        "description": f"{name} {version}: nothing to see here.",
    }
    return metadata_text(name, version, **(e2e | fields))


def module_source(version: str, marker: str = "") -> str:
    """The package's `__init__.py`: its `__version__`, then `marker` (to make another file
    under the same name)."""
    return f'"""A package for tests."""\n\n__version__ = "{version}"\n{marker}'


def _metadata(metadata: bytes | None, name: str, version: str, fields: Mapping[str, Any]) -> bytes:
    if metadata is None:
        return metadata_text(name, version, **fields)
    if fields:
        raise TypeError(f"metadata is given, so {sorted(fields)} would be ignored")
    return metadata


def _module(module: str | None, version: str) -> bytes:
    return (module_source(version) if module is None else module).encode()


class DistFile(NamedTuple):
    """A built distribution: its filename and its bytes."""

    filename: str
    data: bytes

    def write_to(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / self.filename
        path.write_bytes(self.data)
        return path


# --- wheels -----------------------------------------------------------------------------------


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def wheel_members(
    name: str = "demo",
    version: str = "1.0",
    files: Mapping[str, bytes] | None = None,
    metadata: bytes | None = None,
    *,
    module: str | None = None,
    tag: str = TAG,
    dist_info: str | None = None,
    **fields: Any,
) -> dict[str, bytes]:
    """Every member of a wheel, by path: `<stem>/__init__.py` (`module`, by default
    `module_source(version)`), then `files` (more members, or replacements), then
    `<dist_info>/METADATA` (`metadata`, by default `metadata_text(name, version, **fields)`),
    `WHEEL` and a `RECORD` of all of them."""
    dist_info = dist_info or dist_info_dir(name, version)
    members = {
        f"{dist_stem(name)}/__init__.py": _module(module, version),
        **(files or {}),
        f"{dist_info}/METADATA": _metadata(metadata, name, version, fields),
        f"{dist_info}/WHEEL": _wheel_file(tag),
    }
    record = f"{dist_info}/RECORD"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows((path, _record_hash(data), len(data)) for path, data in members.items())
    writer.writerow((record, "", ""))
    members[record] = buffer.getvalue().encode()
    return members


def wheel_bytes(
    name: str = "demo",
    version: str = "1.0",
    files: Mapping[str, bytes] | None = None,
    metadata: bytes | None = None,
    *,
    tag: str = TAG,
    **options: Any,
) -> DistFile:
    """The wheel `<stem>-<version>-<tag>.whl` of `wheel_members` (same arguments)."""
    members = wheel_members(name, version, files, metadata, tag=tag, **options)
    return DistFile(wheel_filename(name, version, tag), zip_bytes(members))


def _wheel_file(tag: str) -> bytes:
    pythons, abis, platforms = (part.split(".") for part in tag.split("-"))
    tags = [f"Tag: {p}-{a}-{s}\n" for p in pythons for a in abis for s in platforms]
    header = "Wheel-Version: 1.0\nGenerator: warden-tests\nRoot-Is-Purelib: true\n"
    return (header + "".join(tags)).encode()


# --- sdists -----------------------------------------------------------------------------------


def sdist_members(
    name: str = "demo",
    version: str = "1.0",
    files: Mapping[str, bytes] | None = None,
    metadata: bytes | None = None,
    *,
    module: str | None = None,
    root: str | None = None,
    buildable: bool = False,
    **fields: Any,
) -> dict[str, bytes]:
    """Every file of an sdist, by path: `<root>/PKG-INFO` (`metadata`, by default
    `metadata_text(name, version, **fields)`), `pyproject.toml`, with `buildable` the in-tree
    backend, and `<stem>/__init__.py` (`module`); then `files` (full paths, added or
    replacing). `root` is `<stem>-<version>` unless given."""
    stem = dist_stem(name)
    root = root or f"{stem}-{version}"
    members = {
        f"{root}/PKG-INFO": _metadata(metadata, name, version, fields),
        f"{root}/pyproject.toml": _pyproject(
            name, version, buildable=buildable, requires_dist=fields.get("requires_dist", ())
        ),
    }
    if buildable:
        members[f"{root}/_build/backend.py"] = BACKEND.encode()
        members[f"{root}/_build/{BACKEND_DISTS}.py"] = Path(__file__).read_bytes()
    members[f"{root}/{stem}/__init__.py"] = _module(module, version)
    return members | dict(files or {})


def sdist_bytes(
    name: str = "demo",
    version: str = "1.0",
    files: Mapping[str, bytes] | None = None,
    metadata: bytes | None = None,
    *,
    fmt: str = "tar.gz",
    **options: Any,
) -> DistFile:
    """The sdist `<stem>-<version>.<fmt>` (`tar.gz` or `zip`) of `sdist_members`."""
    members = sdist_members(name, version, files, metadata, **options)
    data = tar_gz_bytes(tar_members(members)) if fmt == "tar.gz" else zip_bytes(members)
    return DistFile(sdist_filename(name, version, fmt), data)


def _pyproject(name: str, version: str, *, buildable: bool, requires_dist: Iterable[str]) -> bytes:
    if buildable:  # the backend shipped in the sdist: nothing to fetch from an index
        backend = 'requires = []\nbuild-backend = "backend"\nbackend-path = ["_build"]\n'
    else:
        backend = 'requires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
    dependencies = ", ".join(f'"{r}"' for r in requires_dist)
    project = f'name = "{name}"\nversion = "{version}"\ndependencies = [{dependencies}]\n'
    return f"[build-system]\n{backend}\n[project]\n{project}".encode()


# --- archives ---------------------------------------------------------------------------------


def zip_bytes(
    members: Mapping[str, bytes] | Iterable[ZipMember], *, compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """A zip of `members`: a path is written as a regular file (mode 0644, `DATE_TIME`,
    `compression`), a prepared `ZipInfo` (a symlink, say) as it is."""
    items = members.items() if isinstance(members, Mapping) else members
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for path, data in items:
            if isinstance(path, zipfile.ZipInfo):
                info = path
            else:
                info = zipfile.ZipInfo(path, date_time=DATE_TIME)
                info.compress_type = compression
                info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def tar_members(files: Mapping[str, bytes]) -> list[TarMember]:
    """`files` as an sdist's tar entries: each directory before the first file in it (none
    for a path that climbs with `..` or is absolute), then the file."""
    entries: list[TarMember] = []
    directories: set[str] = set()
    for path, data in files.items():
        parts = path.split("/")
        ordinary = ".." not in parts and "" not in parts
        for depth in range(1, len(parts) if ordinary else 1):
            directory = "/".join(parts[:depth])
            if directory not in directories:
                directories.add(directory)
                info = tarfile.TarInfo(directory)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
                entries.append((info, None))
        entries.append(tar_file(path, data))
    return entries


def tar_gz_bytes(
    members: Iterable[TarMember | tuple[str, bytes] | tarfile.TarInfo],
    *,
    pax_headers: Mapping[str, str] | None = None,
) -> bytes:
    """A .tar.gz of `members`, in order: (path, data) is a regular file (mode 0644, `MTIME`);
    a prepared `TarInfo` (a link, a device, an odd path), alone or with its data, is written
    as it is."""
    raw = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(
            fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, pax_headers=dict(pax_headers or {})
        ) as tar,
    ):
        for member in members:
            info, data = (member, None) if isinstance(member, tarfile.TarInfo) else member
            if not isinstance(info, tarfile.TarInfo):
                info, data = tar_file(info, data or b"")
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return raw.getvalue()


def tar_file(path: str, data: bytes) -> TarMember:
    """A regular file's tar entry: mode 0644, `MTIME`."""
    info = tarfile.TarInfo(path)
    info.size, info.mode, info.mtime = len(data), 0o644, MTIME
    return info, data


def core_metadata_of(path: Path) -> bytes:
    """The METADATA (wheel) or PKG-INFO (sdist) inside the distribution at `path`."""
    if path.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(path) as archive:
            wanted = ".dist-info/METADATA" if path.name.endswith(".whl") else "/PKG-INFO"
            name = next(n for n in archive.namelist() if n.endswith(wanted) and n.count("/") == 1)
            return archive.read(name)
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            if member.name.endswith("/PKG-INFO") and member.name.count("/") == 1:
                extracted = tar.extractfile(member)
                assert extracted is not None
                return extracted.read()
    raise AssertionError(f"no core metadata in {path}")


# --- the end-to-end tests' distributions ------------------------------------------------------

# The module name of this file's copy inside a buildable sdist.
BACKEND_DISTS = "_warden_test_dists"

# The in-tree PEP 517 backend of a buildable sdist. pip and uv unpack the sdist, put `_build`
# on sys.path, and call it; it builds with the copy of this module shipped next to it.
BACKEND = textwrap.dedent(f'''
    """A PEP 517 backend for Warden's test packages: builds from this sdist's own files with
    tests/dists.py from the Warden repository, shipped next to it as {BACKEND_DISTS}.py."""
    import email.parser
    import os
    import pathlib

    import {BACKEND_DISTS} as dists

    HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


    def _files():
        files = {{}}
        for root, directories, names in os.walk(HERE):
            directories[:] = sorted(d for d in directories if d != "__pycache__")
            for filename in sorted(names):
                path = os.path.join(root, filename)
                with open(path, "rb") as f:
                    files[os.path.relpath(path, HERE).replace(os.sep, "/")] = f.read()
        message = email.parser.BytesParser().parsebytes(files["PKG-INFO"])
        return message["Name"], message["Version"], files


    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        name, version, files = _files()
        package = dists.dist_stem(name) + "/"
        built = dists.wheel_bytes(
            name, version, {{p: d for p, d in files.items() if p.startswith(package)}},
            files["PKG-INFO"],
        )
        return built.write_to(pathlib.Path(wheel_directory)).name


    def build_sdist(sdist_directory, config_settings=None):
        name, version, files = _files()
        root = "%s-%s/" % (dists.dist_stem(name), version)
        data = dists.tar_gz_bytes(dists.tar_members({{root + p: d for p, d in files.items()}}))
        built = dists.DistFile(dists.sdist_filename(name, version), data)
        return built.write_to(pathlib.Path(sdist_directory)).name
''').lstrip()


@dataclass(frozen=True)
class Dists:
    name: str
    version: str
    module: str
    sdist: Path
    wheel: Path

    @property
    def files(self) -> list[Path]:
        return [self.sdist, self.wheel]


def build_dists(
    directory: Path,
    name: str,
    version: str,
    *,
    classifiers: Sequence[str] = (),
    marker: str = "",
    wheel_metadata: bytes | None = None,
) -> Dists:
    """Writes `<name>-<version>` as a wheel and a buildable sdist into `directory`, with
    `e2e_metadata`. `marker` changes the module's bytes (a different file under the same
    name); `wheel_metadata` replaces the wheel's METADATA (to disagree with the upload form)."""
    metadata = e2e_metadata(name, version, classifiers=classifiers)
    module = module_source(version, marker)
    sdist = sdist_bytes(name, version, metadata=metadata, module=module, buildable=True)
    wheel_metadata = metadata if wheel_metadata is None else wheel_metadata
    wheel = wheel_bytes(name, version, metadata=wheel_metadata, module=module)
    return Dists(
        name=name,
        version=version,
        module=dist_stem(name),
        sdist=sdist.write_to(directory),
        wheel=wheel.write_to(directory),
    )
