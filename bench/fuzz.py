#!/usr/bin/env python
"""A fuzzing campaign over the upload parsers and `POST /legacy/`, in process.

    .venv/bin/python bench/fuzz.py [--inputs 1000000] [--jobs 2] [--seed 0]
        [--targets filename,metadata_file,...] [--timeout 10] [--out bench/results/<date>-fuzz]
    .venv/bin/python bench/fuzz.py --replay var/fuzz/crashes/<target>-<hash>.<ext>

Targets: `filename` (filename_parse), `metadata_file` (metadata_parse_file, then
metadata_compare), `metadata_form` (metadata_from_form, then metadata_compare),
`archive_wheel`, `archive_sdist_zip`, `archive_sdist_tar` (archive_inspect on the bytes, then
the core metadata parsed, as publish._archive_check does) and `upload_endpoint` (multipart
bodies POSTed to /legacy/ through Django's test client with a valid token, on a throwaway
SQLite database). Inputs are mutations of real distributions built by tests/dists.py: byte
flips, interesting integers, truncations, splices, rebuilt archives with hostile member names,
links and metadata, rewritten zip and tar headers, mutated form fields, part headers and
boundaries (warden/packaging/dists/tests/fuzzing.py, warden/packaging/upload/tests/fuzzing.py).

The inputs are shared out round-robin over the targets and over `--jobs` processes. An input
breaks the contract if it raises anything but UploadError, gets a refusal message that is
empty, longer than 1000 characters or holds a traceback, gets a 5xx or an unexplained 4xx
from the endpoint, or runs past `--timeout` seconds. Each such input is saved under
var/fuzz/crashes/ (the first three per distinct failure) with a .outcome file saying what
went wrong; the slowest input of each target goes to var/fuzz/slowest/. Results: <out>.json
and <out>.md. The exit status is 1 if anything broke the contract.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# bench/tuf.py would shadow python-tuf (`tuf`), which Warden imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
ALL_TARGETS = [
    "filename",
    "metadata_file",
    "metadata_form",
    "archive_wheel",
    "archive_sdist_zip",
    "archive_sdist_tar",
    "upload_endpoint",
]
KEEP_PER_SIGNATURE = 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=1_000_000, help="inputs in all (default 1M)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--targets", default=",".join(ALL_TARGETS))
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per input")
    ap.add_argument(
        "--var", type=Path, default=ROOT / "var" / "fuzz", help="where crashes/ and slowest/ go"
    )
    today = dt.date.today().isoformat()
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / f"{today}-fuzz")
    ap.add_argument("--replay", type=Path, help="run one saved input and print its outcome")
    return ap.parse_args(argv)


# --- the in-process Warden ------------------------------------------------------------------


def django_setup(data_dir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "warden.settings",
            "WARDEN_DATA_DIR": str(data_dir),
            "WARDEN_REQUIRE_2FA": "false",  # the fuzzed user has no second factor
            "WARDEN_TUF": "false",
            "WARDEN_LOG_LEVEL": "CRITICAL",
            "WARDEN_ALLOWED_HOSTS": "testserver",  # Django's test client
        }
    )
    for limit in (
        "PROJECTS_PER_USER_DAY",
        "PROJECTS_PER_ADDRESS_DAY",
        "UPLOADS_PER_USER_HOUR",
        "UPLOADS_PER_ADDRESS_HOUR",
    ):
        os.environ[f"WARDEN_LIMIT_{limit}"] = str(10**9)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def database_create() -> str:
    """Migrate the throwaway database; return an upload token's Authorization header."""
    import base64

    from django.core.management import call_command

    from warden.accounts.models import User
    from warden.audit.origin import Interface, Origin
    from warden.tokens.services import token_mint

    call_command("migrate", verbosity=0, interactive=False)
    user = User.objects.create_user(username="fuzz", email="fuzz@example.org")
    raw = token_mint(
        user=user, description="fuzz", origin=Origin(interface=Interface.CLI, actor=user)
    )[1]
    return "Basic " + base64.b64encode(f"__token__:{raw}".encode()).decode()


def targets_build(names: list[str], *, scratch: Path, authorization: str | None) -> list[Any]:
    from warden.packaging.dists.tests import fuzzing

    found = {t.name: t for t in fuzzing.targets(scratch)}
    if "upload_endpoint" in names:
        from warden.packaging.upload.tests.fuzzing import upload_target

        assert authorization is not None
        found["upload_endpoint"] = upload_target(authorization=authorization)
    return [found[name] for name in names]


# --- the campaign ---------------------------------------------------------------------------


def _on_alarm(signum: int, frame: Any) -> None:
    from warden.packaging.dists.tests.fuzzing import InputTimeout

    raise InputTimeout


def worker(
    job: int,
    args: argparse.Namespace,
    names: list[str],
    count: int,
    database: str | None,
    authorization: str | None,
) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connections

    from warden.packaging.dists.tests.fuzzing import contract_check, crash_signature

    logging.disable(logging.CRITICAL)  # every refusal would log a "Bad Request" line
    if database is not None:
        # Each worker writes to its own copy, so SQLite locking never shows up as a 500.
        connections.close_all()
        own = Path(database).with_name(f"worker-{job}.sqlite3")
        shutil.copyfile(database, own)
        settings.DATABASES["default"]["NAME"] = own
    scratch = Path(tempfile.mkdtemp(prefix=f"warden-fuzz-{job}-"))
    targets = targets_build(names, scratch=scratch, authorization=authorization)
    rng = random.Random(f"{args.seed}-{job}")
    signal.signal(signal.SIGALRM, _on_alarm)
    stats: dict[str, dict[str, Any]] = {
        t.name: {
            "inputs": 0,
            "seconds": 0.0,
            "kinds": collections.Counter(),
            "slowest": (0.0, b""),
            "broken": collections.Counter(),
        }
        for t in targets
    }
    crashes = args.var / "crashes"
    for i in range(count):
        target = targets[i % len(targets)]
        try:
            value = target.generate(rng)
        except Exception:  # a fault of the fuzzer, not of Warden: counted, not fatal
            stats[target.name]["kinds"]["fuzzer-error"] += 1
            continue
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
        try:
            outcome = contract_check(lambda: target.run(value))  # noqa: B023
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        s = stats[target.name]
        s["inputs"] += 1
        s["seconds"] += outcome.seconds
        s["kinds"][outcome.kind] += 1
        if outcome.seconds > s["slowest"][0]:
            s["slowest"] = (outcome.seconds, target.dump(value))
        if outcome.broken:
            signature = crash_signature(outcome)
            s["broken"][signature] += 1
            if s["broken"][signature] <= KEEP_PER_SIGNATURE:
                data = target.dump(value)
                stem = f"{target.name}-{hashlib.sha256(data).hexdigest()[:16]}"
                crashes.mkdir(parents=True, exist_ok=True)
                (crashes / f"{stem}{target.suffix}").write_bytes(data)
                (crashes / f"{stem}.outcome").write_text(f"{outcome.kind}\n{outcome.detail}\n")
    shutil.rmtree(scratch, ignore_errors=True)
    return stats


def merge(results: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    slowest_dir = args.var / "slowest"
    for result in results:
        for name, s in result.items():
            m = merged.setdefault(
                name,
                {
                    "inputs": 0,
                    "seconds": 0.0,
                    "kinds": collections.Counter(),
                    "broken": collections.Counter(),
                    "slowest": (0.0, b""),
                },
            )
            m["inputs"] += s["inputs"]
            m["seconds"] += s["seconds"]
            m["kinds"].update(s["kinds"])
            m["broken"].update(s["broken"])
            if s["slowest"][0] > m["slowest"][0]:
                m["slowest"] = s["slowest"]
    out: dict[str, Any] = {}
    for name, m in merged.items():
        seconds, data = m["slowest"]
        slowest_dir.mkdir(parents=True, exist_ok=True)
        saved = slowest_dir / f"{name}.input"
        saved.write_bytes(data)
        out[name] = {
            "inputs": m["inputs"],
            "cpu_seconds": round(m["seconds"], 2),
            "inputs_per_second": round(m["inputs"] / m["seconds"], 1) if m["seconds"] else None,
            "outcomes": dict(m["kinds"]),
            "broken": sum(m["broken"].values()),
            "failures": dict(m["broken"].most_common()),
            "slowest_seconds": round(seconds, 4),
            "slowest_input": str(saved.relative_to(ROOT) if saved.is_relative_to(ROOT) else saved),
        }
    return out


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Fuzzing campaign, {report['date']}",
        "",
        f"Command: `{report['command']}`  ",
        f"Commit: {report['commit']}; {report['cpus']} CPUs; load average at start "
        f"{report['load_start']}, at end {report['load_end']}.",
        "",
        f"**{report['inputs']} inputs in {report['wall_seconds']} s: "
        f"{report['inputs_per_second']} inputs/s; 1,000,000 inputs would take about "
        f"{report['million_minutes']} min.** Broken contract: {report['broken']} "
        f"(crashes {report['crashes']}, 5xx {report['server_errors']}).",
        "",
        "| target | inputs | inputs/s (per process) | accepted | refused | broken | slowest |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, t in report["targets"].items():
        o = t["outcomes"]
        lines.append(
            f"| {name} | {t['inputs']} | {t['inputs_per_second']} | "
            f"{o.get('accepted', 0)} | {o.get('refused', 0)} | {t['broken']} | "
            f"{t['slowest_seconds'] * 1000:.1f} ms |"
        )
    failures = [
        (n, sig, c) for n, t in report["targets"].items() for sig, c in t["failures"].items()
    ]
    lines += ["", "## Failures", ""]
    lines += [f"- {n}: {c} x `{sig}`" for n, sig, c in failures] or ["None."]
    lines += [
        "",
        "Inputs that failed are in var/fuzz/crashes/; the slowest input of each target "
        "in var/fuzz/slowest/. Replay one with `bench/fuzz.py --replay PATH`.",
        "",
    ]
    return "\n".join(lines)


def replay(args: argparse.Namespace) -> int:
    name = args.replay.name.split("-", 1)[0].removesuffix(".input")
    data_dir = Path(tempfile.mkdtemp(prefix="warden-fuzz-replay-"))
    django_setup(data_dir)
    from warden.packaging.dists.tests.fuzzing import contract_check

    authorization = database_create() if name == "upload_endpoint" else None
    target = targets_build([name], scratch=data_dir, authorization=authorization)[0]
    outcome = contract_check(lambda: target.run(target.load(args.replay.read_bytes())))
    print(f"{name}: {outcome.kind} in {outcome.seconds:.4f} s\n{outcome.detail}")
    shutil.rmtree(data_dir, ignore_errors=True)
    return 1 if outcome.broken else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.replay:
        return replay(args)
    names = [n for n in args.targets.split(",") if n]
    unknown = set(names) - set(ALL_TARGETS)
    if unknown:
        raise SystemExit(f"unknown targets: {', '.join(sorted(unknown))}")
    data_dir = Path(tempfile.mkdtemp(prefix="warden-fuzz-"))
    django_setup(data_dir)
    authorization = database = None
    if "upload_endpoint" in names:
        authorization = database_create()
        from django.db import connections

        database = str(data_dir / "warden.sqlite3")
        connections.close_all()
    load_start = os.getloadavg()
    shares = [
        args.inputs // args.jobs + (1 if j < args.inputs % args.jobs else 0)
        for j in range(args.jobs)
    ]
    start = time.perf_counter()
    context = multiprocessing.get_context("fork")
    with context.Pool(args.jobs) as pool:
        results = pool.starmap(
            worker, [(j, args, names, shares[j], database, authorization) for j in range(args.jobs)]
        )
    wall = time.perf_counter() - start
    targets = merge(results, args)
    broken = sum(t["broken"] for t in targets.values())
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/fuzz.py", *sys.argv[1:]]),
        "commit": subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "cpus": os.cpu_count(),
        "jobs": args.jobs,
        "seed": args.seed,
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "inputs": args.inputs,
        "wall_seconds": round(wall, 1),
        "inputs_per_second": round(args.inputs / wall, 1),
        "million_minutes": round(1_000_000 / (args.inputs / wall) / 60, 1),
        "broken": broken,
        "crashes": sum(t["outcomes"].get("crash", 0) for t in targets.values()),
        "server_errors": sum(t["outcomes"].get("server_error", 0) for t in targets.values()),
        "targets": targets,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    args.out.with_suffix(".md").write_text(text)
    print(text)
    shutil.rmtree(data_dir, ignore_errors=True)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
