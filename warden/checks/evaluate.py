"""`warden checks evaluate`: recall, false positives and speed of the installed checks over a
labelled corpus, through the very code path uploads use (`archive_scan` in sandboxes).

The corpus is the one described in the screening corpus README: an encrypted zip of
malicious archives (password `infected`) with its manifest (`malicious-dev.tsv`), and a list
of benign files (`benign-dev.txt`) downloaded into a directory. Paths are given as options,
or found in the directory named by the environment variable `WARDEN_CORPUS_DIR`
(`malicious-dev.zip`, `malicious-dev.tsv`, `benign-dev.txt`; the benign files themselves
always need `--benign-dir`). Malicious archives are read from the zip into memory only and
never written anywhere; they are scanned, never installed or run.

`--part` splits the malicious samples by family, deterministically: a family is *held
back* when the first hex digit of sha256(family_id) is below 5 (about 30 % of families),
otherwise it is *dev*. Tune rules on `dev` only; report `held`.

"Flagged" is a classification of suspicious or malicious. The combined verdict is over the
checks that act by default (state enabled), the way uploads combine them; "quarantine" is a
combined malicious verdict with confidence at least `QUARANTINE_CONFIDENCE`. No upload
metadata is passed beyond the archive's own (the index's `project_new` is unknown here), so
checks see every file as a new project's.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from warden.checks.base import Classification, State
from warden.checks.registry import installed
from warden.checks.sandbox import Sandbox
from warden.checks.scanning import Report, archive_scan

PASSWORD = b"infected"   # the malware researchers' convention; it keeps no secret
SAMPLE_MAX = 50_000_000  # bytes of one archive read from the zip (a bomb stops here)
QUARANTINE_CONFIDENCE = 0.9
HELD_DIGITS = "01234"    # sha256(family_id) starting with these: held back (5/16 ≈ 31 %)
COMBINED = "combined"


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    corpus = os.environ.get("WARDEN_CORPUS_DIR", "")

    def default(name: str) -> Path | None:
        return Path(corpus) / name if corpus else None

    parser.add_argument("--malicious-zip", type=Path, default=default("malicious-dev.zip"),
                        help="encrypted zip of malicious archives (default: "
                             "$WARDEN_CORPUS_DIR/malicious-dev.zip)")
    parser.add_argument("--manifest", type=Path, default=default("malicious-dev.tsv"),
                        help="the zip's manifest (default: $WARDEN_CORPUS_DIR/"
                             "malicious-dev.tsv)")
    parser.add_argument("--benign-dir", type=Path, help="directory of the downloaded benign "
                                                        "files")
    parser.add_argument("--benign-list", type=Path, default=default("benign-dev.txt"),
                        help="benign files with their group (default: $WARDEN_CORPUS_DIR/"
                             "benign-dev.txt)")
    parser.add_argument("--part", choices=["all", "dev", "held"], default="all",
                        help="malicious families to use: all, dev, or held back (a split by "
                             "sha256 of family_id)")
    parser.add_argument("--check", action="append", default=[], metavar="NAME",
                        help="evaluate only this check (repeatable; default: every installed "
                             "check not disabled by default)")
    parser.add_argument("--jobs", type=int, default=1, help="sandboxes scanning in parallel")
    parser.add_argument("--json", type=Path, help="write the figures and every file's "
                                                  "outcome here")


@dataclass(frozen=True)
class Sample:
    name: str
    label: str          # malicious / benign
    group: str          # malicious: weak or strong; benign: general or dual-use
    family: str
    load: Any           # () -> bytes


@dataclass
class Tally:
    flagged: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)

    def add(self, keys: list[str], hit: bool) -> None:
        for key in keys:
            self.total[key] = self.total.get(key, 0) + 1
            self.flagged[key] = self.flagged.get(key, 0) + int(hit)

    def rate(self, key: str) -> float | None:
        total = self.total.get(key, 0)
        return round(self.flagged.get(key, 0) / total, 4) if total else None


def is_held(family_id: str) -> bool:
    return hashlib.sha256(family_id.encode()).hexdigest()[0] in HELD_DIGITS


def malicious_samples(zip_path: Path, manifest: Path, part: str) -> Iterator[Sample]:
    with manifest.open(newline="", encoding="utf-8") as rows:
        listed = list(csv.DictReader(rows, delimiter="\t"))
    for row in listed:
        held = is_held(row["family_id"])
        if (part == "held" and not held) or (part == "dev" and held):
            continue
        name = row["zip_name"]

        def load(name: str = name) -> bytes:
            # In memory only: the bytes go to the sandbox and are dropped.
            with zipfile.ZipFile(zip_path) as outer:
                info = outer.getinfo(name)
                if info.file_size > SAMPLE_MAX:
                    raise ValueError(f"{name} is larger than {SAMPLE_MAX} bytes")
                return outer.read(info, pwd=PASSWORD)

        weak = row.get("weak_label", "0").strip() == "1"
        yield Sample(name, "malicious", "weak" if weak else "strong", row["family_id"], load)


def benign_samples(listing: Path, directory: Path) -> Iterator[Sample]:
    for line in listing.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        _pin, _kind, sha256, filename, group = line.split("\t")[:5]
        path = directory / filename

        def load(path: Path = path, sha256: str = sha256) -> bytes:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != sha256:
                raise ValueError(f"{path.name}: sha256 does not match the list")
            return data

        yield Sample(filename, "benign", group.strip(), "", load)


def _checks(requested: list[str]) -> tuple[list[str], list[str]]:
    """(checks run, checks the combined verdict is over)."""
    every = installed()
    names = requested or [n for n, c in every.items() if c.default_state is not State.DISABLED]
    unknown = [n for n in names if n not in every]
    if unknown:
        raise ValueError(f"no installed check is named {', '.join(unknown)}")
    acting = [n for n in names if every[n].default_state is State.ENABLED] or names
    return names, acting


def _scan_all(samples: list[Sample], checks: list[str], acting: list[str],
              jobs: int) -> list[tuple[Sample, Report | None, str, int]]:
    local = threading.local()
    sandboxes: list[Sandbox] = []
    lock = threading.Lock()

    def scan(sample: Sample) -> tuple[Sample, Report | None, str, int]:
        if not hasattr(local, "sandbox"):
            local.sandbox = Sandbox()
            with lock:
                sandboxes.append(local.sandbox)
        try:
            data = sample.load()
        except (OSError, ValueError, KeyError, RuntimeError, zipfile.BadZipFile) as exc:
            return sample, None, str(exc), 0
        report = archive_scan(sandbox=local.sandbox, filename=sample.name.split("-", 1)[-1]
                              if sample.label == "malicious" else sample.name, data=data,
                              checks=checks, combined_over=acting)
        return sample, report, "", len(data)

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(scan, samples))
    finally:
        for sandbox in sandboxes:
            sandbox.close()


def _flagged(classification: Classification) -> bool:
    return classification.rank >= Classification.SUSPICIOUS.rank


def summarize(results: list[tuple[Sample, Report | None, str, int]],
              checks: list[str]) -> dict[str, Any]:
    """Per check and combined: recall, false-positive rates, quarantine rates, s/MB."""
    tallies = {name: Tally() for name in [*checks, COMBINED]}
    quarantine = Tally()
    seconds = dict.fromkeys([*checks, COMBINED], 0.0)
    errors = dict.fromkeys(checks, 0)
    megabytes = 0.0
    for sample, report, _, size in results:
        if report is None:
            continue
        megabytes += size / 1e6
        keys = (["malicious", "malicious-" + sample.group] if sample.label == "malicious"
                else ["benign", "benign-" + sample.group])
        outcomes = {o.check: o for o in report.outcomes}
        for name in checks:
            outcome = outcomes.get(name)
            verdict = outcome.verdict if outcome else None
            errors[name] += int(verdict is None)
            seconds[name] += outcome.seconds if outcome else 0.0
            tallies[name].add(keys, bool(verdict and _flagged(verdict.classification)))
        seconds[COMBINED] += report.seconds
        tallies[COMBINED].add(keys, _flagged(report.classification))
        quarantine.add(keys, report.classification is Classification.MALICIOUS
                       and report.confidence >= QUARANTINE_CONFIDENCE)
    table: dict[str, Any] = {}
    for name, tally in tallies.items():
        table[name] = {
            "recall": tally.rate("malicious"),
            "recall_without_weak": tally.rate("malicious-strong"),
            "fpr": tally.rate("benign"), "fpr_general": tally.rate("benign-general"),
            "fpr_dual_use": tally.rate("benign-dual-use"),
            "seconds_per_mb": round(seconds[name] / megabytes, 4) if megabytes else None,
            "errors": errors.get(name, sum(errors.values())),
        }
    table[COMBINED]["quarantine_malicious"] = quarantine.rate("malicious")
    table[COMBINED]["quarantine_benign"] = quarantine.rate("benign")
    counts = {k: v for k, v in tallies[COMBINED].total.items()}
    return {"checks": table, "counts": counts, "megabytes": round(megabytes, 3)}


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def render(summary: dict[str, Any], acting: list[str]) -> str:
    lines = [f"{'check':<22} {'recall':>7} {'no-weak':>7} {'FPR':>6} {'general':>7} "
             f"{'dual':>6} {'s/MB':>7} {'errors':>6}"]
    for name, row in summary["checks"].items():
        label = f"{name}*" if name in acting else name
        lines.append(f"{label:<22} {_percent(row['recall']):>7} "
                     f"{_percent(row['recall_without_weak']):>7} {_percent(row['fpr']):>6} "
                     f"{_percent(row['fpr_general']):>7} {_percent(row['fpr_dual_use']):>6} "
                     f"{row['seconds_per_mb'] if row['seconds_per_mb'] is not None else 'n/a':>7}"
                     f" {row['errors']:>6}")
    combined = summary["checks"][COMBINED]
    lines.append(f"combined (over the checks marked *): quarantined (malicious, confidence ≥ "
                 f"{QUARANTINE_CONFIDENCE}) {_percent(combined['quarantine_malicious'])} of "
                 f"malicious, {_percent(combined['quarantine_benign'])} of benign")
    lines.append("files: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["counts"].items()))
                 + f"; {summary['megabytes']} MB")
    return "\n".join(lines)


def _records(results: list[tuple[Sample, Report | None, str, int]]) -> list[dict[str, Any]]:
    records = []
    for sample, report, error, size in results:
        record: dict[str, Any] = {"file": sample.name, "label": sample.label,
                                  "group": sample.group, "family": sample.family,
                                  "bytes": size, "error": error}
        if report is not None:
            record.update(classification=report.classification.value,
                          confidence=round(report.confidence, 4),
                          seconds=round(report.seconds, 4),
                          checks={o.check: {"classification": o.verdict.classification.value,
                                            "confidence": round(o.verdict.confidence, 4),
                                            "message": o.verdict.message}
                                  if o.verdict else {"error": o.error[:300]}
                                  for o in report.outcomes})
        records.append(record)
    return records


def handle(options: dict[str, Any], stdout: Writer) -> int:
    zip_path, manifest = options.get("malicious_zip"), options.get("manifest")
    benign_dir, benign_list = options.get("benign_dir"), options.get("benign_list")
    samples: list[Sample] = []
    if zip_path or manifest:
        if not (zip_path and manifest and zip_path.is_file() and manifest.is_file()):
            stdout.write("--malicious-zip and --manifest must both name files\n")
            return 2
        samples += malicious_samples(zip_path, manifest, options.get("part") or "all")
    if benign_dir or benign_list:
        if not (benign_dir and benign_list and benign_dir.is_dir() and benign_list.is_file()):
            stdout.write("--benign-dir must name a directory and --benign-list a file\n")
            return 2
        samples += benign_samples(benign_list, benign_dir)
    if not samples:
        stdout.write("nothing to evaluate: give --malicious-zip and --manifest, "
                     "--benign-dir and --benign-list, or set WARDEN_CORPUS_DIR\n")
        return 2
    try:
        checks, acting = _checks(options.get("check") or [])
    except ValueError as exc:
        stdout.write(f"{exc}\n")
        return 2
    results = _scan_all(samples, checks, acting, int(options.get("jobs") or 1))
    summary = summarize(results, checks)
    summary.update(part=options.get("part") or "all", acting=acting,
                   unreadable=[s.name for s, r, _, _ in results if r is None])
    stdout.write(render(summary, acting) + "\n")
    for name in summary["unreadable"]:
        stdout.write(f"could not read {name}\n")
    if options.get("json"):
        Path(options["json"]).write_text(json.dumps(
            {**summary, "files": _records(results)}, indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8")
    return 0
