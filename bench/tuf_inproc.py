"""In-process measurements of Warden's signer (run by bench/tuf.py in a child process).

    python bench/tuf_inproc.py --data DIR --out RESULT.json [--projects N] [--profile]

Sets up Django on a fresh SQLite database in DIR (`WARDEN_DATA_DIR`), initialises the
embedded TUF repository (`embedded_init`, 2**14 bins unless --bit-length), then measures
`Publisher.cycle()`, the signer's own publish cycle, in three phases:

1. `initial`: the first cycle, which signs every bin (what `warden serve` does on first start).
2. `new_projects`: N projects with one wheel each (plus its PEP 658 metadata file) are
   created through the models, with the 3 pending changes the upload that creates a project
   leaves (project, release, file), then cycles run until nothing is pending: the
   repository holds only these.
3. `refresh`: F targets of other projects are inserted into the signer's table (default
   1,000,000, about what an index of 400,000 files has), then cycles run at `now + 13 h`, when
   every bin is due to be signed again (ONLINE_REFRESH), until no bin is due: what one
   refresh of all bins costs on a populated index.
4. `new_releases`: a second wheel for each of the N projects (2 pending changes each:
   release, file), on that populated repository (every bin it signs carries its share of the
   F targets), same drain.
5. `single_changes`: cycles that each cover one new project (what a signer keeping up with a
   slow stream of uploads does): the fixed cost of a publish on that repository.
6. `idle_polls`: what the polls of an idle `warden signer` cost: `cycle()` with nothing
   pending, and `publisher_for`, each on its own: CPU, wall time, SQL queries.

`--loop SECONDS --data DIR --out FILE` instead runs the `warden signer` command itself, so
instrumented, in this process against a running server's data dir (bench/tuf.py starts
`warden serve --no-signer` for that): where a signer's time goes while uploads come in.

Every cycle is timed (wall and this process's CPU), and its wall time is split into what the
signer spends on rendering pages, diffing targets, signing bins, the snapshot, storage writes
and the commit, by wrapping those functions (nothing in warden/ is changed). With
--profile, the first batch of phase 4 also runs under cProfile (its top functions are saved).
"""

from __future__ import annotations

import sys
from pathlib import Path

# python-tuf is the package `tuf`; this directory holds bench/tuf.py, which must not shadow it.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
sys.path += [str(BENCH), str(BENCH.parent)]

import argparse  # noqa: E402
import cProfile  # noqa: E402
import hashlib  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

from tuf_common import git_describe  # noqa: E402


def django_setup(data: Path) -> None:
    os.environ["WARDEN_DATA_DIR"] = str(data)
    os.environ["DJANGO_SETTINGS_MODULE"] = "warden.settings"
    for key in ("WARDEN_DATABASE_URL", "WARDEN_TUF_ONLINE_KEY_URI", "WARDEN_TUF_ONLINE_KEY_FILE",
                "WARDEN_TUF_SYNC", "WARDEN_TUF"):
        os.environ.pop(key, None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


# --- where the time goes ---------------------------------------------------------------------


class Clock:
    """Wall time of the main thread per category, summed over wrapped calls. Not nested: a
    wrapped call inside another is charged to the inner category and taken out of the outer
    one. Calls from other threads (the signer's parallel writers) pass through untimed; the
    main thread's wait for them is timed where it waits."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[float] = []  # time charged to inner categories, per open frame
        self.missing: list[str] = []

    def wrap(self, category: Callable[..., str] | str, fn: Callable[..., Any]) -> Callable:
        main = threading.main_thread()

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is not main:
                return fn(*args, **kwargs)
            name = category(*args, **kwargs) if callable(category) else category
            self._stack.append(0.0)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - t0
                inner = self._stack.pop()
                self.seconds[name] += spent - inner
                self.calls[name] += 1
                if self._stack:
                    self._stack[-1] += spent

        return wrapped

    def take(self) -> dict[str, float]:
        out = dict(self.seconds)
        self.seconds.clear()
        self.calls.clear()
        return out


class TimedPool:
    """The signer's pool of writer threads, its `map` timed as the main thread waits."""

    def __init__(self, pool: Any, clock: Clock, category: str) -> None:
        def map_all(fn: Callable[..., Any], *iterables: Any, **kwargs: Any) -> Any:
            return iter(list(pool.map(fn, *iterables, **kwargs)))

        self._pool = pool
        self.map = clock.wrap(category, map_all)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


def instrument(clock: Clock) -> None:
    """Wrap what the signer calls, by name; names this version of the signer lacks are
    recorded in `clock.missing` (the signer changes; the split is best effort)."""
    from tuf.api.metadata import Metadata, Snapshot, Targets

    from warden.packaging import publisher
    from warden.tuf import repository as repo
    from warden.tuf import signer

    def by_type(prefix: str) -> Callable[..., str]:
        def name(signed: Any, *args: Any, **kwargs: Any) -> str:
            kind = signed.get("_type") if isinstance(signed, dict) else None
            if kind is None:  # python-tuf Metadata (an older signer)
                inner = getattr(signed, "signed", None)
                kind = "targets" if isinstance(inner, Targets) else \
                    "snapshot" if isinstance(inner, Snapshot) else "timestamp"
            return f"{prefix}: {'bins' if kind == 'targets' else kind}"
        return name

    def write_role(role: str, *args: Any, **kwargs: Any) -> str:
        if role.startswith(repo.BIN_PREFIX + "-"):
            return "storage write: bins"
        return f"storage write: {role}"

    wraps: list[tuple[Any, str, Any]] = [
        (signer, "batch_prepare", "render and store pages (batch_prepare)"),
        (signer, "targets_diff", "targets diff (DB read, metadata file sizes)"),
        (signer.Publisher, "_refresh_due", "refresh check"),
        (signer.Publisher, "_commit", "commit (DB writes)"),
        (signer.Publisher, "_lease_hold", "lease checks (DB writes)"),
        (signer.Publisher, "_bin_file", "bins: building the signed part"),
        (repo, "envelope_sign", by_type("sign (JSON, ed25519)")),
        (repo, "meta_pinned", "read targets/bins files to pin them"),
        (repo, "metadata_write", write_role),
        (Metadata, "sign", by_type("sign (canonical JSON, ed25519)")),
        (repo, "metadata_bytes", by_type("serialize (JSON)")),
        (signer, "io_map", "storage write: bins (parallel writers, waited for)"),
        (publisher, "io_map", "storage write: pages (parallel writers, waited for)"),
        (os, "sync", "storage: os.sync for the batch's writes"),
        (signer.Publisher, "cycle", "other (bin contents from DB, snapshot meta, ...)"),
        (signer, "publisher_for", "publisher_for (offline versions, per poll)"),
    ]
    for owner, attr, category in wraps:
        if attr == "io_map" and owner is publisher and getattr(owner, attr, None) is None:
            continue  # an older publisher stores pages one by one (in batch_prepare)
        if hasattr(owner, attr):
            setattr(owner, attr, clock.wrap(category, getattr(owner, attr)))
        else:
            clock.missing.append(f"{getattr(owner, '__name__', owner)}.{attr}")
    if hasattr(signer, "_WRITERS"):
        signer._WRITERS = TimedPool(signer._WRITERS, clock,
                                    "storage write: bins (parallel writers, waited for)")


# --- the data --------------------------------------------------------------------------------


def _hex(*parts: object, size: int = 64) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:size]


def files_create(projects: list[Any], version: str, files_dir: Path) -> int:
    """One release `version` with one wheel (and its PEP 658 metadata file in storage) for
    each project, through the models; returns the number of files."""
    from warden.packaging.models import File, Release
    from warden.packaging.storage import storage_path

    releases = Release.objects.bulk_create(
        [Release(project=p, version=version, canonical_version=version,
                 metadata_version="2.1", summary="Synthetic package for the TUF benchmark",
                 requires_python=">=3.8") for p in projects], batch_size=500)
    files = []
    for project, release in zip(projects, releases, strict=True):
        filename = f"{project.normalized_name.replace('-', '_')}-{version}-py3-none-any.whl"
        sha256 = _hex("file", filename)
        metadata = (f"Metadata-Version: 2.1\nName: {project.name}\nVersion: {version}\n"
                    "Summary: Synthetic package for the TUF benchmark\n").encode()
        path = storage_path(sha256, filename)
        target = files_dir / "packages" / f"{path}.metadata"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(metadata)
        files.append(File(release=release, filename=filename, packagetype="bdist_wheel",
                          python_version="py3", requires_python=">=3.8",
                          size=1500 + len(filename), sha256=sha256,
                          blake2_256=_hex("blake2", filename), md5=_hex("md5", filename, size=32),
                          path=path, metadata_sha256=hashlib.sha256(metadata).hexdigest()))
    File.objects.bulk_create(files, batch_size=500)
    return len(files)


def projects_create(count: int, files_dir: Path, prefix: str = "tuf-bench") -> list[Any]:
    from warden.packaging.models import PendingChange, Project

    names = [f"{prefix}-{i:06d}" for i in range(count)]
    Project.objects.bulk_create(
        [Project(name=n, normalized_name=n, confusable_key=n) for n in names], batch_size=500)
    projects = list(Project.objects.filter(normalized_name__in=names).order_by("pk"))
    files_create(projects, "1.0.0", files_dir)
    # What an upload that creates a project leaves (`changes._pages_queue`).
    # What an upload that creates its project leaves (`changes._pages_queue`, once per
    # `project_changed`): project created (the index changed), release created, file added.
    PendingChange.objects.bulk_create(
        [PendingChange(normalized_name=p.normalized_name, index_changed=first)
         for p in projects for first in (True, False, False)], batch_size=1000)
    return projects


def releases_create(projects: list[Any], files_dir: Path) -> None:
    from warden.packaging.models import PendingChange

    files_create(projects, "2.0.0", files_dir)
    # An upload of a new release: release created, file added.
    PendingChange.objects.bulk_create(
        [PendingChange(normalized_name=p.normalized_name) for p in projects for _ in (1, 2)],
        batch_size=1000)


def fillers_insert(count: int, roles: Any) -> int:
    """`count` targets of projects that exist only as targets (5 per project: two pages, an
    sdist, a wheel and its metadata file), inserted straight into the signer's table: the
    signer carries them along in every bin it signs, as it would an index's other projects.
    They are signed by the refresh that follows."""
    from django.db import connection, transaction

    from warden.tuf import repository as repo
    from warden.tuf.models import Target

    table = Target._meta.db_table
    rows = []
    for i in range((count + 4) // 5):
        name = f"filler-{i:07d}"
        stem = name.replace("-", "_")
        for filename in (f"{stem}-1.0.tar.gz", f"{stem}-1.0-py3-none-any.whl"):
            sha = _hex("filler", filename)
            path = f"packages/{sha[:2]}/{sha[2:4]}/{sha}/{filename}"
            rows.append((path, sha, 3000 + i % 5000, name))
            if filename.endswith(".whl"):
                rows.append((path + ".metadata", _hex("metadata", filename), 400, name))
        rows.append((f"simple/{name}/index.html", _hex("html", name), 500, name))
        rows.append((f"simple/{name}/index.json", _hex("json", name), 600, name))
    rows = rows[:count]
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), 10_000):
            cursor.executemany(
                f"INSERT INTO {table} (path, sha256, size, bin, page_key) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s)",
                [(p, h, s, repo.bin_number(roles, p), k) for p, h, s, k in
                 rows[start:start + 10_000]])
    return len(rows)


# --- measuring -------------------------------------------------------------------------------


@contextmanager
def timed() -> Any:
    out: dict[str, float] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    yield out
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - c0


def drain(publisher: Any, clock: Clock, *, now: Callable[[], datetime],
          until: Callable[[], bool], profile_batch: int | None = None,
          max_cycles: int = 10_000) -> dict[str, Any]:
    """Cycles until `until()`; per cycle: changes covered, bins signed, wall, CPU, split."""
    batches = []
    categories: dict[str, float] = defaultdict(float)
    profile_text = ""
    clock.take()
    with timed() as total:
        for n in range(max_cycles):
            if until():
                break
            before = {b: v for b, (v, _) in publisher.bins.items()}
            prof = cProfile.Profile() if n == profile_batch else None
            t0, c0 = time.perf_counter(), time.process_time()
            if prof is not None:
                prof.enable()
            covered = publisher.cycle(now=now())
            if prof is not None:
                prof.disable()
                buf = io.StringIO()
                pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
                profile_text = buf.getvalue()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            signed = sum(1 for b, (v, _) in publisher.bins.items() if before.get(b) != v)
            split = clock.take()
            for key, value in split.items():
                categories[key] += value
            batches.append({"changes": covered, "bins_signed": signed,
                            "wall_s": round(wall, 4), "cpu_s": round(cpu, 4),
                            "split_s": {k: round(v, 4) for k, v in split.items()}})
    changes = sum(b["changes"] for b in batches)
    walls = [b["wall_s"] for b in batches]
    out = {
        "cycles": len(batches),
        "changes": changes,
        "bins_signed": sum(b["bins_signed"] for b in batches),
        "wall_s": round(total["wall_s"], 3),
        "cpu_s": round(total["cpu_s"], 3),
        "changes_per_s": round(changes / total["wall_s"], 1) if changes else None,
        "changes_per_cpu_s": round(changes / total["cpu_s"], 1) if changes else None,
        "cycle_wall_s": {"mean": round(statistics.fmean(walls), 3) if walls else None,
                         "p50": round(statistics.median(walls), 3) if walls else None,
                         "max": round(max(walls), 3) if walls else None},
        "split_s": {k: round(v, 3) for k, v in sorted(categories.items(), key=lambda kv: -kv[1])},
        "batches": batches,
    }
    if profile_text:
        out["profile"] = profile_text
    return out


def single_changes(publisher: Any, clock: Clock, *, count: int, files_dir: Path,
                   now: Callable[[], datetime]) -> dict[str, Any]:
    """Cycles that each cover one upload of a new project: what a signer that keeps up with
    a slow stream of uploads spends per publish (the fixed costs of a cycle)."""
    from warden.packaging.models import PendingChange

    remaining = iter(range(count))

    def one_more() -> bool:
        if PendingChange.objects.exists():
            return False
        if next(remaining, None) is None:
            return True
        projects_create(1, files_dir, prefix=f"tuf-single-{time.monotonic_ns()}")
        return False

    return drain(publisher, clock, now=now, until=one_more)


def idle_polls(publisher: Any, clock: Clock, *, count: int,
               now: Callable[[], datetime]) -> dict[str, Any]:
    """What an idle `warden signer` does on its polls (every 0.1 s), measured apart:
    `cycle()` with nothing pending, and `publisher_for` (has the offline metadata changed?),
    which the command calls on every poll or less often. CPU, wall time, SQL queries each."""
    from django.db import connection

    from warden.tuf import signer

    queries = 0

    def count_query(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                    context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    out: dict[str, Any] = {"polls": count}
    for key in ("cycle", "publisher_for"):
        clock.take()
        queries = 0
        with connection.execute_wrapper(count_query), timed() as total:
            for _ in range(count):
                if key == "cycle":
                    publisher.cycle(now=now())
                else:
                    publisher = signer.publisher_for("bench", publisher)
        split = clock.take()
        out[key] = {
            "cpu_ms": round(1000 * total["cpu_s"] / count, 3),
            "wall_ms": round(1000 * total["wall_s"] / count, 3),
            "sql_queries": round(queries / count, 2),
            "split_ms": {k: round(1000 * v / count, 3) for k, v in
                         sorted(split.items(), key=lambda kv: -kv[1]) if v >= 0.0005 * count},
        }
    return out


def uploads_rate(phase: dict[str, Any], uploads: int) -> None:
    """Add uploads (one project's pages and targets each) per second to a drained phase."""
    phase["uploads"] = uploads
    phase["uploads_per_s"] = round(uploads / phase["wall_s"], 1) if phase["wall_s"] else None


def target_count() -> int:
    from warden.tuf.models import Target

    return Target.objects.count()


def signer_loop(out: Path, seconds: float) -> None:
    """`--loop`: the `warden signer` command itself (its loop: look for changes, publish,
    sleep 0.1 s when idle), run in this process on an existing data dir with the signer's
    functions timed as above, until SIGTERM or `seconds`. For a server started with
    `warden serve --no-signer`: where a signer's time goes while uploads come in."""
    from django.core.management import call_command

    from warden.tuf import signer

    clock = Clock()
    instrument(clock)
    command = importlib.import_module("warden.tuf.management.commands.signer")
    if getattr(command, "publisher_for", signer.publisher_for) is not signer.publisher_for:
        # The command bound its own name for it before the signer module's was wrapped.
        command.publisher_for = clock.wrap("publisher_for (offline versions, per poll)",
                                           command.publisher_for)
    cycles: list[dict[str, Any]] = []
    idle = 0
    timed_cycle = signer.Publisher.cycle

    def recorded(self: Any, *args: Any, **kwargs: Any) -> int:
        nonlocal idle
        t0, c0 = time.perf_counter(), time.process_time()
        covered = timed_cycle(self, *args, **kwargs)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        split = clock.take()  # this cycle's, and the poll's work before it
        if covered:
            cycles.append({"changes": covered, "wall_s": round(wall, 4), "cpu_s": round(cpu, 4),
                           "split_s": {k: round(v, 4) for k, v in split.items()}})
        else:
            idle += 1
        return covered

    signer.Publisher.cycle = recorded
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.daemon = True
    timer.start()
    print("ready", flush=True)
    try:
        call_command("signer")  # stops on SIGTERM (its own handler), releasing its lease
    finally:
        timer.cancel()
        total: dict[str, float] = defaultdict(float)
        for c in cycles:
            for key, value in c["split_s"].items():
                total[key] += value
        walls = [c["wall_s"] for c in cycles]
        out.write_text(json.dumps({
            "cycles": len(cycles), "idle_polls": idle,
            "changes": sum(c["changes"] for c in cycles),
            "wall_s": round(sum(walls), 3),
            "cpu_s": round(sum(c["cpu_s"] for c in cycles), 3),
            "cycle_wall_s": {"p50": round(statistics.median(walls), 3) if walls else None,
                             "max": round(max(walls), 3) if walls else None},
            "split_s": {k: round(v, 3) for k, v in sorted(total.items(), key=lambda kv: -kv[1])},
            "batches": cycles, "instrumented_missing": clock.missing,
        }, indent=1) + "\n")


def main() -> None:
    if "--loop" in sys.argv:
        ap = argparse.ArgumentParser(description="the signer's loop, instrumented")
        ap.add_argument("--loop", type=float, required=True, help="seconds at most")
        ap.add_argument("--data", type=Path, required=True, help="a server's data dir")
        ap.add_argument("--out", type=Path, required=True)
        args = ap.parse_args()
        os.environ["WARDEN_DATA_DIR"] = str(args.data)
        os.environ["DJANGO_SETTINGS_MODULE"] = "warden.settings"
        import django

        django.setup()
        signer_loop(args.out, args.loop)
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="a fresh, empty directory")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--projects", type=int, default=20_000)
    ap.add_argument("--bit-length", type=int, default=14)
    ap.add_argument("--filler-targets", type=int, default=1_000_000,
                    help="targets of other projects inserted before the refresh (0: none)")
    ap.add_argument("--profile", action="store_true", help="cProfile one batch of phase 4")
    ap.add_argument("--no-refresh", action="store_true")
    ap.add_argument("--idle-polls", type=int, default=500)
    ap.add_argument("--single", type=int, default=20, help="cycles of one change each")
    args = ap.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    django_setup(args.data)

    from django.conf import settings

    from warden.packaging.models import PendingChange
    from warden.tuf import repository as repo
    from warden.tuf.models import Role
    from warden.tuf.offline import embedded_init
    from warden.tuf.signer import lease_release, publisher_for

    result: dict[str, Any] = {"bit_length": args.bit_length, "projects": args.projects,
                              "batch_limit": 1000, "warden_git": git_describe()}
    clock = Clock()
    instrument(clock)
    files_dir = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    embedded_init(keys_dir=args.data / "tuf-keys",
                  online_key_file=Path(settings.WARDEN_TUF_ONLINE_KEY_FILE),
                  bit_length=args.bit_length, now=datetime.now(UTC))
    publisher = publisher_for("bench", None)

    def nothing_pending() -> bool:
        return not PendingChange.objects.exists()

    def say(msg: str) -> None:
        print(f"[tuf_inproc {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    say("initial cycle: signing every bin")
    once = iter([False, True])
    result["initial"] = drain(publisher, clock, now=lambda: datetime.now(UTC),
                              until=lambda: next(once))

    say(f"creating {args.projects} projects (one wheel each)")
    with timed() as made:
        projects = projects_create(args.projects, files_dir)
    result["setup_new_projects_s"] = round(made["wall_s"], 2)
    say("draining: new projects")
    result["new_projects"] = drain(publisher, clock, now=lambda: datetime.now(UTC),
                                   until=nothing_pending)
    result["new_projects"]["targets_after"] = target_count()
    uploads_rate(result["new_projects"], args.projects)

    if args.filler_targets:
        say(f"inserting {args.filler_targets} targets of other projects (already published)")
        with timed() as made:
            result["filler_targets"] = fillers_insert(args.filler_targets, publisher.online.bins)
        result["setup_fillers_s"] = round(made["wall_s"], 2)

    later = datetime.now(UTC) + timedelta(hours=13)
    if not args.no_refresh:
        horizon = later + repo.ONLINE_REFRESH
        prefix = publisher.online.bins.name_prefix + "-"

        def none_due() -> bool:
            return not Role.objects.filter(name__startswith=prefix,
                                           expires__lte=horizon).exists()

        say(f"refresh: every bin due (now + 13 h), {target_count()} targets")
        result["refresh"] = drain(publisher, clock, now=lambda: later, until=none_due)
        result["refresh"]["targets"] = target_count()

    say(f"creating a second release for each of the {args.projects} projects")
    with timed() as made:
        releases_create(projects, files_dir)
    result["setup_new_releases_s"] = round(made["wall_s"], 2)
    say(f"draining: new releases ({target_count()} targets)")
    # The clock goes on from the refresh (when there was one), so no bin is due again.
    offset = later - datetime.now(UTC) if not args.no_refresh else timedelta(0)
    result["new_releases"] = drain(publisher, clock, now=lambda: datetime.now(UTC) + offset,
                                   until=nothing_pending,
                                   profile_batch=0 if args.profile else None)
    result["new_releases"]["targets_before"] = result["new_projects"]["targets_after"] + \
        result.get("filler_targets", 0)
    result["new_releases"]["targets_after"] = target_count()
    uploads_rate(result["new_releases"], args.projects)
    say(f"single changes: {args.single} cycles of one new project each")
    result["single_changes"] = single_changes(publisher, clock, count=args.single,
                                              files_dir=files_dir,
                                              now=lambda: datetime.now(UTC) + offset)

    say("idle: polls with nothing pending")
    result["idle_polls"] = idle_polls(publisher, clock, count=args.idle_polls,
                                      now=lambda: datetime.now(UTC) + offset)

    result["storage_tuf_files"] = sum(1 for _ in (files_dir / "tuf").iterdir())
    result["instrumented_missing"] = clock.missing
    lease_release(holder="bench")
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    say(f"wrote {args.out}")


if __name__ == "__main__":
    main()
