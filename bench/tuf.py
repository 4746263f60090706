#!/usr/bin/env python
"""TUF benchmark: time to protected, signing throughput, idle CPU, client bytes.

    .venv/bin/python bench/tuf.py [--quick] [--out bench/results/<name>]

1. Time to protected: a real `warden serve` (fresh SQLite data dir, 2**14 bins) gets small
   wheels POSTed to /legacy/ by 1 uploader, then by 50 concurrent uploaders; for each file,
   the time from its 200 to (a) the first timestamp served whose snapshot names a bin
   listing it ("published") and (b) a python-tuf ngclient verifying it ("verified"); then,
   restarted with `--no-signer`, the `warden signer` command run instrumented
   (bench/tuf_inproc.py --loop) under 50 uploaders: where the signer's time goes.
2. Signer CPU while idle: the same server, left alone; CPU of each of its processes.
3. Signing throughput and the refresh of all bins: `Publisher.cycle()` in a child process
   (bench/tuf_inproc.py) on a temp SQLite database.
4. Client bytes: python-tuf clients installing 20 projects from a simulated 500,000-file
   index (bench/tuf_sim.py), fresh and returning.

See bench/README.md ("TUF: ...") for what exactly is measured and the assumptions. Results:
<out>.md (also printed) and <out>.json. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import sys
from pathlib import Path

# python-tuf is the package `tuf`: this file (bench/tuf.py) must not shadow it, so bench/ goes
# to the end of the path instead of the front, where `python bench/tuf.py` puts it.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
sys.path.append(str(BENCH))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import urllib.request  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import corpus as corpus_mod  # noqa: E402
import procs  # noqa: E402
import tuf_client  # noqa: E402
import tuf_sim  # noqa: E402
from procs import clean_env, log  # noqa: E402
from run import host_info as run_host_info  # noqa: E402
from servers import VENV_BIN, Warden  # noqa: E402
from tuf.api.metadata import SuccinctRoles  # noqa: E402
from tuf_common import git_describe  # noqa: E402

# bench/run.py puts bench/ back at the front of the path when imported: not here.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH] + [str(BENCH)]

DAY = 86_400
KB = 1000  # the "300 KB": kilobytes of 1,000 bytes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller counts, shorter waits")
    ap.add_argument("--out", type=Path, default=None,
                    help="result path without extension (default bench/results/<date>-tuf"
                         "[-quick])")
    ap.add_argument("--only", default="ttp,throughput,bytes",
                    help="comma-separated subset of: ttp (time to protected, idle CPU, the "
                         "signer under load), throughput (and the refresh), bytes")
    ap.add_argument("--keep-workdir", action="store_true")
    ap.add_argument("--warden-bin", default=str(VENV_BIN / "warden"))
    ap.add_argument("--bit-length", type=int, default=14, help="WARDEN_TUF_BIT_LENGTH")
    ap.add_argument("--uploads-seq", type=int, default=None, help="uploads by 1 uploader")
    ap.add_argument("--uploads-par", type=int, default=None,
                    help="uploads by the concurrent uploaders")
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--load-uploads", type=int, default=None,
                    help="uploads for the instrumented signer under load (0: skip)")
    ap.add_argument("--poll", type=float, default=0.02, help="timestamp poll interval (s)")
    ap.add_argument("--clients", type=int, default=2, help="python-tuf clients verifying")
    ap.add_argument("--client-chunk", type=int, default=16,
                    help="files a client looks for per refresh (the others are left to the "
                         "next idle client)")
    ap.add_argument("--idle", type=float, default=None, help="seconds of idle CPU measurement")
    ap.add_argument("--projects", type=int, default=None,
                    help="throughput: projects created (then as many new releases)")
    ap.add_argument("--filler-targets", type=int, default=None,
                    help="throughput: targets of other projects before the refresh")
    ap.add_argument("--sim-projects", type=int, default=250_000)
    ap.add_argument("--sim-bit-lengths", default=None,
                    help="client bytes at these bit lengths too (default 12..16; "
                         "14 only with --quick)")
    args = ap.parse_args(argv)
    quick = args.quick
    args.uploads_seq = args.uploads_seq or (30 if quick else 200)
    args.uploads_par = args.uploads_par or (100 if quick else 500)
    if args.load_uploads is None:
        args.load_uploads = 100 if quick else 300
    args.idle = args.idle or (20.0 if quick else 60.0)
    args.projects = args.projects or (300 if quick else 5000)
    if args.filler_targets is None:
        args.filler_targets = 100_000 if quick else 1_000_000
    lengths = args.sim_bit_lengths or ("14" if quick else "12,13,14,15,16")
    args.sim_bit_lengths = sorted({int(x) for x in lengths.split(",")} | {args.bit_length})
    args.only = {x.strip() for x in args.only.split(",") if x.strip()}
    if args.out is None:
        stem = f"{dt.date.today().isoformat()}-tuf" + ("-quick" if quick else "")
        args.out = BENCH / "results" / stem
    return args


def host_info() -> dict[str, Any]:
    """bench/run.py's facts about the machine, and the versions that matter here."""
    from importlib.metadata import PackageNotFoundError, version

    info = run_host_info()
    info["versions"] = {}
    for dist in ("tuf", "securesystemslib", "cryptography", "django", "gunicorn"):
        try:
            info["versions"][dist] = version(dist)
        except PackageNotFoundError:
            info["versions"][dist] = "unknown"
    return info


# --- 1 and 2: a real server -------------------------------------------------------------------


class TufWarden(Warden):
    """`warden serve` as bench/servers.py runs it, with the TUF settings pinned."""

    bit_length = 14

    def _env(self) -> dict[str, str]:
        env = super()._env()
        for key in list(env):
            if key.startswith("WARDEN_") and key != "WARDEN_DATA_DIR":
                env.pop(key)
        env["WARDEN_TUF_BIT_LENGTH"] = str(self.bit_length)
        return env


def proc_cpu(pgid: int) -> dict[int, tuple[str, float]]:
    """pid -> (role, CPU seconds so far) for the live processes of a process group."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError, ValueError):
            continue
        text = cmdline.decode(errors="replace")
        if "warden.cli signer" in text:
            role = "signer"
        elif "db_worker" in text:
            role = "task worker"
        elif "gunicorn" in text:
            role = "web (gunicorn)"
        else:
            role = "warden serve (supervisor)"
        out[int(entry.name)] = (role, (int(fields[11]) + int(fields[12])) / tick)
    return out


def cpu_delta(before: dict[int, tuple[str, float]],
              after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds per role between two `proc_cpu` readings (processes alive at both)."""
    out: dict[str, float] = {}
    for pid, (role, cpu) in after.items():
        if pid in before:
            out[role] = round(out.get(role, 0.0) + cpu - before[pid][1], 2)
    return out


def idle_cpu(pgid: int, seconds: float) -> dict[str, Any]:
    settle = procs.wait_idle(pgid, timeout=30.0, window=2.0, max_cpu=0.15)
    before = proc_cpu(pgid)
    t0 = time.monotonic()
    time.sleep(seconds)
    after = proc_cpu(pgid)
    wall = time.monotonic() - t0
    roles: dict[str, dict[str, float]] = {}
    for pid, (role, cpu) in after.items():
        if pid in before:
            entry = roles.setdefault(role, {"processes": 0, "cpu_s": 0.0})
            entry["processes"] += 1
            entry["cpu_s"] += cpu - before[pid][1]
    for entry in roles.values():
        entry["cpu_s"] = round(entry["cpu_s"], 3)
        entry["cpu_s_per_day"] = round(entry["cpu_s"] / wall * DAY, 1)
    total = sum(e["cpu_s"] for e in roles.values())
    return {"seconds": round(wall, 2), "settled_after_s": round(settle, 1), "roles": roles,
            "total_cpu_s": round(total, 3), "total_cpu_s_per_day": round(total / wall * DAY, 1),
            "clock_tick_s": 1 / os.sysconf("SC_CLK_TCK")}


def wheels(directory: Path, prefix: str, count: int) -> list[tuf_client.Item]:
    items = []
    for i in range(1, count + 1):
        release = corpus_mod.Release(f"{prefix}-{i:04d}", "1.0.0", sdist=False)
        path = corpus_mod.build_wheel(release, directory)
        items.append(tuf_client.item_from(path, release.project, release.version))
    return items


def time_to_protected(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    opts = SimpleNamespace(warden_bin=args.warden_bin, warden_serve_args="")
    TufWarden.bit_length = args.bit_length
    srv = TufWarden(workdir, opts)
    out: dict[str, Any] = {"bit_length": args.bit_length, "poll_s": args.poll,
                           "clients": args.clients, "client_chunk": args.client_chunk,
                           "signer_poll_s": 0.1}
    srv.install()
    out["warden"] = srv.versions.get("warden")
    started = time.monotonic()
    srv.start()
    try:
        srv.prepare()
        log("warden: waiting for the first signing of every bin (/tuf/timestamp.json)")
        procs.wait_http(srv.base + "/tuf/timestamp.json", 900, srv.proc, srv.logfile)
        out["first_timestamp_after_start_s"] = round(time.monotonic() - started, 1)
        log(f"warden: first timestamp {out['first_timestamp_after_start_s']} s after start")
        with urllib.request.urlopen(srv.base + "/tuf/1.root.json", timeout=30) as resp:
            root = resp.read()
        dists = workdir / "dists"
        # Each concurrency twice: with no client running (the server alone: "published"),
        # then with the clients verifying as files come ("verified", and "published" under
        # the clients' load: they share the machine's cores with the server).
        plan = []
        for with_clients in (False, True):
            for concurrency, count in ((1, args.uploads_seq),
                                       (args.concurrency, args.uploads_par)):
                tag = f"{'v' if with_clients else 'p'}{concurrency}"
                plan.append((concurrency, with_clients,
                             wheels(dists, f"tuf-{tag}", count)))
        watcher = tuf_client.Watcher("127.0.0.1", srv.port, args.poll)
        verifiers = tuf_client.Verifiers(base=srv.base, root=root, workdir=workdir / "clients",
                                         size=args.clients, watcher=watcher,
                                         chunk=args.client_chunk)
        watcher.start()
        verifiers.start()
        runs = []
        try:
            for concurrency, with_clients, items in plan:
                log(f"time to protected: {len(items)} uploads, {concurrency} uploader(s), "
                    f"{'with' if with_clients else 'no'} clients verifying")
                rounds_before = len(verifiers.rounds)
                t_start, v_start = time.monotonic(), watcher.version
                cpu_start, bench_start = proc_cpu(srv.proc.pid), time.process_time()
                wall = tuf_client.run_uploads(
                    items, base=srv.base, token=srv.token, concurrency=concurrency,
                    verifiers=verifiers if with_clients else None,
                    deadline=time.monotonic() + 600)
                if with_clients:
                    tuf_client.wait_verified(items, verifiers, time.monotonic() + 180)
                else:
                    tuf_client.wait_published(items, watcher, time.monotonic() + 180)
                timeline = {"timestamps_published": watcher.version - v_start,
                            "seconds": round(time.monotonic() - t_start, 2),
                            "cpu_s": cpu_delta(cpu_start, proc_cpu(srv.proc.pid))}
                timeline["cpu_s"]["benchmark (uploaders, watcher, clients)"] = round(
                    time.process_time() - bench_start, 2)
                rounds = (rounds_before, len(verifiers.rounds))
                runs.append((concurrency, with_clients, items, wall, rounds, timeline))
        finally:
            watcher.stop()
        roles = SuccinctRoles(keyids=[], threshold=1, bit_length=args.bit_length,
                              name_prefix="bin")
        tuf_client.published_times([i for r in runs for i in r[2]],
                                   tuf_dir=srv.data / "files" / "tuf", roles=roles,
                                   watcher=watcher)
        out["phases"] = []
        for concurrency, with_clients, items, wall, rounds, timeline in runs:
            summary = tuf_client.phase_summary(items, wall, verifiers if with_clients else None,
                                               rounds)
            summary.update(concurrency=concurrency, clients=with_clients, signer=timeline)
            out["phases"].append(summary)
            log(f"  {concurrency} uploader(s), clients {with_clients}: published p50 "
                f"{summary['published']['p50_s']} s, p99 {summary['published']['p99_s']} s"
                + (f"; verified p50 {summary['verified']['p50_s']} s, p99 "
                   f"{summary['verified']['p99_s']} s" if with_clients else ""))
        out["watcher"] = {"polls": watcher.polls, "errors": watcher.errors,
                          "timestamps_seen": len(watcher.seen)}
        out["client_failures"] = verifiers.failures[:20]
        log(f"idle: measuring the server's CPU for {args.idle:.0f} s")
        out["idle"] = idle_cpu(srv.proc.pid, args.idle)
        signer = out["idle"]["roles"].get("signer", {})
        log(f"  signer: {signer.get('cpu_s')} CPU s in {out['idle']['seconds']} s")
        if args.load_uploads:
            srv.stop()
            out["under_load"] = signer_under_load(args, srv, workdir, roles)
    finally:
        srv.stop()
    return out


def signer_under_load(args: argparse.Namespace, srv: TufWarden, workdir: Path,
                      roles: SuccinctRoles) -> dict[str, Any]:
    """The same server restarted with `--no-signer`, and the `warden signer` command run by
    tuf_inproc.py --loop with the signer's functions timed, while `concurrency` uploaders
    upload: where the signer's time goes under load."""
    srv.opts.warden_serve_args = "--no-signer"
    srv.start()
    loop_out, loop_log = workdir / "loop.json", workdir / "loop.log"
    env = srv._env()
    cmd = [sys.executable, str(BENCH / "tuf_inproc.py"), "--loop", "600",
           "--data", str(srv.data), "--out", str(loop_out)]
    proc = procs.spawn(cmd, loop_log, env, cwd=workdir)
    try:
        deadline = time.monotonic() + 120
        while "ready" not in loop_log.read_text(errors="replace"):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the instrumented signer did not start;\n"
                                   f"{procs.tail(loop_log)}")
            time.sleep(0.2)
        watcher = tuf_client.Watcher("127.0.0.1", srv.port, args.poll)
        watcher.start()
        items = wheels(workdir / "dists", "tuf-load", args.load_uploads)
        log(f"signer under load: {len(items)} uploads, {args.concurrency} uploaders, "
            "the signer's loop instrumented")
        cpu_start = proc_cpu(srv.proc.pid)
        t_start, v_start = time.monotonic(), watcher.version
        try:
            wall = tuf_client.run_uploads(items, base=srv.base, token=srv.token,
                                          concurrency=args.concurrency, verifiers=None,
                                          deadline=time.monotonic() + 600)
            tuf_client.wait_published(items, watcher, time.monotonic() + 180)
        finally:
            watcher.stop()
        cpu = cpu_delta(cpu_start, proc_cpu(srv.proc.pid))
        procs.stop(proc)  # SIGTERM: the loop writes its result and exits
        tuf_client.published_times(items, tuf_dir=srv.data / "files" / "tuf", roles=roles,
                                   watcher=watcher)
        summary = tuf_client.phase_summary(items, wall, None, (0, 0))
        summary.update(concurrency=args.concurrency, signer={
            "timestamps_published": watcher.version - v_start,
            "seconds": round(time.monotonic() - t_start, 2), "cpu_s_web": cpu})
        summary["signer_loop"] = json.loads(loop_out.read_text())
        for batch in summary["signer_loop"].get("batches", []):
            batch.pop("split_s", None)
        loop = summary["signer_loop"]
        log(f"  published p50 {summary['published']['p50_s']} s, p99 "
            f"{summary['published']['p99_s']} s; {loop['cycles']} cycles, "
            f"{loop['wall_s']} s wall, {loop['cpu_s']} s CPU")
        return summary
    finally:
        procs.stop(proc)
        srv.stop()


# --- 3: the signer in-process -----------------------------------------------------------------


def throughput(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    out_file = workdir / "inproc.json"
    logfile = workdir / "inproc.log"
    cmd = [sys.executable, str(BENCH / "tuf_inproc.py"), "--data", str(workdir / "inproc"),
           "--out", str(out_file), "--projects", str(args.projects),
           "--filler-targets", str(args.filler_targets), "--bit-length", str(args.bit_length)]
    log(f"throughput: {' '.join(cmd[1:])}")
    env = {k: v for k, v in clean_env(HOME=str(workdir)).items() if not k.startswith("WARDEN_")}
    proc = procs.spawn(cmd, logfile, env, cwd=workdir)
    try:
        proc.wait(timeout=1500)
    except subprocess.TimeoutExpired:
        procs.stop(proc)
        raise RuntimeError(f"tuf_inproc.py timed out;\n{procs.tail(logfile)}") from None
    procs.stop(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"tuf_inproc.py failed ({proc.returncode});\n{procs.tail(logfile)}")
    result = json.loads(out_file.read_text())
    for key in ("initial", "new_projects", "refresh", "new_releases"):
        for batch in result.get(key, {}).get("batches", []):
            batch.pop("split_s", None)  # the per-phase split is enough in the JSON
    return result


# --- 4: simulated client --------------------------------------------------------------------


def client_bytes(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"by_bit_length": {}}
    for bits in args.sim_bit_lengths:
        log(f"client bytes: simulated index of {args.sim_projects} projects, 2**{bits} bins")
        t0 = time.monotonic()
        result = tuf_sim.simulate(workdir / f"sim-{bits}", bit_length=bits,
                                  projects=args.sim_projects)
        result["seconds"] = round(time.monotonic() - t0, 1)
        out["by_bit_length"][str(bits)] = result
        shutil.rmtree(workdir / f"sim-{bits}", ignore_errors=True)
        log(f"  fresh {result['fresh']['gzip_bytes'] / KB:.0f} KB, returning a day later "
            f"{result['returning_1d']['gzip_bytes'] / KB:.0f} KB (gzip)")
    return out


# --- report ----------------------------------------------------------------------------------


def _s(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _kb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / KB:,.1f}"


def per_day(results: dict[str, Any]) -> dict[str, Any] | None:
    idle = results.get("ttp", {}).get("idle", {}).get("roles", {}).get("signer")
    refresh = results.get("throughput", {}).get("refresh")
    if not idle and not refresh:
        return None
    out: dict[str, Any] = {}
    if idle:
        out["idle_polling_cpu_s"] = idle["cpu_s_per_day"]
    if refresh:
        # A bin lives ONLINE_LIFETIME (1 day) and is signed again with ONLINE_REFRESH (12 h)
        # left: every bin is signed twice a day even when nothing changes.
        out["refreshes_per_day"] = 2
        out["refresh_cpu_s_each"] = refresh["cpu_s"]
        out["refresh_cpu_s"] = round(2 * refresh["cpu_s"], 1)
    out["total_cpu_s"] = round(out.get("idle_polling_cpu_s", 0) + out.get("refresh_cpu_s", 0), 1)
    return out


def markdown(results: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [f"# TUF benchmark ({results['date']}{', quick' if args.quick else ''})", "",
             f"`{results['command']}` on {results['host']['nproc']} cores "
             f"({results['host']['cpu_model']}), python-tuf {results['host']['versions']['tuf']}, "
             f"{args.bit_length}-bit bins ({2 ** args.bit_length:,}), SQLite, Warden "
             f"{results.get('warden_git', 'unknown')}. "
             f"KB = 1,000 bytes. Took {results['seconds']:.0f} s.", ""]
    checks = []
    ttp = results.get("ttp")
    if ttp and "phases" in ttp:
        lines += ["## Time to protected (`warden serve`, fresh index)", "",
                  "From each upload's 200 to: **published**, the first `timestamp.json` served "
                  "whose snapshot names a bin version listing the file (polled every "
                  f"{ttp['poll_s'] * 1000:.0f} ms; a client refreshing then can verify the "
                  "file); **verified**, a python-tuf `ngclient.Updater` (one of "
                  f"{ttp['clients']}, default urllib3 fetcher, persistent metadata dir) has "
                  "refreshed, found and downloaded the file and checked its hash. Runs without "
                  "clients measure the server alone; with clients, they share the 2 cores. "
                  f"The signer looks for changes every {ttp['signer_poll_s']} s. Cycles: "
                  "timestamps published during the run (uploads and the wait for the last "
                  "one); CPU: of the server's processes and of the benchmark's own over that "
                  "time.", "",
                  "| uploaders | clients | uploads ok | uploads/s | upload request p50 / p99 | "
                  "published p50 / p99 / max | verified p50 / p99 / max | client refresh p50 "
                  "/ p99 | cycles | CPU s: web / signer / benchmark |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for p in ttp["phases"]:
            pub, ver, req = p["published"], p["verified"], p["upload_request"]
            ref = p["client_refresh_s"]
            clients = p["clients"]
            sig = p["signer"]
            cpu = sig.get("cpu_s", {})
            lines.append(
                f"| {p['concurrency']} | {ttp['clients'] if clients else 'none'} | "
                f"{p['uploads_ok']}/{p['uploads']} | {_s(p['uploads_per_s'], 1)} | "
                f"{_s(req['p50_s'])} / {_s(req['p99_s'])} s | "
                f"{_s(pub['p50_s'])} / {_s(pub['p99_s'])} / {_s(pub['max_s'])} s | "
                + (f"{_s(ver['p50_s'])} / {_s(ver['p99_s'])} / {_s(ver['max_s'])} s | "
                   f"{_s(ref['p50_s'])} / {_s(ref['p99_s'])} s | " if clients else " | | ")
                + f"{sig['timestamps_published']} in {sig['seconds']:.0f} s | "
                f"{cpu.get('web (gunicorn)', 0):.1f} / {cpu.get('signer', 0):.1f} / "
                f"{cpu.get('benchmark (uploaders, watcher, clients)', 0):.1f} |")
            if clients and ver["p99_s"] is not None:
                checks.append((f"p99 uploaded -> verified by a client, {p['concurrency']} "
                               "uploader(s)", f"{ver['p99_s']:.2f} s", "< 1 s",
                               ver["p99_s"] < 1 and not p["not_verified"]))
            elif not clients and pub["p99_s"] is not None:
                checks.append((f"p99 uploaded -> published (server alone), "
                               f"{p['concurrency']} uploader(s)", f"{pub['p99_s']:.2f} s",
                               "< 1 s", pub["p99_s"] < 1 and not p["not_published"]))
            if p["not_verified"] or p["not_published"] or p["upload_errors"]:
                lines.append(f"|  | | not verified: {p['not_verified']}, not published: "
                             f"{p['not_published']}; upload errors: "
                             f"{'; '.join(p['upload_errors'][:3]) or 'none'} | | | | | | | |")
        lines += ["", f"First timestamp (every bin signed) {ttp['first_timestamp_after_start_s']}"
                  " s after `warden serve` started.", ""]
        load = ttp.get("under_load")
        if load:
            loop, pub = load["signer_loop"], load["published"]
            lines += [f"Where the signer's time goes under load: the same server restarted with "
                      f"`--no-signer`, the `warden signer` command run in-process by "
                      f"`tuf_inproc.py --loop` with the signer's functions timed, "
                      f"{load['uploads_ok']} uploads from "
                      f"{load['concurrency']} uploaders ({_s(load['uploads_per_s'], 1)}/s): "
                      f"published p50 {_s(pub['p50_s'])} s, p99 {_s(pub['p99_s'])} s; "
                      f"{loop['cycles']} cycles covering {loop['changes']} changes, "
                      f"cycle p50 {_s(loop['cycle_wall_s']['p50'])} s, max "
                      f"{_s(loop['cycle_wall_s']['max'])} s; {loop['wall_s']:.1f} s wall, "
                      f"{loop['cpu_s']:.1f} s CPU in cycles.", "",
                      "| part | seconds | share of cycle time |", "|---|---|---|"]
            for part, value in loop["split_s"].items():
                if value >= 0.01:
                    share = 100 * value / loop["wall_s"] if loop["wall_s"] else 0
                    lines.append(f"| {part} | {value:.2f} | {share:.0f}% |")
            lines.append("")
    tp = results.get("throughput")
    if tp:
        lines += ["## Signing throughput (`Publisher.cycle()`, in-process, batches of "
                  f"{tp['batch_limit']})", "",
                  "A change is a pending-change row: an upload that creates a project leaves 3 "
                  "(project, release, file), an upload of a new release 2; the signer renders "
                  "and signs each project's pages and targets once per batch. uploads/s: "
                  "projects whose upload was covered per second.", "",
                  "| phase | targets before | changes | cycles | changes/s | changes per CPU s |"
                  " uploads/s | cycle mean / max | bins signed |",
                  "|---|---|---|---|---|---|---|---|---|"]
        rows = (("uploads of new projects (1 wheel each), empty index", "new_projects", 0),
                ("uploads of a new release of each, populated index", "new_releases", None))
        for label, key, before in rows:
            d = tp[key]
            before = d.get("targets_before", before)
            lines.append(
                f"| {label} | {before:,} | {d['changes']:,} | {d['cycles']} | "
                f"{_s(d['changes_per_s'], 1)} | {_s(d['changes_per_cpu_s'], 1)} | "
                f"{_s(d.get('uploads_per_s'), 1)} | "
                f"{_s(d['cycle_wall_s']['mean'], 1)} / {_s(d['cycle_wall_s']['max'], 1)} s | "
                f"{d['bins_signed']:,} |")
            checks.append((f"signing throughput, {label}", f"{d['changes_per_s']} changes/s",
                           "> 1,000 changes/s", (d["changes_per_s"] or 0) > 1000))
        single = tp.get("single_changes")
        if single:
            w = single["cycle_wall_s"]
            lines.append(f"| one new project per cycle, populated index | "
                         f"{single.get('targets_before', tp['new_releases']['targets_after']):,} |"
                         f" {single['changes']} | {single['cycles']} | | | | "
                         f"p50 {_s(w['p50'], 3)} / max {_s(w['max'], 3)} s | "
                         f"{single['bins_signed']:,} |")
        for key in ("initial", "refresh"):
            d = tp[key]
            targets = d.get("targets", 0)
            lines.append(f"| {'first signing' if key == 'initial' else 'refresh'} of all bins "
                         f"({targets:,} targets) | | | {d['cycles']} | | | | "
                         f"{_s(d['wall_s'], 1)} s wall, {_s(d['cpu_s'], 1)} s CPU | "
                         f"{d['bins_signed']:,} |")
        phases = [("new_projects", "new projects"), ("new_releases", "new releases (populated)"),
                  ("single_changes", "one change per cycle"), ("refresh", "refresh")]
        phases = [(k, label) for k, label in phases if k in tp]
        lines += ["", "Where the signer's wall time goes (seconds summed over the phase, share of"
                  " the phase; the signer's functions timed by wrapping them, nothing in "
                  "warden/ changed):", "",
                  "| part | " + " | ".join(label for _, label in phases) + " |",
                  "|---|" + "---|" * len(phases)]
        parts = list(dict.fromkeys(p for k, _ in phases for p in tp[k]["split_s"]))
        for part in parts:
            if not any(tp[k]["split_s"].get(part, 0) >= 0.05 for k, _ in phases):
                continue
            cells = []
            for key, _ in phases:
                value = tp[key]["split_s"].get(part, 0.0)
                cells.append(f"{value:.1f} ({100 * value / tp[key]['wall_s']:.0f}%)")
            lines.append(f"| {part} | {' | '.join(cells)} |")
        idle = tp.get("idle_polls")
        if idle and "cycle" in idle:
            c, f = idle["cycle"], idle["publisher_for"]
            lines += ["", f"Idle polls ({idle['polls']} each): `cycle()` with nothing pending "
                      f"{c['cpu_ms']:.2f} ms CPU, {c['sql_queries']:g} SQL queries; "
                      f"`publisher_for` (new offline metadata?) {f['cpu_ms']:.2f} ms CPU, "
                      f"{f['sql_queries']:g} SQL queries. `warden signer` polls every 0.1 s."]
        if tp.get("instrumented_missing"):
            lines += ["", "Not found in this signer (not in the split): "
                      + ", ".join(tp["instrumented_missing"])]
        lines.append("")
    day = per_day(results)
    if day:
        lines += ["## Signer CPU per idle day", ""]
        idle = results.get("ttp", {}).get("idle")
        if idle:
            lines += [f"Measured over {idle['seconds']:.0f} s of an idle `warden serve` "
                      f"(after the uploads above), /proc utime+stime:", "",
                      "| process | processes | CPU s measured | CPU s per day |",
                      "|---|---|---|---|"]
            for role, e in sorted(idle["roles"].items()):
                lines.append(f"| {role} | {e['processes']} | {e['cpu_s']:.2f} | "
                             f"{e['cpu_s_per_day']:,.0f} |")
            lines += [f"| all | | {idle['total_cpu_s']:.2f} | "
                      f"{idle['total_cpu_s_per_day']:,.0f} |", ""]
        lines.append("| signer, per idle day | CPU s |")
        lines.append("|---|---|")
        if "idle_polling_cpu_s" in day:
            lines.append("| polling the queue (measured above) | "
                         f"{day['idle_polling_cpu_s']:,.0f} |")
        if "refresh_cpu_s" in day:
            refresh = results["throughput"]["refresh"]
            lines.append(f"| re-signing all bins, {day['refreshes_per_day']}x a day "
                         f"({refresh['targets']:,} targets; {day['refresh_cpu_s_each']:.1f} s "
                         f"each, in-process) | {day['refresh_cpu_s']:,.0f} |")
        lines += [f"| **total** | **{day['total_cpu_s']:,.0f}** "
                  f"({day['total_cpu_s'] / 60:.1f} min) |", ""]
    cb = results.get("bytes")
    if cb:
        main = cb["by_bit_length"].get(str(args.bit_length))
        if main:
            a = main["assumptions"]
            lines += ["## Client metadata bytes for a 20-project install", "",
                      f"Simulated index: {a['projects']:,} projects, {a['distribution_files']:,}"
                      f" files, {a['targets']:,} targets ({a['targets_per_bin']} per bin), "
                      f"{a['bins']:,} bins; {a['days_of_history']} days of history, "
                      f"{a['bins_changed_per_day']:,} bins changed a day. Each project: page "
                      f"(index.json), wheel metadata, wheel: {a['bins_read']} bins. Bytes of "
                      "metadata only, as served gzipped (HTTP headers not counted).", "",
                      "| client | files | raw KB | gzip KB | snapshot gzip KB | bins gzip KB | "
                      "client CPU: refresh + lookups |", "|---|---|---|---|---|---|---|"]
            hourly = a["bins_changed_in_the_hour"]
            labels = (("fresh", "fresh (trusts root v1 only)"),
                      ("returning_1h", f"returning an hour later ({hourly:,} bins changed)"),
                      ("returning_1d", "returning a day later (all bins re-signed)"))
            for key, label in labels:
                d = main[key]
                snap = d["by_role"].get("snapshot", {}).get("gzip")
                bins = d["by_role"].get("bins (hashed)", {}).get("gzip", 0)
                lines.append(f"| {label} | {d['files']} | {_kb(d['raw_bytes'])} | "
                             f"**{_kb(d['gzip_bytes'])}** | {_kb(snap)} | {_kb(bins)} | "
                             f"{d['client_cpu_refresh_s']:.2f} + "
                             f"{d['client_cpu_lookups_s']:.2f} s |")
                if key != "returning_1h":
                    checks.append((f"client bytes, {label}", f"{_kb(d['gzip_bytes'])} KB",
                                   "< 300 KB", d["gzip_bytes"] < 300 * KB))
            lines.append("")
        if len(cb["by_bit_length"]) > 1:
            lines += ["Same index and installs at other bin counts:", "",
                      "| bit length | bins | targets/bin | snapshot gzip KB | fresh gzip KB | "
                      "returning 1 h KB | returning 1 day KB | returning 1 day client CPU |",
                      "|---|---|---|---|---|---|---|---|"]
            for bits, d in sorted(cb["by_bit_length"].items(), key=lambda kv: int(kv[0])):
                a = d["assumptions"]
                lines.append(f"| {bits} | {a['bins']:,} | {a['targets_per_bin']} | "
                             f"{_kb(d['snapshot']['gzip_bytes'])} | "
                             f"{_kb(d['fresh']['gzip_bytes'])} | "
                             f"{_kb(d['returning_1h']['gzip_bytes'])} | "
                             f"{_kb(d['returning_1d']['gzip_bytes'])} | "
                             f"{d['returning_1d']['client_cpu_refresh_s']:.2f} + "
                             f"{d['returning_1d']['client_cpu_lookups_s']:.2f} s |")
            lines.append("")
    if checks:
        lines += ["## Against the targets", "", "| measure | result | target | met |",
                  "|---|---|---|---|"]
        lines += [f"| {m} | {r} | {t} | {'yes' if ok else '**no**'} |" for m, r, t, ok in checks]
        lines.append("")
    if results.get("errors"):
        lines += ["## Errors", ""]
        lines += [f"- {k}: `{v.splitlines()[0] if v else ''}`" for k, v in
                  results["errors"].items()]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t0 = time.monotonic()
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    workdir = Path(tempfile.mkdtemp(prefix="warden-tuf-bench-"))
    results: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/tuf.py", *(argv or sys.argv[1:])]),
        "host": host_info(), "params": {k: (sorted(v) if isinstance(v, set) else
                                            str(v) if isinstance(v, Path) else v)
                                        for k, v in vars(args).items()},
        "errors": {}, "warden_git_at_start": git_describe(), "warden_git_by_part": {},
    }
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    log(f"workdir {workdir}")
    try:
        for key, fn in (("ttp", time_to_protected), ("throughput", throughput),
                        ("bytes", client_bytes)):
            if key not in args.only:
                continue
            before = git_describe()
            try:
                results[key] = fn(args, workdir)
            except Exception:
                results["errors"][key] = traceback.format_exc()
                log(f"{key} failed:\n{results['errors'][key]}")
            after = git_describe()
            results["warden_git_by_part"][key] = before if before == after else \
                f"{before} -> {after} (the work tree changed during this part)"
    finally:
        procs.stop_all()
        if args.keep_workdir:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["seconds"] = round(time.monotonic() - t0, 1)
    # The parts that run Warden's code (the client-bytes simulation runs none of it).
    used = {results["warden_git_by_part"][k] for k in ("ttp", "throughput")
            if k in results["warden_git_by_part"]}
    results["warden_git"] = used.pop() if len(used) == 1 else \
        "; ".join(f"{k}: {v}" for k, v in results["warden_git_by_part"].items())
    results["per_day"] = per_day(results)
    text = markdown(results, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(results, indent=1) + "\n")
    Path(f"{args.out}.md").write_text(text + "\n")
    print(text)
    log(f"wrote {args.out}.md and .json")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
