"""Real distributions, written byte by byte, for the end-to-end tests.

`build_dists` writes a wheel and an sdist of a one-module project the way a build backend
would: PEP 625 / wheel filenames, Metadata-Version 2.1, a RECORD with correct hashes. The
sdist carries its own tiny PEP 517 backend (`backend-path`), so pip and uv can build it
offline, with build isolation on, from nothing but the index under test.

The `*_archive` helpers write the malformed archives an attacker would upload.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import textwrap
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

METADATA_VERSION = "2.1"


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


def dist_stem(name: str) -> str:
    """The name part of wheel and PEP 625 sdist filenames: normalized, `-` as `_`."""
    return canonicalize_name(name).replace("-", "_")


def metadata_text(
    name: str,
    version: str,
    *,
    summary: str = "",
    classifiers: Sequence[str] = (),
    requires_python: str | None = ">=3.8",
) -> str:
    lines = [
        f"Metadata-Version: {METADATA_VERSION}",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {summary or f'{name}, a package for end-to-end tests'}",
    ]
    lines += [f"Classifier: {c}" for c in classifiers]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines.append("Description-Content-Type: text/plain")
    return "\n".join(lines) + f"\n\n{name} {version}: nothing to see here.\n"


def module_source(version: str, marker: str = "") -> str:
    return f'"""An end-to-end test package."""\n\n__version__ = "{version}"\n{marker}'


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def wheel_bytes(
    name: str, version: str, members: dict[str, bytes], metadata: str
) -> tuple[str, bytes]:
    """A wheel holding `members` plus its .dist-info; returns (filename, bytes)."""
    stem = dist_stem(name)
    info = f"{stem}-{version}.dist-info"
    files = dict(members)
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: warden-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(_zipinfo(path), data)
    return f"{stem}-{version}-py3-none-any.whl", buffer.getvalue()


def _zipinfo(path: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


# The in-tree PEP 517 backend shipped inside every sdist. It builds the wheel from the
# sdist's own PKG-INFO and module, with nothing but the standard library.
BACKEND = textwrap.dedent('''
    """A minimal PEP 517 backend for Warden's end-to-end test packages."""
    import base64
    import hashlib
    import os
    import re
    import tarfile
    import zipfile

    HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


    def _pkg_info():
        with open(os.path.join(HERE, "PKG-INFO"), encoding="utf-8") as f:
            text = f.read()
        fields = dict(
            line.split(": ", 1) for line in text.split("\\n\\n", 1)[0].splitlines()
            if ": " in line
        )
        return text, fields["Name"], fields["Version"]


    def _stem(name):
        return re.sub(r"[-_.]+", "_", name).lower()


    def _hash(data):
        digest = hashlib.sha256(data).digest()
        return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        text, name, version = _pkg_info()
        stem = _stem(name)
        info = "%s-%s.dist-info" % (stem, version)
        files = {}
        for root, _dirs, names in os.walk(os.path.join(HERE, stem)):
            for filename in sorted(names):
                path = os.path.join(root, filename)
                with open(path, "rb") as f:
                    files[os.path.relpath(path, HERE).replace(os.sep, "/")] = f.read()
        files[info + "/METADATA"] = text.encode()
        files[info + "/WHEEL"] = (
            b"Wheel-Version: 1.0\\nGenerator: in-tree\\nRoot-Is-Purelib: true\\n"
            b"Tag: py3-none-any\\n"
        )
        record = "".join("%s,%s,%d\\n" % (p, _hash(d), len(d)) for p, d in files.items())
        files[info + "/RECORD"] = (record + info + "/RECORD,,\\n").encode()
        wheel_name = "%s-%s-py3-none-any.whl" % (stem, version)
        with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w") as archive:
            for path, data in files.items():
                archive.writestr(path, data)
        return wheel_name


    def build_sdist(sdist_directory, config_settings=None):
        _text, name, version = _pkg_info()
        base = "%s-%s" % (_stem(name), version)
        with tarfile.open(os.path.join(sdist_directory, base + ".tar.gz"), "w:gz") as tar:
            tar.add(HERE, arcname=base)
        return base + ".tar.gz"
''').lstrip()


def sdist_members(name: str, version: str, *, metadata: str, marker: str = "") -> dict[str, bytes]:
    """The files of a buildable sdist, keyed by path inside the archive."""
    stem = dist_stem(name)
    root = f"{stem}-{version}"
    pyproject = textwrap.dedent(f'''
        [build-system]
        requires = []
        build-backend = "backend"
        backend-path = ["_build"]

        [project]
        name = "{name}"
        version = "{version}"
        description = "{name}, a package for end-to-end tests"
        requires-python = ">=3.8"
    ''').lstrip()
    return {
        f"{root}/PKG-INFO": metadata.encode(),
        f"{root}/pyproject.toml": pyproject.encode(),
        f"{root}/_build/backend.py": BACKEND.encode(),
        f"{root}/{stem}/__init__.py": module_source(version, marker).encode(),
    }


def tar_gz_bytes(entries: Iterable[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    """A .tar.gz of `entries`: (path, data) pairs for regular files, or prepared TarInfos
    (links, odd paths) written as they are."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
                continue
            path, data = entry
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build_dists(
    directory: Path,
    name: str,
    version: str,
    *,
    classifiers: Sequence[str] = (),
    marker: str = "",
    wheel_metadata: str | None = None,
) -> Dists:
    """Writes `<name>-<version>` as a wheel and an sdist into `directory`.

    `marker` changes the module's bytes (a different file under the same name);
    `wheel_metadata` replaces the wheel's METADATA (to disagree with the upload form).
    """
    directory.mkdir(parents=True, exist_ok=True)
    stem = dist_stem(name)
    metadata = metadata_text(name, version, classifiers=classifiers)
    sdist_path = directory / f"{stem}-{version}.tar.gz"
    sdist_path.write_bytes(
        tar_gz_bytes(sdist_members(name, version, metadata=metadata, marker=marker).items())
    )
    wheel_name, data = wheel_bytes(
        name,
        version,
        {f"{stem}/__init__.py": module_source(version, marker).encode()},
        wheel_metadata if wheel_metadata is not None else metadata,
    )
    wheel_path = directory / wheel_name
    wheel_path.write_bytes(data)
    return Dists(name=name, version=version, module=stem, sdist=sdist_path, wheel=wheel_path)


def zip_bomb_wheel_bytes(name: str, version: str, *, inflated_size: int) -> tuple[str, bytes]:
    """A wheel that is valid in every way except that one member inflates from about a
    thousandth of its size: `inflated_size` bytes of zeros."""
    stem = dist_stem(name)
    zeros = bytes(inflated_size)
    return wheel_bytes(
        name,
        version,
        {f"{stem}/__init__.py": module_source(version).encode(), f"{stem}/zeros.bin": zeros},
        metadata_text(name, version),
    )
