"""Client bytes: the TUF metadata a client downloads to install 20 projects from a large index.

Builds, with python-tuf directly, a repository in the shape Warden's signer produces
(warden/tuf/offline.py `draft_init`, warden/tuf/signer.py): root, targets and bins (offline,
version 1), `bins` delegating to 2**14 succinct hashed bins `bin-0000` .. `bin-3fff` signed by
the online key, a snapshot naming targets and bins (version, length, sha256) and every bin
(version only), a timestamp naming the snapshot (version, length, sha256), compact JSON,
consistent snapshots (`<version>.<role>.json`). Target paths as Warden names them:
`packages/aa/bb/<sha256>/<file>` (sha256 hash and length), `<wheel>.metadata` (PEP 658),
`simple/<name>/index.html|json`.

The index: P projects (default 250,000), each with one release of an sdist and a wheel, so
2P distribution files (500,000), P metadata files and 2P pages: 5P targets (1,250,000, about
76 per bin). Bin versions are what a repository that ran for D days (default 180) would have:
every bin is signed again twice a day (a bin lives 1 day and is refreshed with 12 h left),
plus once on each day an upload changed one of its targets: U uploads a day (default 1,500),
each changing 4 targets (the file, its metadata file, the project's two pages) in 4 random
bins, which at 2**14 bins is about 5,000 bins a day.

Only the bins some client reads are written (their versions for the others are in the
snapshot, which lists all of them): what a client downloads does not depend on the rest.

A client is python-tuf's own `ngclient.Updater`; its fetcher reads the files from the
directory and records each response's size as served plain and gzipped (level 6, as
warden/tuf/serve.py compresses), HTTP headers not counted. To "install" a project the
client asks for the three targets pip reads from an index: the project page
(`simple/<name>/index.json`), the wheel's PEP 658 metadata file and the wheel
(`get_targetinfo`, which loads the bin that lists the path).

Scenarios (the same 20 projects each time, chosen at random with a fixed seed):
- fresh: a client that trusts only root version 1 (what an installer ships) and has no other
  metadata.
- returning, an hour later: the client installed them before; since then an hour of uploads
  (U/24) changed some bins, and no refresh of all bins happened.
- returning, a day later: since then every bin was signed again (twice) and a day of uploads
  changed some more: every bin the client needs is new to it, and so is the snapshot.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from securesystemslib.signer import CryptoSigner
from tuf.api.exceptions import DownloadHTTPError
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer
from tuf.ngclient import Updater
from tuf.ngclient.fetcher import FetcherInterface

BASE = "http://tuf-sim.invalid"
TARGETS_PER_UPLOAD = 4
BINS_PATHS = ["packages/*/*/*/*", "simple/*/*", "simple/*"]  # warden/tuf/repository.py
COMPACT = JSONSerializer(compact=True)


@dataclass
class Fetched:
    path: str
    raw: int
    gzip: int


class DirFetcher(FetcherInterface):
    """Serves the repository directory; records what each response would weigh."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log: list[Fetched] = []
        self.misses: list[str] = []

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = urlsplit(url).path
        file = self.root / path.lstrip("/")
        if not file.is_file():
            self.misses.append(path)
            raise DownloadHTTPError(f"404 for {path}", 404)
        body = file.read_bytes()
        self.log.append(Fetched(path, len(body), len(gzip.compress(body, 6, mtime=0))))
        return iter([body])


@dataclass
class Project:
    name: str
    targets: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (sha, size)

    @property
    def install_paths(self) -> list[str]:
        wheel = next(p for p in self.targets if p.endswith(".whl"))
        return [f"simple/{self.name}/index.json", wheel + ".metadata", wheel]


def _sha(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def _target(low: int, high: int, *parts: object) -> tuple[str, int]:
    """A (sha256, length) pair, both derived from `parts`: the same every time."""
    sha = _sha(*parts)
    return sha, low + int(sha[:8], 16) % (high - low)


def project(i: int) -> Project:
    name = f"sim-{i:06d}"
    stem = name.replace("-", "_")
    p = Project(name)
    for filename in (f"{stem}-1.0.tar.gz", f"{stem}-1.0-py3-none-any.whl"):
        sha, size = _target(2_000, 2_000_000, "file", filename)
        path = f"packages/{sha[:2]}/{sha[2:4]}/{sha}/{filename}"
        p.targets[path] = (sha, size)
        if filename.endswith(".whl"):
            p.targets[path + ".metadata"] = _target(500, 5_000, "metadata", filename)
    p.targets[f"simple/{name}/index.html"] = _target(400, 3_000, "html", name)
    p.targets[f"simple/{name}/index.json"] = _target(500, 4_000, "json", name)
    return p


class SimRepo:
    def __init__(self, directory: Path, *, bit_length: int, projects: int, days: int,
                 uploads_per_day: int, seed: int = 458) -> None:
        self.dir = directory
        self.tuf = directory / "tuf"
        shutil.rmtree(directory, ignore_errors=True)
        self.tuf.mkdir(parents=True)
        self.rng = random.Random(seed)
        self.projects = projects
        self.uploads_per_day = uploads_per_day
        self.now = datetime.now(UTC).replace(microsecond=0)
        keys = {name: CryptoSigner.generate_ed25519() for name in ("root", "targets", "bins")}
        self.online = CryptoSigner.generate_ed25519()
        online_key = self.online.public_key
        expires = self.now + timedelta(days=365)
        root = Metadata(Root(expires=expires, consistent_snapshot=True))
        for name in ("root", "targets"):
            root.signed.add_key(keys[name].public_key, name)
        for name in ("snapshot", "timestamp"):
            root.signed.add_key(online_key, name)
        bins_key = keys["bins"].public_key
        targets = Metadata(Targets(expires=expires, delegations=Delegations(
            keys={bins_key.keyid: bins_key}, roles={"bins": DelegatedRole(
                name="bins", keyids=[bins_key.keyid], threshold=1, terminating=False,
                paths=BINS_PATHS)})))
        self.roles = SuccinctRoles(keyids=[online_key.keyid], threshold=1,
                                   bit_length=bit_length, name_prefix="bin")
        bins = Metadata(Targets(expires=expires, delegations=Delegations(
            keys={online_key.keyid: online_key}, succinct_roles=self.roles)))
        for name, md in (("root", root), ("targets", targets), ("bins", bins)):
            md.sign(keys[name])
            self._write(f"1.{name}.json", md)
        self.root_bytes = (self.tuf / "1.root.json").read_bytes()
        # Bin versions after `days` days: two refreshes a day, one more on each day a change
        # touched the bin.
        n = self.roles.number_of_bins
        self.versions = [1 + 2 * days] * n
        touched_per_day = []
        for _ in range(days):
            touched = self.touched(uploads_per_day)
            touched_per_day.append(len(touched))
            for b in touched:
                self.versions[b] += 1
        self.bins_changed_per_day = round(sum(touched_per_day) / max(1, days))
        self.snapshot_version = days * 2_000  # any number: a day has many publish cycles
        self.timestamp_version = self.snapshot_version
        self.extra: dict[int, dict[str, tuple[str, int]]] = {}  # bin -> targets added since
        self.base: dict[int, dict[str, tuple[str, int]]] = {}  # bin -> targets (read bins)

    def _write(self, name: str, md: Metadata[Any]) -> int:
        data = md.to_bytes(COMPACT)
        (self.tuf / name).write_bytes(data)
        return len(data)

    def _pinned(self, name: str) -> MetaFile:
        data = (self.tuf / name).read_bytes()
        return MetaFile(version=int(name.split(".", 1)[0]), length=len(data),
                        hashes={"sha256": hashlib.sha256(data).hexdigest()})

    def _bin_name(self, number: int) -> str:
        return f"{self.roles.name_prefix}-{number:0{self.roles.suffix_len}x}"

    def bin_of(self, path: str) -> int:
        return int(self.roles.get_role_for_target(path).rsplit("-", 1)[1], 16)

    def contents_load(self, wanted: set[int]) -> None:
        """The targets of the bins in `wanted`: every project's targets are generated and
        hashed to their bins; those of other bins are dropped."""
        self.base = {b: {} for b in wanted}
        for i in range(self.projects):
            for path, value in project(i).targets.items():
                b = self.bin_of(path)
                if b in self.base:
                    self.base[b][path] = value

    def publish(self, wanted: set[int]) -> None:
        """Write the current versions of the bins in `wanted`, a snapshot naming every bin
        and the timestamp."""
        expires = self.now + timedelta(days=1)
        for b in sorted(wanted):
            targets = self.base[b] | self.extra.get(b, {})
            md = Metadata(Targets(version=self.versions[b], expires=expires, targets={
                path: TargetFile(length=size, hashes={"sha256": sha}, path=path)
                for path, (sha, size) in sorted(targets.items())}))
            md.sign(self.online)
            self._write(f"{self.versions[b]}.{self._bin_name(b)}.json", md)
        # As Warden's signer pins them: targets and bins by length and hash too, the bins
        # by version only.
        meta = {f"{role}.json": self._pinned(f"1.{role}.json") for role in ("targets", "bins")}
        meta |= {f"{self._bin_name(b)}.json": MetaFile(version=v)
                 for b, v in enumerate(self.versions)}
        self.snapshot_version += 1
        snapshot = Metadata(Snapshot(version=self.snapshot_version, expires=expires, meta=meta))
        snapshot.sign(self.online)
        name = f"{self.snapshot_version}.snapshot.json"
        self._write(name, snapshot)
        self.timestamp_version += 1
        timestamp = Metadata(Timestamp(version=self.timestamp_version, expires=expires,
                                       snapshot_meta=self._pinned(name)))
        timestamp.sign(self.online)
        self._write("timestamp.json", timestamp)

    def touched(self, uploads: int) -> set[int]:
        """The bins `uploads` uploads touch: each changes TARGETS_PER_UPLOAD targets (the
        file, its metadata file, the project's two pages), each in a random bin."""
        n = len(self.versions)
        return {self.rng.randrange(n) for _ in range(uploads * TARGETS_PER_UPLOAD)}

    def advance(self, *, uploads: int, refreshes: int) -> int:
        """Time passes: `uploads` uploads change their bins (each such bin gets a new
        target), every bin is signed again `refreshes` times. Returns the bins changed."""
        changed = self.touched(uploads)
        for b in changed:
            self.versions[b] += 1
            filename = f"new_{b}_{self.versions[b]}-1.0-py3-none-any.whl"
            sha = _sha("new", filename)
            self.extra.setdefault(b, {})[f"packages/{sha[:2]}/{sha[2:4]}/{sha}/{filename}"] = (
                sha, 12_345)
        if refreshes:
            self.versions = [v + refreshes for v in self.versions]
        return len(changed)


def install(repo: SimRepo, client_dir: Path, projects: list[Project]) -> dict[str, Any]:
    """One client run: refresh, then the targets of each project; what it downloaded."""
    fetcher = DirFetcher(repo.dir)
    (client_dir / "metadata").mkdir(parents=True, exist_ok=True)
    bootstrap = None if (client_dir / "metadata" / "root.json").exists() else repo.root_bytes
    updater = Updater(metadata_dir=str(client_dir / "metadata"),
                      metadata_base_url=f"{BASE}/tuf/", target_dir=str(client_dir / "targets"),
                      target_base_url=f"{BASE}/", fetcher=fetcher, bootstrap=bootstrap)
    c0 = time.process_time()
    updater.refresh()
    c1 = time.process_time()
    for p in projects:
        for path in p.install_paths:
            info = updater.get_targetinfo(path)
            if info is None or info.hashes["sha256"] != p.targets[path][0]:
                raise RuntimeError(f"{path}: not the target the simulation signed")
    c2 = time.process_time()
    by_role: dict[str, dict[str, int]] = {}
    for f in fetcher.log:
        role = f.path.rsplit("/", 1)[1].split(".")[-2]
        role = "bins (hashed)" if role.startswith("bin-") else role
        entry = by_role.setdefault(role, {"files": 0, "raw": 0, "gzip": 0})
        entry["files"] += 1
        entry["raw"] += f.raw
        entry["gzip"] += f.gzip
    return {
        "files": len(fetcher.log),
        "raw_bytes": sum(f.raw for f in fetcher.log),
        "gzip_bytes": sum(f.gzip for f in fetcher.log),
        "not_found_requests": len(fetcher.misses),
        "by_role": by_role,
        # python-tuf's own work (verifying, persisting), no network: CPU seconds.
        "client_cpu_refresh_s": round(c1 - c0, 3),
        "client_cpu_lookups_s": round(c2 - c1, 3),
    }


def simulate(workdir: Path, *, bit_length: int = 14, projects: int = 250_000,
             installs: int = 20, days: int = 180, uploads_per_day: int = 1_500,
             seed: int = 458) -> dict[str, Any]:
    shutil.rmtree(workdir, ignore_errors=True)  # clients must not keep another run's root
    repo = SimRepo(workdir / "repo", bit_length=bit_length, projects=projects, days=days,
                   uploads_per_day=uploads_per_day, seed=seed)
    pick = random.Random(seed + 1).sample(range(projects), installs)
    chosen = [project(i) for i in pick]
    wanted = {repo.bin_of(path) for p in chosen for path in p.install_paths}
    repo.contents_load(wanted)
    out: dict[str, Any] = {
        "assumptions": {
            "bit_length": bit_length, "bins": repo.roles.number_of_bins,
            "projects": projects, "distribution_files": 2 * projects,
            "targets": 5 * projects,
            "targets_per_bin": round(5 * projects / repo.roles.number_of_bins, 1),
            "days_of_history": days, "uploads_per_day": uploads_per_day,
            "targets_changed_per_upload": TARGETS_PER_UPLOAD,
            "bins_changed_per_day": repo.bins_changed_per_day,
            "installed_projects": installs,
            "targets_read_per_project": 3, "bins_read": len(wanted),
        },
    }
    repo.publish(wanted)
    snapshot = (repo.tuf / f"{repo.snapshot_version}.snapshot.json").read_bytes()
    out["snapshot"] = {"raw_bytes": len(snapshot),
                       "gzip_bytes": len(gzip.compress(snapshot, 6, mtime=0))}
    fresh_dir, returning_dir = workdir / "client-fresh", workdir / "client-returning"
    out["fresh"] = install(repo, fresh_dir, chosen)
    install(repo, returning_dir, chosen)  # the returning client's first visit (not reported)
    out["assumptions"]["bins_changed_in_the_hour"] = repo.advance(
        uploads=max(1, uploads_per_day // 24), refreshes=0)
    repo.publish(wanted)
    out["returning_1h"] = install(repo, returning_dir, chosen)
    out["assumptions"]["bins_changed_in_the_day"] = repo.advance(
        uploads=uploads_per_day, refreshes=2)
    repo.publish(wanted)
    out["returning_1d"] = install(repo, returning_dir, chosen)
    fresh_day = workdir / "client-fresh-2"
    out["fresh_day_later"] = install(repo, fresh_day, chosen)
    return out
