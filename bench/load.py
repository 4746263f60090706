#!/usr/bin/env python
"""Load test: concurrent uploaders and readers against Warden on PostgreSQL.

    .venv/bin/python bench/load.py [--minutes 10] [--uploaders 50] [--readers 200]
        [--url http://127.0.0.1:PORT --token TOKEN] [--out bench/results/<date>-load]

Without --url it starts a throwaway PostgreSQL (scripts/pg-throwaway, which runs this script
again inside it) and a `warden serve` on it as bench/servers.py's `Warden` runs it (fresh
data dir, the serve defaults, user `bench` with TOTP and a token), and stops only what it
started, by pid. Everything listens on and talks to 127.0.0.1 only.

One client process, threads: `--uploaders` threads POST new wheels and sdists (built by
tests/dists.py through bench/corpus.py) to /legacy/ with the form twine sends
(bench/tuf_client.py: one keep-alive requests session per thread, not twine itself), using a
token scoped to the run's projects; some go to one shared project at once (contention),
some are sent twice with the same bytes (the second must be a 200 no-op). `--readers`
threads read simple pages (HTML and PEP 691 JSON), the JSON API and downloads of accepted
files (sha256 checked), revalidating some with If-None-Match. Any other answer, any
connection error, counts as an error. Afterwards every accepted file must be listed on its
project's simple page with its sha256 and download with it. Meanwhile the RSS of every
server process is sampled. See bench/README.md, "### Load".
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/tuf_client.py imports python-tuf (`tuf`), which bench/tuf.py would shadow.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
sys.path.append(str(BENCH))

import argparse  # noqa: E402
import collections  # noqa: E402
import datetime as dt  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import urllib.parse  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import corpus as corpus_mod  # noqa: E402
import procs  # noqa: E402
import requests  # noqa: E402
import tuf_client  # noqa: E402
from procs import log, run  # noqa: E402
from run import host_info  # noqa: E402
from servers import REPO, VENV_BIN, Warden  # noqa: E402
from tuf_common import git_describe  # noqa: E402

HTML = "text/html"
PEP691 = "application/vnd.pypi.simple.v1+json"
INNER = "WARDEN_BENCH_LOAD_INNER"  # set when pg-throwaway runs us again with its database
OPS = ("upload", "simple_html", "simple_json", "json_api", "download")
TIMEOUT = 120.0
LIMITS = ("WARDEN_LIMIT_PROJECTS_PER_USER_DAY", "WARDEN_LIMIT_PROJECTS_PER_ADDRESS_DAY",
          "WARDEN_LIMIT_UPLOADS_PER_USER_HOUR", "WARDEN_LIMIT_UPLOADS_PER_ADDRESS_HOUR")


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--uploaders", type=int, default=50)
    ap.add_argument("--readers", type=int, default=200)
    ap.add_argument("--hot-share", type=float, default=0.1,
                    help="share of uploads that go to the one project all uploaders share")
    ap.add_argument("--sdist-share", type=float, default=0.3,
                    help="share of releases uploaded with an sdist besides the wheel")
    ap.add_argument("--retry-share", type=float, default=0.05,
                    help="share of accepted uploads sent again with the same bytes")
    ap.add_argument("--revalidate-share", type=float, default=0.3,
                    help="share of reads sent with If-None-Match when an ETag is known")
    ap.add_argument("--sample-interval", type=float, default=5.0, help="RSS sampling, seconds")
    ap.add_argument("--verify-timeout", type=float, default=300.0,
                    help="seconds to wait for accepted files to be listed after the load")
    ap.add_argument("--url", help="use this running Warden instead of starting one")
    ap.add_argument("--token", help="with --url: an upload token that may create projects")
    ap.add_argument("--serve-args", default="", help="appended to `warden serve`")
    ap.add_argument("--warden-bin", default=str(VENV_BIN / "warden"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep-workdir", action="store_true")
    ap.add_argument("--out", type=Path, help="default: bench/results/<date>-load")
    args = ap.parse_args(argv)
    if args.url and not args.token:
        ap.error("--url needs --token")
    if args.uploaders < 1 or args.readers < 0 or args.minutes <= 0:
        ap.error("need at least one uploader, no negative readers and a positive duration")
    return args


# --- what the run shares between threads ------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    project: str
    version: str
    filename: str
    sha256: str

    @property
    def path(self) -> str:
        s = self.sha256
        return f"{s[:2]}/{s[2:4]}/{s}/{self.filename}"


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: collections.defaultdict(list))
    outcomes: collections.Counter = field(default_factory=collections.Counter)
    errors: collections.Counter = field(default_factory=collections.Counter)
    accepted: list[Accepted] = field(default_factory=list)
    versions: dict[str, list[str]] = field(default_factory=lambda: collections.defaultdict(list))
    retries_ok: int = 0
    threads_wait_s: float = 0.0  # the client threads' run-queue waits, added as each ends

    def record(self, op: str, seconds: float, outcome: str) -> None:
        with self.lock:
            self.latencies[op].append(seconds)
            self.outcomes[(op, outcome)] += 1

    def error(self, op: str, what: str, seconds: float | None = None) -> None:
        with self.lock:
            self.errors[(op, what)] += 1
            self.outcomes[(op, "error")] += 1
            if seconds is not None:
                self.latencies[f"{op} (errors)"].append(seconds)

    def accept(self, item: tuf_client.Item) -> None:
        with self.lock:
            self.accepted.append(Accepted(item.name, item.version, item.filename, item.sha256))
            if item.version not in self.versions[item.name]:
                self.versions[item.name].append(item.version)


def session_new() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy, no netrc: 127.0.0.1 only
    return session


# --- uploaders --------------------------------------------------------------------------------


def upload_one(stats: Stats, session: requests.Session, base: str, token: str,
               item: tuf_client.Item, *, again: bool) -> bool:
    tuf_client.upload(session, base, token, item)
    seconds = item.ok - item.posted
    if item.status != 200:
        what = f"{item.status} {' '.join(item.error.split())[:160]}" if item.status else \
            f"connection: {item.error[:160]}"
        stats.error("upload", what, seconds)
        return False
    # A retry of the same bytes must be a no-op; a first upload must create the file.
    if again != ("already uploaded" in item.reply):
        stats.error("upload", f"200 but {'retry' if again else 'first upload'} answered "
                              f"{item.reply.strip()[:80]!r}", seconds)
        return False
    stats.record("upload", seconds, "200 retry" if again else "200")
    return True


def uploader(stats: Stats, *, index: int, own: str, hot: str, base: str, token: str,
             workdir: Path, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed * 1000 + index)
    directory = workdir / f"uploader-{index:03d}"
    seq = 0
    with session_new() as session:
        while not stats.stop.is_set():
            seq += 1
            shared = rng.random() < args.hot_share
            project = hot if shared else own
            version = f"2.{index}.{seq}" if shared else f"1.{seq}"
            release = corpus_mod.Release(project, version,
                                         sdist=rng.random() < args.sdist_share)
            paths = [corpus_mod.build_wheel(release, directory)]
            if release.sdist:
                paths.append(corpus_mod.build_sdist(release, directory))
            for path in paths:
                if stats.stop.is_set():
                    break
                item = tuf_client.item_from(path, project, version)
                path.unlink()
                if not upload_one(stats, session, base, token, item, again=False):
                    continue
                stats.accept(item)
                if rng.random() < args.retry_share and upload_one(
                        stats, session, base, token, item, again=True):
                    with stats.lock:
                        stats.retries_ok += 1


# --- readers ----------------------------------------------------------------------------------


def timed_get(stats: Stats, session: requests.Session, op: str, url: str,
              headers: dict[str, str]) -> tuple[requests.Response | None, float]:
    started = time.monotonic()
    try:
        response = session.get(url, headers=headers, timeout=TIMEOUT)
        response.content  # noqa: B018 - the whole body is part of the request's time
    except requests.RequestException as exc:
        seconds = time.monotonic() - started
        stats.error(op, f"connection: {type(exc).__name__}: {str(exc)[:120]}", seconds)
        return None, seconds
    return response, time.monotonic() - started


def read_simple(stats: Stats, session: requests.Session, base: str, project: str,
                fmt: str, etags: dict[Any, str], revalidate: bool) -> None:
    op = f"simple_{fmt}"
    accept = PEP691 if fmt == "json" else HTML
    headers = {"Accept": accept}
    etag = etags.get((op, project))
    if revalidate and etag:
        headers["If-None-Match"] = etag
    response, seconds = timed_get(stats, session, op, f"{base}/simple/{project}/", headers)
    if response is None:
        return
    ctype = response.headers.get("Content-Type", "")
    if response.status_code == 304 and "If-None-Match" in headers:
        stats.record(op, seconds, "304")
    elif response.status_code == 200 and ctype.startswith(accept):
        if response.headers.get("ETag"):
            etags[(op, project)] = response.headers["ETag"]
        stats.record(op, seconds, "200")
    else:
        stats.error(op, f"{response.status_code} {ctype} {response.text[:80]!r}", seconds)


def read_json_api(stats: Stats, session: requests.Session, base: str, project: str,
                  rng: random.Random) -> None:
    with stats.lock:
        versions = list(stats.versions.get(project, ()))
    if versions and rng.random() < 0.5:
        url = f"{base}/pypi/{project}/{rng.choice(versions)}/json"
    else:
        url = f"{base}/pypi/{project}/json"
    response, seconds = timed_get(stats, session, "json_api", url, {})
    if response is None:
        return
    ctype = response.headers.get("Content-Type", "")
    if response.status_code == 200 and ctype.startswith("application/json"):
        stats.record("json_api", seconds, "200")
    else:
        stats.error("json_api", f"{response.status_code} {ctype} {response.text[:80]!r}",
                    seconds)


def read_download(stats: Stats, session: requests.Session, base: str, accepted: Accepted,
                  etags: dict[Any, str], revalidate: bool) -> None:
    headers = {}
    etag = etags.get(("download", accepted.path))
    if revalidate and etag:
        headers["If-None-Match"] = etag
    response, seconds = timed_get(stats, session, "download",
                                  f"{base}/packages/{accepted.path}", headers)
    if response is None:
        return
    if response.status_code == 304 and headers:
        stats.record("download", seconds, "304")
    elif response.status_code == 200:
        digest = hashlib.sha256(response.content).hexdigest()
        if digest != accepted.sha256:
            stats.error("download", f"200 with the wrong bytes (sha256 {digest[:12]}...)",
                        seconds)
            return
        if response.headers.get("ETag"):
            etags[("download", accepted.path)] = response.headers["ETag"]
        stats.record("download", seconds, "200")
    else:
        stats.error("download", f"{response.status_code} {response.text[:80]!r}", seconds)


# Of every 100 reads: simple HTML, simple JSON, JSON API, download.
READ_MIX = (("simple_html", 25), ("simple_json", 25), ("json_api", 20), ("download", 30))


def reader(stats: Stats, *, index: int, base: str, projects: list[str],
           args: argparse.Namespace) -> None:
    rng = random.Random(args.seed * 1000 + 500 + index)
    ops = [op for op, weight in READ_MIX for _ in range(weight)]
    etags: dict[Any, str] = {}
    with session_new() as session:
        while not stats.stop.is_set():
            op = rng.choice(ops)
            revalidate = rng.random() < args.revalidate_share
            if op == "download":
                with stats.lock:
                    accepted = rng.choice(stats.accepted)
                read_download(stats, session, base, accepted, etags, revalidate)
            elif op == "json_api":
                read_json_api(stats, session, base, rng.choice(projects), rng)
            else:
                read_simple(stats, session, base, rng.choice(projects),
                            op.removeprefix("simple_"), etags, revalidate)


def guarded(stats: Stats, target: Any, **kwargs: Any) -> None:
    """A thread that dies on a bug in this script is an error of the run, not a silence."""
    try:
        target(stats, **kwargs)
    except Exception as exc:
        stats.error("client", f"{target.__name__} thread crashed: {exc!r}")
        traceback.print_exc()
    finally:
        # A thread's schedstat goes when it ends, so each adds its own.
        with open("/proc/thread-self/schedstat") as fh:
            waited = int(fh.read().split()[1]) / 1e9
        with stats.lock:
            stats.threads_wait_s += waited


# --- memory and CPU ---------------------------------------------------------------------------


def _stat_fields(pid: int | str) -> list[str]:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()


def _role(pid: int, ppid: int, pgid: int, cmdline: str) -> str | None:
    """What a process of `warden serve`'s group is; None: a child, named after its parent."""
    if pid == pgid:
        return "warden serve"
    if "gunicorn" in cmdline:
        return "web master (gunicorn)" if ppid == pgid else "web worker"
    if "multiprocessing" in cmdline:
        return None
    if "db_worker" in cmdline:
        return "task worker"
    if "signer" in cmdline:
        return "signer"
    return None


def _child_label(cmdline: str) -> str:
    if "resource_tracker" in cmdline:
        return "multiprocessing resource tracker"
    if "multiprocessing" in cmdline:
        return "multiprocessing child"
    return cmdline[:50]


def _runqueue_wait(pid: str) -> float:
    """Seconds the process's threads have waited for a CPU while runnable (schedstat)."""
    total = 0
    for task in os.scandir(f"/proc/{pid}/task"):
        with open(f"{task.path}/schedstat") as fh:
            total += int(fh.read().split()[1])
    return total / 1e9


def group_processes(pgid: int) -> dict[int, tuple[str, float, float, float]]:
    """pid -> (role, RSS in MB, CPU seconds so far, seconds waited for a CPU so far) of the
    live processes of a group."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, str, float, float, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(entry.name)
            if int(fields[2]) != pgid:
                continue
            with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{entry.name}/status") as fh:
                rss_kb = next(int(line.split()[1]) for line in fh
                              if line.startswith("VmRSS:"))
            cpu = (int(fields[11]) + int(fields[12])) / tick
            waited = _runqueue_wait(entry.name)
        except (OSError, IndexError, StopIteration, ValueError):
            continue
        found[int(entry.name)] = (int(fields[1]), cmdline, rss_kb / 1024, cpu, waited)
    roles: dict[int, tuple[str, float, float, float]] = {}
    for pid, (ppid, cmdline, rss, cpu, waited) in found.items():
        role = _role(pid, ppid, pgid, cmdline)
        if role is None:
            parent = found.get(ppid)
            parent_role = _role(ppid, found[ppid][0], pgid, parent[1]) if parent else None
            role = f"{parent_role or 'other'}: {_child_label(cmdline)}"
        roles[pid] = (role, rss, cpu, waited)
    return roles


class Sampler(threading.Thread):
    """The RSS of every process of the server's group, every `interval` seconds."""

    def __init__(self, pgid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pgid = pgid
        self.interval = interval
        self.halt = threading.Event()
        self.started_at = time.monotonic()
        self.series: dict[int, dict[str, Any]] = {}
        self.totals: list[tuple[float, float]] = []

    def sample(self) -> None:
        now = (time.monotonic() - self.started_at) / 60
        found = group_processes(self.pgid)
        for pid, (role, rss, cpu, waited) in found.items():
            entry = self.series.setdefault(pid, {"role": role, "t_min": [], "rss_mb": [],
                                                 "cpu_s": [], "wait_s": []})
            entry["wait_s"].append(waited)
            entry["t_min"].append(now)
            entry["rss_mb"].append(rss)
            entry["cpu_s"].append(cpu)
        self.totals.append((now, sum(v[1] for v in found.values())))

    def run(self) -> None:
        while True:
            self.sample()
            if self.halt.wait(self.interval):
                self.sample()
                return


def _slope(ts: list[float], values: list[float]) -> float | None:
    if len(ts) < 3 or max(ts) - min(ts) <= 0:
        return None
    return round(statistics.linear_regression(ts, values).slope, 3)


def memory_summary(series: tuple[list[float], list[float]]) -> dict[str, Any]:
    ts, values = series
    half = [i for i, t in enumerate(ts) if t >= ts[-1] / 2] if ts else []
    return {
        "samples": len(values),
        "start_mb": round(values[0], 1) if values else None,
        "end_mb": round(values[-1], 1) if values else None,
        "max_mb": round(max(values), 1) if values else None,
        "slope_mb_per_min": _slope(ts, values),
        "slope_second_half_mb_per_min": _slope([ts[i] for i in half],
                                               [values[i] for i in half]),
    }


def memory_report(sampler: Sampler) -> dict[str, Any]:
    processes = []
    for pid, entry in sorted(sampler.series.items(), key=lambda kv: (kv[1]["role"], kv[0])):
        processes.append({"pid": pid, "role": entry["role"],
                          "first_seen_min": round(entry["t_min"][0], 2),
                          "last_seen_min": round(entry["t_min"][-1], 2),
                          "cpu_s": round(entry["cpu_s"][-1] - entry["cpu_s"][0], 1),
                          "runqueue_wait_s": round(entry["wait_s"][-1] - entry["wait_s"][0],
                                                   1),
                          **memory_summary((entry["t_min"], entry["rss_mb"]))})
    ts = [t for t, _ in sampler.totals]
    totals = [v for _, v in sampler.totals]
    return {"interval_s": sampler.interval, "processes": processes,
            "total": memory_summary((ts, totals)),
            "series": {str(pid): {"role": e["role"],
                                  "t_min": [round(t, 3) for t in e["t_min"]],
                                  "rss_mb": [round(v, 1) for v in e["rss_mb"]]}
                       for pid, e in sampler.series.items()}}


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return total - idle, total


def postmaster_cpu(port: int | None) -> float | None:
    """CPU seconds of our PostgreSQL: the postmaster listening on `port`, its live children
    and its reaped ones."""
    if port is None:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    master = None
    stats: dict[int, list[str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(entry.name)
            stats[int(entry.name)] = fields
            if master is None:
                with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                    argv = fh.read().split(b"\0")
                if argv[0].endswith(b"postgres") and b"-p" in argv and \
                        argv[argv.index(b"-p") + 1] == str(port).encode():
                    master = int(entry.name)
        except (OSError, IndexError):
            continue
    if master is None:
        return None
    own = stats[master]
    total = sum(int(v) for v in own[11:15])  # utime, stime, cutime, cstime
    total += sum(int(f[11]) + int(f[12]) for p, f in stats.items() if int(f[1]) == master)
    return total / tick


class CpuClock:
    """CPU seconds used by this process, the server's group, our PostgreSQL and the whole
    machine between start() and stop()."""

    def __init__(self, pgid: int | None, pg_port: int | None) -> None:
        self.pgid = pgid
        self.pg_port = pg_port

    def _read(self) -> dict[str, Any]:
        times = os.times()
        return {"wall": time.monotonic(), "client": times.user + times.system,
                "client_runqueue_wait": _runqueue_wait("self"),
                "server": procs.group_cpu_seconds(self.pgid) if self.pgid else None,
                "postgres": postmaster_cpu(self.pg_port), "machine": machine_cpu()}

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> dict[str, Any]:
        after = self._read()
        wall = after["wall"] - self.before["wall"]
        out: dict[str, Any] = {"wall_s": round(wall, 1)}
        for key in ("client", "server", "postgres"):
            if self.before[key] is None or after[key] is None:
                out[f"{key}_cores"] = None
                continue
            out[f"{key}_cpu_s"] = round(after[key] - self.before[key], 1)
            out[f"{key}_cores"] = round((after[key] - self.before[key]) / wall, 2)
        out["client_runqueue_wait_s"] = round(
            after["client_runqueue_wait"] - self.before["client_runqueue_wait"], 1)
        busy = after["machine"][0] - self.before["machine"][0]
        total = after["machine"][1] - self.before["machine"][1]
        out["machine_busy_share"] = round(busy / total, 3) if total else None
        out["machine_cores_busy"] = round(busy / total * (os.cpu_count() or 1), 2) \
            if total else None
        return out


# --- setup, verification ----------------------------------------------------------------------


def seed(stats: Stats, *, base: str, token: str, projects: list[str], workdir: Path) -> None:
    """One wheel per project, so the projects exist (for the scoped token) and their pages
    are published before readers ask for them."""
    items = [tuf_client.item_from(corpus_mod.build_wheel(corpus_mod.Release(p, "0.1"),
                                                         workdir / "seed"), p, "0.1")
             for p in projects]
    tuf_client.run_uploads(items, base=base, token=token, concurrency=8, verifiers=None,
                           deadline=time.monotonic() + 600)
    failed = [f"{i.filename}: {i.status} {i.error[:200]}" for i in items if i.status != 200]
    if failed:
        raise RuntimeError(f"seed uploads failed: {failed[:5]}")
    for item in items:
        stats.accept(item)


def scoped_token(srv: Warden, projects: list[str]) -> str:
    cmd = [str(srv.bin), "token", "create", "bench", "--expires", "1d",
           "--description", "load-test"]
    for project in projects:
        cmd += ["--project", project]
    lines = run(cmd, srv._env(), 300, srv.cmdlog).stdout.split()
    if not lines:
        raise RuntimeError("`warden token create --project ...` printed no token")
    return lines[-1]


def listed(session: requests.Session, base: str, project: str) -> dict[str, str]:
    """filename -> sha256 on the project's PEP 691 page."""
    response = session.get(f"{base}/simple/{project}/", headers={"Accept": PEP691},
                           timeout=TIMEOUT)
    if response.status_code != 200:
        return {}
    return {f["filename"]: f["hashes"].get("sha256", "") for f in response.json()["files"]}


def wait_listed(base: str, accepted: list[Accepted], timeout: float) -> dict[str, Any]:
    """Poll each project's simple page until it lists all its accepted files with their
    sha256 (the signer publishes pages after the upload commits)."""
    wanted: dict[str, dict[str, str]] = collections.defaultdict(dict)
    for a in accepted:
        wanted[a.project][a.filename] = a.sha256
    started = time.monotonic()
    missing: dict[str, list[str]] = {}
    with session_new() as session:
        pending = set(wanted)
        while pending:
            for project in sorted(pending):
                seen = listed(session, base, project)
                missing[project] = sorted(f for f, sha in wanted[project].items()
                                          if seen.get(f) != sha)
                if not missing[project]:
                    pending.discard(project)
                    del missing[project]
            if not pending or time.monotonic() - started > timeout:
                break
            time.sleep(1.0)
    return {"projects": len(wanted), "files": len(accepted),
            "waited_s": round(time.monotonic() - started, 1),
            "missing": sum(len(v) for v in missing.values()),
            "missing_examples": {p: v[:5] for p, v in list(missing.items())[:10]}}


def verify_downloads(base: str, accepted: list[Accepted], threads: int = 8) -> dict[str, Any]:
    queue = list(accepted)
    lock = threading.Lock()
    bad: list[str] = []

    def work() -> None:
        with session_new() as session:
            while True:
                with lock:
                    if not queue:
                        return
                    item = queue.pop()
                try:
                    response = session.get(f"{base}/packages/{item.path}", timeout=TIMEOUT)
                    ok = response.status_code == 200 and \
                        hashlib.sha256(response.content).hexdigest() == item.sha256
                    what = f"{response.status_code}"
                except requests.RequestException as exc:
                    ok, what = False, repr(exc)[:120]
                if not ok:
                    with lock:
                        bad.append(f"{item.path}: {what}")

    started = time.monotonic()
    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"files": len(accepted), "bad": len(bad), "bad_examples": bad[:10],
            "seconds": round(time.monotonic() - started, 1)}


# --- the run ----------------------------------------------------------------------------------


def latency_table(stats: Stats, wall: float) -> dict[str, Any]:
    table = {}
    keys = [*OPS, "simple (html + json)"]
    for op in keys:
        parts = ("simple_html", "simple_json") if op == "simple (html + json)" else (op,)
        values = [v for part in parts for v in stats.latencies[part]]
        merged: collections.Counter = collections.Counter()
        for (name, outcome), count in stats.outcomes.items():
            if name in parts:
                merged[outcome] += count
        summary = tuf_client.latency_summary(values)
        table[op] = {
            "requests": sum(merged.values()), "outcomes": dict(merged),
            "per_s": round(len(values) / wall, 1) if wall else None,
            **{k.replace("_s", "_ms"): (round(v * 1000, 1) if isinstance(v, float) else v)
               for k, v in summary.items() if k != "count"},
        }
    return table


def load(args: argparse.Namespace, *, base: str, token: str, projects: list[str],
         hot: str, stats: Stats, workdir: Path, clock: CpuClock,
         sampler: Sampler | None) -> dict[str, Any]:
    threads = []
    for index in range(1, args.uploaders + 1):
        threads.append(threading.Thread(target=guarded, daemon=True, name=f"up{index}", args=(
            stats, uploader), kwargs=dict(index=index, own=projects[index - 1], hot=hot,
                                          base=base, token=token, workdir=workdir,
                                          args=args)))
    for index in range(1, args.readers + 1):
        threads.append(threading.Thread(target=guarded, daemon=True, name=f"rd{index}", args=(
            stats, reader), kwargs=dict(index=index, base=base, projects=projects,
                                        args=args)))
    duration = args.minutes * 60
    log(f"load: {args.uploaders} uploaders, {args.readers} readers for {duration:.0f} s")
    if sampler is not None:
        sampler.start()
    clock.start()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    next_log = started + 30
    while time.monotonic() - started < duration:
        time.sleep(min(1.0, max(0.0, duration - (time.monotonic() - started))))
        if time.monotonic() >= next_log:
            next_log += 30
            with stats.lock:
                done = sum(stats.outcomes.values())
                errors = sum(stats.errors.values())
            log(f"  {time.monotonic() - started:.0f} s: {done} requests, "
                f"{len(stats.accepted)} files accepted, {errors} errors")
    stats.stop.set()
    load_wall = time.monotonic() - started
    for thread in threads:
        thread.join(max(1.0, TIMEOUT + 30 - (time.monotonic() - started - load_wall)))
    stuck = [t.name for t in threads if t.is_alive()]
    cpu = clock.stop()
    cpu["client_runqueue_wait_s"] = round(cpu["client_runqueue_wait_s"] + stats.threads_wait_s,
                                          1)
    if sampler is not None:
        sampler.halt.set()
        sampler.join()
    return {"load_wall_s": round(load_wall, 1), "drain_s": round(
        time.monotonic() - started - load_wall, 1), "threads_stuck": stuck, "cpu": cpu}


def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    stats = Stats()
    tag = time.strftime("%H%M%S")
    projects = [f"load{tag}-u{i:03d}" for i in range(1, args.uploaders + 1)]
    hot = f"load{tag}-shared"
    projects.append(hot)
    results: dict[str, Any] = {"projects": len(projects), "hot_project": hot}
    srv = None
    pg_port = None
    if args.url:
        base, seed_token = args.url.rstrip("/"), args.token
    else:
        # A capacity test from one account and one address: the abuse caps
        # (warden.packaging.limits) would refuse it within minutes. Off unless set.
        for name in LIMITS:
            os.environ.setdefault(name, "0")
        results["limits"] = {name: os.environ[name] for name in LIMITS}
        database = os.environ["WARDEN_DATABASE_URL"]
        pg_port = urllib.parse.urlsplit(database).port
        results["database"] = database.rsplit("@", 1)[-1]
        srv = Warden(workdir, SimpleNamespace(warden_bin=args.warden_bin,
                                              warden_serve_args=args.serve_args))
        srv.install()
        srv.start()
        srv.prepare()
        base, seed_token = srv.base, srv.token
        results["server"] = {"mode": srv.mode, "versions": srv.versions,
                             "startup_s": round(srv.startup_s or 0, 1)}
    try:
        log(f"seeding {len(projects)} projects")
        seed(stats, base=base, token=seed_token, projects=projects, workdir=workdir)
        if srv is not None:
            token = scoped_token(srv, projects)
            results["token"] = f"scoped to the run's {len(projects)} projects"
        else:
            token = seed_token
            results["token"] = "the one given with --token"  # noqa: S105 - says which token, is none
        pages = wait_listed(base, list(stats.accepted), 120)
        if pages["missing"]:
            raise RuntimeError(f"seed pages not published: {pages}")
        results["seed_pages_waited_s"] = pages["waited_s"]
        seeded = len(stats.accepted)
        pgid = srv.proc.pid if srv is not None and srv.proc is not None else None
        sampler = Sampler(pgid, args.sample_interval) if pgid else None
        clock = CpuClock(pgid, pg_port)
        results["run"] = load(args, base=base, token=token, projects=projects, hot=hot,
                              stats=stats, workdir=workdir, clock=clock, sampler=sampler)
        wall = results["run"]["load_wall_s"]
        # Requests per second over the load and the drain (requests in flight at the end).
        results["latency"] = latency_table(stats, results["run"]["cpu"]["wall_s"])
        results["errors"] = [{"op": op, "what": what, "count": count}
                             for (op, what), count in stats.errors.most_common()]
        accepted = list(stats.accepted)
        results["uploads"] = {"accepted_files": len(accepted) - seeded,
                              "retries_ok": stats.retries_ok,
                              "files_per_s": round((len(accepted) - seeded) / wall, 1),
                              "hot_project_files": sum(1 for a in accepted if a.project == hot)}
        log(f"verifying {len(accepted)} files: listed on their simple pages")
        results["listed"] = wait_listed(base, accepted, args.verify_timeout)
        log("verifying: downloads with their sha256")
        results["downloaded"] = verify_downloads(base, accepted)
        if sampler is not None:
            results["memory"] = memory_report(sampler)
    finally:
        stats.stop.set()  # on an abort too: no thread keeps asking a server that is gone
        if srv is not None:
            srv.stop()
    return results


def ms(value: Any) -> str:
    return "-" if value is None else f"{value:.0f}"


def markdown(r: dict[str, Any]) -> str:
    a = r["args"]
    cpu = r["run"]["cpu"]
    lines = [
        f"# Load test on PostgreSQL ({r['date']})", "",
        f"`{r['command']}` at Warden {r['warden_git']}: {a['uploaders']} uploaders and "
        f"{a['readers']} readers for {a['minutes']} min in one client process (threads), "
        f"on {r['host']['nproc']} cores ({r['host']['cpu_model']}) shared by the client, "
        "the server and PostgreSQL; load average at start "
        f"{r['host']['loadavg_at_start']}.",
        "",
        f"Server: {r.get('server', {}).get('mode', a['url'])}; database "
        f"{r.get('database', 'as configured')}. Token: {r.get('token')}. Abuse caps: "
        f"{r.get('limits', 'as configured')} (0: off).",
        "",
        "## Latency (ms, nearest rank) and throughput", "",
        "Per s: over the load and its drain (requests in flight at the end). Upload includes "
        "the retries of the same bytes; outcomes are the statuses that count as success.", "",
        "| operation | requests | outcomes | per s | p50 | p90 | p99 | max |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for op, row in r["latency"].items():
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(row["outcomes"].items()))
        lines.append(f"| {op} | {row['requests']} | {outcomes} | {row['per_s']} | "
                     f"{ms(row['p50_ms'])} | {ms(row['p90_ms'])} | {ms(row['p99_ms'])} | "
                     f"{ms(row['max_ms'])} |")
    errors = r["errors"]
    lines += ["", f"## Errors: {sum(e['count'] for e in errors)}", ""]
    if errors:
        lines += ["| operation | count | what |", "|---|---|---|"]
        lines += [f"| {e['op']} | {e['count']} | {e['what'].replace('|', '/')} |"
                  for e in errors]
    up, listed, down = r["uploads"], r["listed"], r["downloaded"]
    lines += [
        "", "## Nothing lost", "",
        f"- {up['accepted_files']} files accepted during the load ({up['files_per_s']}/s), "
        f"{up['hot_project_files']} of them (seed included) in the shared project "
        f"`{r['hot_project']}`; {up['retries_ok']} retries of the same bytes answered 200 "
        "\"already uploaded\".",
        f"- Listed with their sha256 on their project's PEP 691 page: "
        f"{listed['files'] - listed['missing']} of {listed['files']} (seed included; "
        f"waited {listed['waited_s']} s after the load for the signer to publish).",
        f"- Downloaded with the right sha256: {down['files'] - down['bad']} of {down['files']}.",
    ]
    if listed["missing"]:
        lines.append(f"- Missing from pages: {listed['missing_examples']}")
    if down["bad"]:
        lines.append(f"- Bad downloads: {down['bad_examples']}")
    lines += [
        "", "## CPU", "",
        f"Over {cpu['wall_s']} s of load: client {cpu.get('client_cores')} cores, server "
        f"processes {cpu.get('server_cores')}, PostgreSQL {cpu.get('postgres_cores')}; the "
        f"client's threads waited {cpu['client_runqueue_wait_s']} s in all for a CPU; the "
        f"whole machine was {cpu['machine_cores_busy']} of {r['host']['nproc']} cores busy "
        "(other work on the machine included).",
    ]
    if r["run"]["threads_stuck"]:
        lines.append(f"Threads still busy {TIMEOUT + 30:.0f} s after the end: "
                     f"{len(r['run']['threads_stuck'])}.")
    memory = r.get("memory")
    if memory:
        lines += ["", f"## Memory (RSS, MB, sampled every {memory['interval_s']:.0f} s)", "",
                  "CPU s: used while sampled; wait s: runnable but waiting for a CPU "
                  "(/proc/PID/task/*/schedstat), i.e. what other processes on the machine "
                  "(ours included) cost it.", "",
                  "| process | pid | seen (min) | CPU s | wait s | start | end | max | "
                  "slope MB/min | 2nd half slope |", "|---|---|---|---|---|---|---|---|---|---|"]
        for p in [*memory["processes"], {"role": "**all of them**", "pid": "",
                                         "first_seen_min": 0, "cpu_s": round(sum(
                                             p["cpu_s"] for p in memory["processes"]), 1),
                                         "runqueue_wait_s": round(sum(
                                             p["runqueue_wait_s"]
                                             for p in memory["processes"]), 1),
                                         "last_seen_min": cpu["wall_s"] / 60,
                                         **memory["total"]}]:
            lines.append(f"| {p['role']} | {p['pid']} | {p['first_seen_min']:.1f}-"
                         f"{p['last_seen_min']:.1f} | {p['cpu_s']} | "
                         f"{p['runqueue_wait_s']} | {p['start_mb']} | "
                         f"{p['end_mb']} | "
                         f"{p['max_mb']} | {p['slope_mb_per_min']} | "
                         f"{p['slope_second_half_mb_per_min']} |")
    return "\n".join(lines)


def throwaway_database(argv: list[str]) -> int:
    """Run this script again under scripts/pg-throwaway, which starts the cluster, stops it
    and deletes it when we are done, however we end."""
    env = {**os.environ, INNER: "1"}
    env.pop("WARDEN_DATABASE_URL", None)
    cmd = [str(REPO / "scripts" / "pg-throwaway"), sys.executable, str(Path(__file__)), *argv]
    os.execve(cmd[0], cmd, env)  # noqa: S606 - our own script, argv as a list
    return 1  # not reached


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if not args.url and not os.environ.get(INNER):
        return throwaway_database(argv)
    # pg-throwaway passes a TERM on to us: unwind, so `finally` stops the server we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    workdir = Path(tempfile.mkdtemp(prefix="warden-load-"))
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/load.py", *argv]),
        "warden_git": git_describe(), "host": host_info(), "args": vars(args) | {
            "out": str(args.out) if args.out else None},
        "read_mix_percent": dict(READ_MIX)}
    try:
        results.update(measure(args, workdir))
    finally:
        procs.stop_all()
        if args.keep_workdir:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    out = args.out or BENCH / "results" / f"{dt.date.today().isoformat()}-load"
    out.parent.mkdir(parents=True, exist_ok=True)
    text = markdown(results)
    Path(f"{out}.json").write_text(json.dumps(results, indent=1) + "\n")
    Path(f"{out}.md").write_text(text + "\n")
    print(text)
    lost = results["listed"]["missing"] + results["downloaded"]["bad"]
    return 1 if results["errors"] or lost else 0


if __name__ == "__main__":
    sys.exit(main())
