"""Deterministic synthetic package corpus for the index benchmarks.

Every file is built directly with :mod:`zipfile` / :mod:`tarfile` (no build
backend is run), so generating ~1500 files takes well under a second and the
bytes are identical from run to run (fixed timestamps, sorted members, gzip
header without a time stamp).

Layout of the full corpus:

* ``bench-pkg-001`` .. ``bench-pkg-200`` — 3 versions each, sdist + wheel
  (6 files per project).
* ``bench-big-1`` .. ``bench-big-3`` — 50 versions each, sdist + wheel
  (100 files per project).  ``bench-big-1`` is "the 100-file project".
* ``bench-small`` — 1 version, sdist + wheel: "the 2-file project".
* ``bench-inst-01`` .. ``bench-inst-20`` — 1 wheel each, used for the
  ``pip install`` / ``uv pip install`` timing.  ``bench-inst-01`` ..
  ``bench-inst-05`` form a short dependency chain (01 -> 02 -> ... -> 05) so
  the resolver has to discover some requirements from metadata; the others
  have no dependencies.

The quick corpus (``--quick``) keeps the same shape with fewer projects:
20 ``bench-pkg-*`` projects and a single 100-file ``bench-big-1``.

Run ``python bench/corpus.py OUTDIR`` to write the full corpus to a directory.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import gzip
import hashlib
import io
import re
import tarfile
import zipfile
from pathlib import Path

# 1980-01-01, the earliest time a zip file can hold; also used for tar members.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_TAR_MTIME = 315532800

SUMMARY = "Synthetic package generated for the Warden benchmark"


def normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def dist_name(name: str) -> str:
    """File-name form of a project name (PEP 427 / PEP 625)."""
    return normalize(name).replace("-", "_")


@dataclasses.dataclass(frozen=True)
class Release:
    project: str
    version: str
    sdist: bool = True
    wheel: bool = True
    requires: tuple[str, ...] = ()


@dataclasses.dataclass
class Corpus:
    """A generated corpus on disk."""

    root: Path
    releases: list[Release]
    files: dict[str, list[Path]]  # project -> its files, sorted
    small_project: str
    big_project: str
    install_packages: list[str]
    upload_measured: list[Path]  # the fixed set timed in the upload benchmark
    upload_rest: list[Path]  # everything else, uploaded untimed(ish)

    @property
    def projects(self) -> list[str]:
        return sorted(self.files)

    @property
    def all_files(self) -> list[Path]:
        return [f for p in self.projects for f in self.files[p]]

    def summary(self) -> dict:
        return {
            "projects": len(self.files),
            "files": sum(len(v) for v in self.files.values()),
            "bytes": sum(f.stat().st_size for f in self.all_files),
            "small_project": self.small_project,
            "small_project_files": len(self.files[self.small_project]),
            "big_project": self.big_project,
            "big_project_files": len(self.files[self.big_project]),
            "install_packages": len(self.install_packages),
            "upload_measured_files": len(self.upload_measured),
        }


def plan(quick: bool = False) -> tuple[list[Release], str, str, list[str], list[Release]]:
    """Return (releases, small, big, install_packages, measured_releases)."""
    n_pkg = 20 if quick else 200
    n_big = 1 if quick else 3
    releases: list[Release] = []
    for i in range(1, n_pkg + 1):
        for ver in ("1.0.0", "1.1.0", "2.0.0"):
            releases.append(Release(f"bench-pkg-{i:03d}", ver))
    for b in range(1, n_big + 1):
        for v in range(50):
            releases.append(Release(f"bench-big-{b}", f"1.0.{v}"))
    releases.append(Release("bench-small", "1.0.0"))
    install = [f"bench-inst-{i:02d}" for i in range(1, 21)]
    for i, name in enumerate(install, start=1):
        req: tuple[str, ...] = ()
        if i < 5:
            req = (f"bench-inst-{i + 1:02d}>=1.0",)
        releases.append(Release(name, "1.0.0", sdist=False, requires=req))
    # The timed upload set: version 1.0.0 (sdist + wheel) of the first half
    # of the bench-pkg projects -> 200 files (40 in quick mode).
    measured = [
        r
        for r in releases
        if r.project.startswith("bench-pkg-")
        and r.version == "1.0.0"
        and int(r.project.rsplit("-", 1)[1]) <= n_pkg // 2
    ]
    return releases, "bench-small", "bench-big-1", install, measured


def _metadata(rel: Release) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {rel.project}",
        f"Version: {rel.version}",
        f"Summary: {SUMMARY}",
        "Home-page: https://example.invalid/bench",
        "Author: Warden bench",
        "Author-email: bench@example.invalid",
        "License: MIT",
        "Classifier: Programming Language :: Python :: 3",
        "Requires-Python: >=3.8",
    ]
    lines += [f"Requires-Dist: {r}" for r in rel.requires]
    lines.append("Description-Content-Type: text/plain")
    body = (
        f"{rel.project} {rel.version}\n\nA tiny synthetic package; it only defines __version__.\n"
    )
    return "\n".join(lines) + "\n\n" + body


def _module(rel: Release) -> bytes:
    return f'"""{rel.project} (synthetic)."""\n\n__version__ = "{rel.version}"\n'.encode()


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def build_wheel(rel: Release, outdir: Path) -> Path:
    dn = dist_name(rel.project)
    info = f"{dn}-{rel.version}.dist-info"
    members: list[tuple[str, bytes]] = [
        (f"{dn}/__init__.py", _module(rel)),
        (f"{info}/METADATA", _metadata(rel).encode()),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: warden-bench\n"
            b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (f"{info}/top_level.txt", f"{dn}\n".encode()),
    ]
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in members)
    record += f"{info}/RECORD,,\n"
    members.append((f"{info}/RECORD", record.encode()))
    path = outdir / f"{dn}-{rel.version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zf.writestr(zi, data)
    return path


def build_sdist(rel: Release, outdir: Path) -> Path:
    dn = dist_name(rel.project)
    root = f"{dn}-{rel.version}"
    deps = ", ".join(f'"{r}"' for r in rel.requires)
    pyproject = (
        "[build-system]\n"
        'requires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        "[project]\n"
        f'name = "{rel.project}"\n'
        f'version = "{rel.version}"\n'
        f'description = "{SUMMARY}"\n'
        'requires-python = ">=3.8"\n'
        f"dependencies = [{deps}]\n"
    )
    members = [
        (f"{root}/PKG-INFO", _metadata(rel).encode()),
        (f"{root}/pyproject.toml", pyproject.encode()),
        (f"{root}/{dn}/__init__.py", _module(rel)),
    ]
    path = outdir / f"{root}.tar.gz"
    with open(path, "wb") as fh:
        with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tf:
                dirs = sorted({root, f"{root}/{dn}"})
                for d in dirs:
                    ti = tarfile.TarInfo(d)
                    ti.type = tarfile.DIRTYPE
                    ti.mode = 0o755
                    ti.mtime = _TAR_MTIME
                    tf.addfile(ti)
                for name, data in members:
                    ti = tarfile.TarInfo(name)
                    ti.size = len(data)
                    ti.mode = 0o644
                    ti.mtime = _TAR_MTIME
                    tf.addfile(ti, io.BytesIO(data))
    return path


def build(outdir: Path, quick: bool = False) -> Corpus:
    outdir.mkdir(parents=True, exist_ok=True)
    releases, small, big, install, measured_rel = plan(quick)
    files: dict[str, list[Path]] = {}
    by_release: dict[Release, list[Path]] = {}
    for rel in releases:
        made = []
        if rel.sdist:
            made.append(build_sdist(rel, outdir))
        if rel.wheel:
            made.append(build_wheel(rel, outdir))
        by_release[rel] = made
        files.setdefault(rel.project, []).extend(made)
    for v in files.values():
        v.sort()
    measured = [f for r in measured_rel for f in by_release[r]]
    mset = set(measured)
    rest = [f for r in releases for f in by_release[r] if f not in mset]
    return Corpus(
        root=outdir,
        releases=releases,
        files=files,
        small_project=small,
        big_project=big,
        install_packages=install,
        upload_measured=measured,
        upload_rest=rest,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    corpus = build(args.outdir, quick=args.quick)
    print(corpus.summary())


if __name__ == "__main__":
    main()
