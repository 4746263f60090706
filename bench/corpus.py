"""Deterministic synthetic package corpus for the index benchmarks.

Every file is built by tests/dists.py, the one builder of the project's test
distributions (no build backend is run), so generating ~1500 files takes about
a second and the bytes are identical from run to run (fixed timestamps, gzip
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
import dataclasses
import sys
from pathlib import Path

# tests/dists.py lives in the repository, one level up; `python bench/run.py` and
# `python bench/corpus.py` put only bench/ on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.dists import dist_info_dir, sdist_bytes, wheel_bytes
from tests.dists import dist_stem as dist_name  # also bench/run.py's name for the modules

SUMMARY = "Synthetic package generated for the Warden benchmark"


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


def _fields(rel: Release) -> dict:
    """The core metadata of a corpus package (tests.dists.metadata_text's fields)."""
    return {
        "summary": SUMMARY,
        "requires_python": ">=3.8",
        "classifiers": ["Programming Language :: Python :: 3"],
        "requires_dist": rel.requires,
        "description_content_type": "text/plain",
        "extra_headers": (
            "Home-page: https://example.invalid/bench\n"
            "Author: Warden bench\n"
            "Author-email: bench@example.invalid\n"
            "License: MIT\n"
        ),
        "description": (
            f"{rel.project} {rel.version}\n\n"
            "A tiny synthetic package; it only defines __version__."
        ),
    }


def build_wheel(rel: Release, outdir: Path) -> Path:
    top_level = f"{dist_info_dir(rel.project, rel.version)}/top_level.txt"
    files = {top_level: f"{dist_name(rel.project)}\n".encode()}
    return wheel_bytes(rel.project, rel.version, files, **_fields(rel)).write_to(outdir)


def build_sdist(rel: Release, outdir: Path) -> Path:
    return sdist_bytes(rel.project, rel.version, **_fields(rel)).write_to(outdir)


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
