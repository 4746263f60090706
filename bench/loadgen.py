"""HTTP load measurement with ``wrk`` plus a one-request probe that checks a URL
returns what we think it returns before we spend seconds hammering it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HTML = "text/html"
JSON = "application/vnd.pypi.simple.v1+json"

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_SIZE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


@dataclass
class WrkParams:
    threads: int = 2
    connections: int = 16
    duration: float = 10.0
    warmup: float = 2.0
    timeout: str = "30s"  # requests slower than this are dropped from wrk's stats

    def as_dict(self) -> dict:
        return {
            "threads": self.threads,
            "connections": self.connections,
            "duration_s": self.duration,
            "warmup_s": self.warmup,
            "timeout": self.timeout,
            "command": f"wrk -t{self.threads} -c{self.connections} -d{_dur(self.duration)} "
            f"--timeout {self.timeout} --latency -s accept.lua URL",
        }


def _dur(seconds: float) -> str:
    return f"{max(1, round(seconds))}s"


def wrk_version() -> str:
    exe = shutil.which("wrk")
    if not exe:
        return "missing"
    res = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
    first = (res.stdout + res.stderr).strip().splitlines()
    return first[0] if first else "unknown"


def write_scripts(directory: Path) -> dict[str, Path]:
    """One tiny Lua script per Accept header (wrk sends no Accept by default)."""
    scripts = {}
    for key, accept in (("html", HTML), ("json", JSON)):
        path = directory / f"accept_{key}.lua"
        path.write_text(f'wrk.method = "GET"\nwrk.headers["Accept"] = "{accept}"\n')
        scripts[key] = path
    return scripts


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"cannot parse wrk latency {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out: str) -> dict:
    res: dict = {}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    if not m:
        raise ValueError("no Requests/sec in wrk output:\n" + out)
    res["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.0+)?%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = _ms(m.group(1)) if m else None
    m = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", out, re.M)
    if m:
        res["avg_ms"] = _ms(m.group(1))
        res["max_ms"] = _ms(m.group(3))
    m = re.search(r"(\d+) requests in ([\d.]+\w+), ([\d.]+)(\w+) read", out)
    if m:
        res["requests"] = int(m.group(1))
        res["bytes_read"] = int(float(m.group(3)) * _SIZE_UNITS.get(m.group(4), 1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = (
        {
            k: int(v)
            for k, v in zip(("connect", "read", "write", "timeout"), m.groups(), strict=True)
        }
        if m
        else {}
    )
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx_3xx"] = int(m.group(1)) if m else 0
    return res


def run_wrk(url: str, script: Path, params: WrkParams, duration: float | None = None) -> dict:
    dur = params.duration if duration is None else duration
    cmd = [
        "wrk",
        f"-t{params.threads}",
        f"-c{params.connections}",
        f"-d{_dur(dur)}",
        "--timeout",
        params.timeout,
        "--latency",
        "-s",
        str(script),
        url,
    ]
    res = subprocess.run(
        cmd, capture_output=True, text=True, timeout=dur + 120, stdin=subprocess.DEVNULL
    )
    if res.returncode != 0:
        raise RuntimeError(f"wrk failed ({res.returncode}): {res.stderr or res.stdout}")
    parsed = parse_wrk(res.stdout)
    parsed["raw"] = res.stdout
    return parsed


def probe(url: str, accept: str, timeout: float = 30.0) -> dict:
    """One GET with the given Accept header; returns status, type, size and item count.

    ``items`` counts links (HTML) or ``files``/``projects`` entries (JSON).
    ``format`` is ``"json"`` only if the server answered with the PEP 691 JSON
    content type, ``"html"`` for any text/html answer.
    """
    req = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status = resp.status
            ctype = resp.headers.get("Content-Type", "")
            body = resp.read()
            final_url = resp.geturl()
    except urllib.error.HTTPError as exc:
        return {
            "status": exc.code,
            "content_type": exc.headers.get("Content-Type", ""),
            "format": None,
        }
    fmt = None
    items = None
    if ctype.split(";")[0].strip() == JSON:
        fmt = "json"
        data = json.loads(body)
        items = len(data.get("files", data.get("projects", [])))
    elif ctype.startswith("text/html"):
        fmt = "html"
        items = len(re.findall(rb"<a\s", body, re.I))
    return {
        "status": status,
        "content_type": ctype,
        "format": fmt,
        "bytes": len(body),
        "items": items,
        "redirected_to": final_url if final_url != url else None,
    }
