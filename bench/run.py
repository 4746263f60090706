#!/usr/bin/env python
"""Benchmark Warden against pypiserver and devpi-server on one synthetic corpus.

    .venv/bin/python bench/run.py [--servers warden,devpi,pypiserver] [--duration 10] [--quick]

See bench/README.md for what is measured.  Results go to
bench/results/<date>.json and bench/results/<date>.md (``-quick`` is added to
the name in --quick mode) and the Markdown is printed to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as corpus_mod
import loadgen
import procs
from procs import clean_env, log
from servers import SERVERS, UV, VENV_BIN

BENCH_DIR = Path(__file__).resolve().parent
TWINE = VENV_BIN / "twine"

READ_TARGETS = (
    # key, label
    ("index", "/simple/"),
    ("small", "/simple/<2-file project>/"),
    ("big", "/simple/<100-file project>/"),
)
FORMATS = (("html", loadgen.HTML), ("json", loadgen.JSON))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Warden / devpi / pypiserver benchmark")
    ap.add_argument(
        "--servers",
        default="warden,devpi,pypiserver",
        help="comma-separated subset of: " + ",".join(SERVERS),
    )
    ap.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds per wrk measurement (default 10, 2 with --quick)",
    )
    ap.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="seconds of discarded wrk warm-up before each measurement (default 2, 1 with --quick)",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: small corpus, short runs, one install repetition",
    )
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--upload-procs", type=int, default=2, help="concurrent twine processes")
    ap.add_argument(
        "--install-reps",
        type=int,
        default=None,
        help="pip/uv install repetitions per server (default 3, 1 with --quick)",
    )
    ap.add_argument(
        "--settle-timeout",
        type=float,
        default=120.0,
        help="after uploading, wait up to this long for the server's processes to go idle",
    )
    ap.add_argument("--skip-install", action="store_true", help="skip the pip/uv install timing")
    ap.add_argument("--output-dir", type=Path, default=BENCH_DIR / "results")
    ap.add_argument("--name", default=None, help="result file stem (default: date, +'-quick')")
    ap.add_argument("--keep-workdir", action="store_true", help="keep the temp dir (logs, data)")
    ap.add_argument("--warden-bin", default=str(VENV_BIN / "warden"))
    ap.add_argument("--warden-serve-args", default="", help="extra args for `warden serve`")
    ap.add_argument("--devpi-spec", default="devpi-server==6.20.3")
    ap.add_argument("--pypiserver-spec", default="pypiserver[cache]==2.4.2")
    ap.add_argument("--pypiserver-gunicorn-spec", default="gunicorn==27.0.1")
    ap.add_argument(
        "--pypiserver-mode",
        choices=("gunicorn", "auto"),
        default="gunicorn",
        help="gunicorn sync workers as pypiserver's README documents (default), "
        "or `pypi-server run`'s own default server",
    )
    ap.add_argument("--pypiserver-workers", type=int, default=4, help="gunicorn workers")
    args = ap.parse_args(argv)
    if args.duration is None:
        args.duration = 2.0 if args.quick else 10.0
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 2.0
    if args.install_reps is None:
        args.install_reps = 1 if args.quick else 3
    args.server_list = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [s for s in args.server_list if s not in SERVERS]
    if unknown:
        ap.error(f"unknown server(s): {', '.join(unknown)}; choose from {', '.join(SERVERS)}")
    return args


# --------------------------------------------------------------------------
# environment facts


def host_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def tool_versions() -> dict:
    out = {"wrk": loadgen.wrk_version()}
    for key, cmd in (("twine", [str(TWINE), "--version"]), ("uv", [str(UV), "--version"])):
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=clean_env())
            m = re.search(r"(\d+\.\d+[\w.]*)", res.stdout)
            out[key] = f"{key} {m.group(1)}" if m else "unknown"
        except Exception as exc:
            out[key] = f"error: {exc}"
    return out


# --------------------------------------------------------------------------
# uploads


def split_by_project(files: list[Path], n: int) -> list[list[Path]]:
    """Split into n lists, keeping each project's files in one list, balanced by count."""
    groups: dict[str, list[Path]] = {}
    for f in files:
        groups.setdefault(f.name.split("-", 1)[0], []).append(f)
    bins: list[list[Path]] = [[] for _ in range(n)]
    for proj in sorted(groups, key=lambda p: -len(groups[p])):
        min(bins, key=len).extend(groups[proj])
    for b in bins:
        b.sort()
    return [b for b in bins if b]


def twine_parallel(srv, chunks: list[list[Path]], label: str, timeout: float = 1200.0) -> dict:
    url, user, password = srv.upload_target()
    env = clean_env()
    started = []
    t0 = time.perf_counter()
    for i, chunk in enumerate(chunks):
        logfile = srv.workdir / f"twine-{label}-{i}.log"
        cmd = [
            str(TWINE),
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            url,
            "-u",
            user,
            "-p",
            password,
            *map(str, chunk),
        ]
        started.append((procs.spawn(cmd, logfile, env), logfile))
    deadline = time.monotonic() + timeout
    try:
        for proc, _logfile in started:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for proc, _ in started:
            procs.stop(proc, grace=2.0)
    wall = time.perf_counter() - t0
    failed = [(p, lf) for p, lf in started if p.returncode != 0]
    if failed:
        p, lf = failed[0]
        raise RuntimeError(f"twine upload ({label}) failed with {p.returncode}:\n{procs.tail(lf)}")
    nfiles = sum(len(c) for c in chunks)
    return {
        "files": nfiles,
        "bytes": sum(f.stat().st_size for c in chunks for f in c),
        "twine_processes": len(chunks),
        "seconds": round(wall, 3),
        "files_per_s": round(nfiles / wall, 2),
    }


def bench_upload(srv, corpus: corpus_mod.Corpus, nprocs: int) -> dict:
    log(
        f"{srv.name}: uploading the timed set ({len(corpus.upload_measured)} files, "
        f"{nprocs} twine processes)"
    )
    measured = twine_parallel(srv, split_by_project(corpus.upload_measured, nprocs), "measured")
    log(f"{srv.name}:   {measured['files_per_s']} files/s ({measured['seconds']} s)")
    log(f"{srv.name}: uploading the rest of the corpus ({len(corpus.upload_rest)} files)")
    rest = twine_parallel(srv, split_by_project(corpus.upload_rest, nprocs), "rest")
    log(f"{srv.name}:   {rest['files_per_s']} files/s ({rest['seconds']} s)")
    total_files = measured["files"] + rest["files"]
    total_s = measured["seconds"] + rest["seconds"]
    return {
        "measured": measured,
        "rest": rest,
        "total": {
            "files": total_files,
            "seconds": round(total_s, 3),
            "files_per_s": round(total_files / total_s, 2),
        },
    }


# --------------------------------------------------------------------------
# reads


def bench_reads(srv, corpus: corpus_mod.Corpus, params: loadgen.WrkParams, scripts: dict) -> dict:
    targets = {
        "index": (srv.simple_root_url(), len(corpus.files)),
        "small": (
            srv.simple_project_url(corpus.small_project),
            len(corpus.files[corpus.small_project]),
        ),
        "big": (srv.simple_project_url(corpus.big_project), len(corpus.files[corpus.big_project])),
    }
    out: dict = {}
    for key, _label in READ_TARGETS:
        url, expected = targets[key]
        for fmt, accept in FORMATS:
            name = f"{key}_{fmt}"
            entry: dict = {"url": url, "accept": accept, "expected_items": expected}
            out[name] = entry
            p = loadgen.probe(url, accept)
            entry["probe"] = p
            if p["status"] != 200:
                entry["na"] = f"HTTP {p['status']} for the probe request"
                log(f"{srv.name}: {name}: n/a ({entry['na']})")
                continue
            if p["format"] != fmt:
                entry["na"] = (
                    f"answered {p['content_type'] or 'no content type'} to Accept: {accept}"
                )
                log(f"{srv.name}: {name}: n/a ({entry['na']})")
                continue
            target = p["redirected_to"] or url
            if p["redirected_to"]:
                entry["warning"] = f"redirected to {target}; measured that URL"
            if p["items"] != expected:
                entry["warning"] = (
                    entry.get("warning", "")
                    + f" page lists {p['items']} items, expected {expected}"
                ).strip()
                log(f"{srv.name}: {name}: WARNING {entry['warning']}")
            if params.warmup > 0:
                loadgen.run_wrk(target, scripts[fmt], params, duration=params.warmup)
            r = loadgen.run_wrk(target, scripts[fmt], params)
            entry.update(r)
            errs = sum(r["socket_errors"].values()) if r["socket_errors"] else 0
            log(
                f"{srv.name}: {name:11s} {r['rps']:9.1f} req/s  p99 {r['p99_ms']:.2f} ms"
                + (f"  non-2xx/3xx {r['non_2xx_3xx']}" if r["non_2xx_3xx"] else "")
                + (f"  socket errors {r['socket_errors']}" if errs else "")
            )
    return out


# --------------------------------------------------------------------------
# installs


def bench_install(srv, corpus: corpus_mod.Corpus, reps: int, workdir: Path) -> dict:
    pkgs = corpus.install_packages
    modules = ",".join(corpus_mod.dist_name(p) for p in pkgs)
    index = srv.index_url()
    env = clean_env()
    result: dict = {"packages": len(pkgs), "index_url": index, "repetitions": reps}
    for tool in ("pip", "uv"):
        runs = []
        tool_version = None
        for rep in range(reps):
            venv = workdir / f"install-{srv.name}-{tool}-{rep}"
            shutil.rmtree(venv, ignore_errors=True)
            py = venv / "bin" / "python"
            if tool == "pip":
                procs.run([sys.executable, "-m", "venv", str(venv)], env, 300)
                if tool_version is None:
                    tool_version = procs.run(
                        [str(py), "-m", "pip", "--version"], env, 60
                    ).stdout.split()[1]
                cmd = [
                    str(py),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--no-cache-dir",
                    "--disable-pip-version-check",
                    "--no-input",
                    "--index-url",
                    index,
                    *pkgs,
                ]
            else:
                procs.run([str(UV), "venv", "-q", "--python", sys.executable, str(venv)], env, 300)
                tool_version = (
                    tool_version or procs.run([str(UV), "--version"], env, 60).stdout.strip()
                )
                cmd = [
                    str(UV),
                    "pip",
                    "install",
                    "-q",
                    "--no-cache",
                    "--no-config",
                    "--python",
                    str(py),
                    "--index-url",
                    index,
                    *pkgs,
                ]
            t0 = time.perf_counter()
            procs.run(cmd, env, 600, srv.cmdlog)
            wall = time.perf_counter() - t0
            procs.run([str(py), "-c", f"import {modules}"], env, 60)  # really installed?
            shutil.rmtree(venv, ignore_errors=True)
            runs.append(round(wall, 3))
        result[tool] = {
            "version": tool_version,
            "runs_s": runs,
            "median_s": round(statistics.median(runs), 3),
            "min_s": min(runs),
        }
        log(
            f"{srv.name}: {tool} install of {len(pkgs)} packages: "
            f"median {result[tool]['median_s']} s {runs}"
        )
    return result


# --------------------------------------------------------------------------
# report


def _fmt_rps(e: dict | None) -> str:
    if not e or "rps" not in e:
        return "n/a"
    return f"{e['rps']:,.0f}"


def _fmt_p99(e: dict | None) -> str:
    if not e or e.get("p99_ms") is None:
        return "n/a"
    v = e["p99_ms"]
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def render_markdown(res: dict) -> str:
    servers = list(res["servers"])
    w = res["wrk"]
    c = res["corpus"]
    h = res["host"]
    lines = [
        f"# Index benchmark — {res['date']}{' (quick mode)' if res['quick'] else ''}",
        "",
        f"Host: {h['cpu_model']}, {h['nproc']} CPUs, Linux {h['kernel']} "
        f"(load average {h['loadavg_at_start'][0]} at start, {h['loadavg_at_end'][0]} at end). "
        f"Load: `{w['command']}` ({w['duration_s']:g} s per cell after "
        f"{w['warmup_s']:g} s warm-up), server and wrk on the same machine.",
        f"Corpus: {c['projects']} projects, {c['files']} files "
        f"(2-file project `{c['small_project']}`, 100-file project `{c['big_project']}` "
        "= 50 versions x sdist+wheel).",
        "",
        "## Simple API reads (requests/s, p99 latency in ms)",
        "",
    ]
    header = (
        "| Endpoint | Format | " + " | ".join(f"{s} req/s | {s} p99 ms" for s in servers) + " |"
    )
    lines += [header, "|" + "---|" * (2 + 2 * len(servers))]
    for key, label in READ_TARGETS:
        for fmt, _ in FORMATS:
            cells = []
            for s in servers:
                e = res["servers"][s].get("simple", {}).get(f"{key}_{fmt}")
                cells += [_fmt_rps(e), _fmt_p99(e)]
            lines.append(f"| `{label}` | {fmt.upper()} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Uploads (twine)",
        "",
        "| Server | timed set: files/s | timed set: files, s "
        "| whole corpus: files/s | whole corpus: files, s |",
        "|---|---|---|---|---|",
    ]
    for s in servers:
        u = res["servers"][s].get("upload")
        if not u:
            lines.append(f"| {s} | n/a | n/a | n/a | n/a |")
            continue
        m, t = u["measured"], u["total"]
        lines.append(
            f"| {s} | {m['files_per_s']:.1f} | {m['files']} in {m['seconds']:.1f} s "
            f"({m['twine_processes']} twine processes) | {t['files_per_s']:.1f} "
            f"| {t['files']} in {t['seconds']:.1f} s |"
        )
    lines += [
        "",
        "## Installing 20 packages (fresh venv, no cache; wall seconds, median of runs)",
        "",
        "| Server | pip install | uv pip install |",
        "|---|---|---|",
    ]
    for s in servers:
        i = res["servers"][s].get("install")
        if not i:
            lines.append(f"| {s} | n/a | n/a |")
            continue
        cells = []
        for tool in ("pip", "uv"):
            t = i[tool]
            cells.append(
                f"{t['median_s']:.2f} (runs: {', '.join(f'{x:.2f}' for x in t['runs_s'])})"
            )
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    lines += ["", "## Servers", ""]
    for s in servers:
        r = res["servers"][s]
        vers = ", ".join(f"{k} {v}" for k, v in r.get("versions", {}).items()) or "unknown"
        lines.append(f"- **{s}** ({vers}): {r.get('mode') or 'n/a'}")
        if r.get("startup_s") is not None:
            lines.append(f"  - started in {r['startup_s']:.1f} s")
        if r.get("settle_s") is not None:
            lines.append(f"  - CPU-idle {r['settle_s']:.1f} s after the last upload")
        if r.get("error"):
            lines.append(f"  - ERROR: {r['error'].splitlines()[0]}")
        for name, e in r.get("simple", {}).items():
            if e.get("na"):
                lines.append(f"  - {name}: n/a — {e['na']}")
            if e.get("warning"):
                lines.append(f"  - {name}: warning — {e['warning']}")
            if e.get("non_2xx_3xx"):
                lines.append(f"  - {name}: {e['non_2xx_3xx']} non-2xx/3xx responses")
            se = e.get("socket_errors") or {}
            if any(se.values()):
                lines.append(f"  - {name}: socket errors {se}")
    t = res["tools"]
    inst_versions = {
        tool: r["install"][tool]["version"]
        for r in res["servers"].values()
        if r.get("install")
        for tool in ("pip", "uv")
    }
    lines += [
        "",
        f"Tools: {t['wrk']}; {t['twine']}; pip {inst_versions.get('pip', '?')} (fresh venv); "
        f"{t['uv']}. Total run time {res['elapsed_s']:.0f} s.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------


def _sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def check_tools() -> None:
    missing = []
    if not shutil.which("wrk"):
        missing.append("wrk (apt-get install -y wrk)")
    for exe in (TWINE, UV):
        if not exe.exists():
            missing.append(str(exe))
    if missing:
        sys.exit("missing: " + ", ".join(missing))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_tools()
    signal.signal(signal.SIGTERM, _sigterm)
    t_start = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    stem = args.name or (now.strftime("%Y-%m-%d") + ("-quick" if args.quick else ""))
    params = loadgen.WrkParams(
        threads=args.threads,
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
    )
    workdir = Path(tempfile.mkdtemp(prefix="warden-bench-"))
    log(f"work dir {workdir}")
    results: dict = {
        "date": now.isoformat(timespec="seconds"),
        "quick": args.quick,
        "host": host_info(),
        "wrk": params.as_dict(),
        "tools": tool_versions(),
        "upload_processes": args.upload_procs,
        "servers": {},
    }
    active = []
    try:
        corp = corpus_mod.build(workdir / "corpus", quick=args.quick)
        results["corpus"] = corp.summary()
        log(f"corpus: {results['corpus']}")
        scripts = loadgen.write_scripts(workdir)
        for name in args.server_list:
            srv = SERVERS[name](workdir, args)
            active.append(srv)
            entry: dict = {}
            results["servers"][name] = entry
            log(f"===== {name} =====")
            try:
                srv.install()
                srv.start()
                srv.prepare()
                entry["upload"] = bench_upload(srv, corp, args.upload_procs)
                settle = procs.wait_idle(srv.proc.pid, timeout=args.settle_timeout)
                entry["settle_s"] = round(settle, 1)
                log(f"{name}: idle {settle:.1f}s after the uploads")
                entry["simple"] = bench_reads(srv, corp, params, scripts)
                if not args.skip_install:
                    entry["install"] = bench_install(srv, corp, args.install_reps, workdir)
            except Exception as exc:
                entry["error"] = f"{type(exc).__name__}: {exc}"
                log(f"{name}: FAILED: {entry['error']}")
                traceback.print_exc()
            finally:
                srv.stop()
                entry.update(srv.describe())
                entry["startup_s"] = None if srv.startup_s is None else round(srv.startup_s, 2)
        results["elapsed_s"] = round(time.perf_counter() - t_start, 1)
        results["host"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        md = render_markdown(results)
        args.output_dir.mkdir(parents=True, exist_ok=True)
        json_path = args.output_dir / f"{stem}.json"
        md_path = args.output_dir / f"{stem}.md"
        json_path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
        md_path.write_text(md)
        print(md)
        log(f"wrote {json_path} and {md_path}")
    finally:
        for srv in active:
            try:
                srv.stop()
            except Exception as exc:
                log(f"stopping {srv.name}: {exc}")
        procs.stop_all()
        if args.keep_workdir:
            log(f"kept work dir {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(s.get("error") for s in results["servers"].values()) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; servers stopped and temp dir removed", file=sys.stderr)
        sys.exit(130)
