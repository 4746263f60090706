#!/usr/bin/env python
"""What screening costs an uploader: upload latency with the built-in checks running vs.
with every check disabled, on one `warden serve`, in alternating phases.

    .venv/bin/python bench/screening_upload.py [--uploads 200] [--concurrency 1,8]
        [--rounds 2] [--out bench/results/<date>-screening-upload]

A fresh `warden serve` (SQLite, its defaults) gets small wheels POSTed to /legacy/ as
twine sends them (bench/tuf_client.py), from 1 and from 8 threads. Phases alternate:
checks off (every check `disabled`), checks on (each in its default state), `--rounds`
times, each phase with new projects. Before each phase the harness waits until no
screening is pending, so a phase never pays for the previous one's backlog. Reported per
phase: upload latency (POST to 200) p50/p99, and for the "on" phases how long the worker
took to finish screening the phase's files after its last upload. Listens on 127.0.0.1
only.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/tuf_client.py imports python-tuf (`tuf`), which bench/tuf.py would shadow.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
sys.path.append(str(BENCH))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import corpus as corpus_mod  # noqa: E402
import procs  # noqa: E402
import tuf_client  # noqa: E402
from procs import log, run  # noqa: E402
from servers import VENV_BIN, Warden  # noqa: E402
from tuf_common import git_describe  # noqa: E402

PENDING = ("from warden.checks.models import Screening\n"
           "print(Screening.objects.filter(state='pending').count())")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--uploads", type=int, default=200, help="uploads per phase")
    ap.add_argument("--concurrency", default="1,8", help="uploader threads, comma-separated")
    ap.add_argument("--rounds", type=int, default=2, help="off/on pairs")
    ap.add_argument("--warden-bin", default=str(VENV_BIN / "warden"))
    today = dt.date.today().isoformat()
    ap.add_argument("--out", type=Path,
                    default=BENCH / "results" / f"{today}-screening-upload")
    return ap.parse_args(argv)


def warden(srv: Warden, *args: str) -> str:
    return run([str(srv.bin), *args], srv._env(), 300, srv.cmdlog).stdout


def check_defaults(srv: Warden) -> dict[str, str]:
    """name -> state, as `warden checks list` shows them at start (the defaults)."""
    states = {}
    for line in warden(srv, "checks", "list").splitlines():
        parts = line.split()
        if len(parts) >= 3:
            states[parts[0]] = parts[2]
    return states


def states_set(srv: Warden, states: dict[str, str]) -> None:
    for name, state in states.items():
        warden(srv, "checks", "state", name, state)


def drained(srv: Warden, deadline: float) -> float:
    """Seconds until no screening is pending."""
    started = time.monotonic()
    while time.monotonic() < deadline:
        if warden(srv, "shell", "--no-imports", "-c", PENDING).strip() == "0":
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeError("screenings still pending at the deadline")


def phase(srv: Warden, workdir: Path, tag: str, count: int,
          concurrency: int) -> dict[str, Any]:
    directory = workdir / "dists" / tag
    items = []
    for i in range(1, count + 1):
        release = corpus_mod.Release(f"scr-{tag}-{i:04d}", "1.0.0", sdist=False)
        items.append(tuf_client.item_from(corpus_mod.build_wheel(release, directory),
                                          release.project, release.version))
    wall = tuf_client.run_uploads(items, base=srv.base, token=srv.token,
                                  concurrency=concurrency, verifiers=None,
                                  deadline=time.monotonic() + 900)
    failed = [i.error for i in items if i.status != 200]
    if failed:
        raise RuntimeError(f"{len(failed)} uploads failed: {failed[:3]}")
    return {"uploads": count, "concurrency": concurrency, "wall_s": round(wall, 2),
            "latency": tuf_client.latency_summary([i.ok - i.posted for i in items])}


def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    srv = Warden(workdir, SimpleNamespace(warden_bin=args.warden_bin, warden_serve_args=""))
    srv.install()
    srv.start()
    phases = []
    try:
        srv.prepare()
        defaults = check_defaults(srv)
        log(f"checks: {defaults}")
        off = {name: "disabled" for name in defaults}
        for round_ in range(args.rounds):
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                for label, states in (("off", off), ("on", defaults)):
                    drained(srv, time.monotonic() + 900)
                    states_set(srv, states)
                    tag = f"{label}{round_}c{concurrency}"
                    log(f"phase {tag}: {args.uploads} uploads, {concurrency} thread(s)")
                    result = phase(srv, workdir, tag, args.uploads, concurrency)
                    result.update(checks=label, round=round_)
                    if label == "on":
                        result["screened_after_last_upload_s"] = round(
                            drained(srv, time.monotonic() + 900), 1)
                    log(f"  p50 {result['latency']['p50_s']} s, "
                        f"p99 {result['latency']['p99_s']} s")
                    phases.append(result)
        states_set(srv, defaults)
    finally:
        srv.stop()
    return {"checks": defaults, "phases": phases, "warden": srv.versions.get("warden")}


def markdown(results: dict[str, Any]) -> str:
    lines = [f"# Screening: upload latency with and without checks ({results['date']})", "",
             f"`{results['command']}` at {results['warden_git']}; checks in their default "
             f"states when on: {', '.join(f'{k} ({v})' for k, v in results['checks'].items())}.",
             "", "| phase | threads | uploads | p50 ms | p99 ms | screened after last upload |",
             "|---|---|---|---|---|---|"]
    for p in results["phases"]:
        lat = p["latency"]
        lines.append(f"| {p['checks']} (round {p['round'] + 1}) | {p['concurrency']} | "
                     f"{p['uploads']} | {lat['p50_s'] * 1000:.0f} | {lat['p99_s'] * 1000:.0f} | "
                     f"{p.get('screened_after_last_upload_s', '')} |")
    lines += ["", "p99 difference, on minus off, per thread count (same round):", ""]
    by = {(p["checks"], p["round"], p["concurrency"]): p for p in results["phases"]}
    for (label, round_, concurrency), p in by.items():
        if label == "on":
            off = by[("off", round_, concurrency)]
            delta = (p["latency"]["p99_s"] - off["latency"]["p99_s"]) * 1000
            lines.append(f"- round {round_ + 1}, {concurrency} thread(s): {delta:+.0f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    workdir = Path(tempfile.mkdtemp(prefix="warden-screening-bench-"))
    results: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/screening_upload.py",
                             *(argv if argv is not None else sys.argv[1:])]),
        "warden_git": git_describe()}
    try:
        results.update(measure(args, workdir))
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    text = markdown(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(results, indent=1) + "\n")
    Path(f"{args.out}.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
