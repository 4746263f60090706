"""Process helpers: clean environments, tracked child processes, port/URL polling.

Every long-running process the harness starts goes through :func:`spawn`, which
starts it in its own session (so its process group id equals its pid) and
remembers it.  :func:`stop` ends one of them by that pid (SIGTERM to its
process group, then SIGKILL after a grace period); :func:`stop_all` ends every
process still tracked and is called from ``finally`` blocks in ``run.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

_TRACKED: dict[int, subprocess.Popen] = {}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def clean_env(**extra: str) -> dict[str, str]:
    """Environment for child processes: no pip/uv/twine configuration leaks in.

    ``PIP_CONFIG_FILE=/dev/null`` makes pip skip *all* configuration files,
    including the machine-wide one (``--isolated`` alone does not skip it).
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_", "TWINE_", "PYTHON", "VIRTUAL_ENV", "GUNICORN_"))
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(
    cmd: list[str], logfile: Path, env: dict[str, str], cwd: Path | None = None
) -> subprocess.Popen:
    fh = open(logfile, "ab")
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    finally:
        fh.close()
    _TRACKED[proc.pid] = proc
    return proc


def stop(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """Stop a process started by :func:`spawn`, and its process group, by pid.

    The group is only signalled while its leader is not yet reaped (alive or a
    zombie), so the pid cannot have been reused by an unrelated process.
    """
    if proc is None:
        return
    pid = proc.pid
    try:
        if proc.returncode is not None:
            return  # already reaped by us; nothing of ours is left to signal
        if not _exited(pid):
            _signal_group(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while not _exited(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        # Leader gone or stuck: kill whatever is left of the group (e.g.
        # gunicorn workers) while the leader's pid is still held by us.
        _signal_group(pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        _TRACKED.pop(pid, None)


def _exited(pid: int) -> bool:
    """True once the child has exited; it is left unreaped (a zombie)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all() -> None:
    for proc in list(_TRACKED.values()):
        try:
            stop(proc, grace=5.0)
        except Exception as exc:  # keep going: stop the others
            log(f"could not stop pid {proc.pid}: {exc}")


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by the live processes of a process group."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def wait_idle(
    pgid: int, timeout: float = 60.0, window: float = 1.0, max_cpu: float = 0.05
) -> float:
    """Wait until a process group uses under ``max_cpu`` cores over ``window`` seconds.

    Used after uploading so that background work a server does after accepting
    files (indexing, rendering, ...) is not measured as read latency.  Returns
    the seconds waited (``timeout`` if it never went idle).
    """
    t0 = time.monotonic()
    before = group_cpu_seconds(pgid)
    while time.monotonic() - t0 < timeout:
        time.sleep(window)
        after = group_cpu_seconds(pgid)
        if (after - before) / window < max_cpu:
            break
        before = after
    return time.monotonic() - t0


def tail(path: Path, n: int = 30) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def wait_http(
    url: str,
    timeout: float,
    proc: subprocess.Popen | None = None,
    logfile: Path | None = None,
    ok: Callable[[int], bool] = lambda status: status == 200,
) -> float:
    """Poll ``url`` until it answers with an acceptable status; return seconds waited."""
    t0 = time.monotonic()
    last = "no answer"
    while time.monotonic() - t0 < timeout:
        if proc is not None and _exited(proc.pid):
            raise RuntimeError(
                f"server (pid {proc.pid}) exited before {url} was ready;\n"
                + (tail(logfile) if logfile else "")
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if ok(resp.status):
                    return time.monotonic() - t0
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            if ok(exc.code):
                return time.monotonic() - t0
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise TimeoutError(
        f"{url} not ready after {timeout:.0f}s (last: {last});\n"
        + (tail(logfile) if logfile else "")
    )


def run(
    cmd: list[str],
    env: dict[str, str],
    timeout: float,
    logfile: Path | None = None,
    cwd: Path | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run a short command to completion (bounded by ``timeout``), capturing output."""
    res = subprocess.run(
        cmd,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if logfile is not None:
        with open(logfile, "a") as fh:
            fh.write(f"$ {' '.join(cmd)}\n{res.stdout}{res.stderr}\n[exit {res.returncode}]\n")
    if check and res.returncode != 0:
        raise RuntimeError(
            f"command failed ({res.returncode}): {' '.join(cmd)}\n"
            f"{res.stdout[-2000:]}{res.stderr[-2000:]}"
        )
    return res
