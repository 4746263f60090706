"""The checks' child process: the one way an artifact is scanned, by the worker after an
upload and by `warden checks scan`.

The child is started once (multiprocessing's `spawn`: a fresh interpreter that inherits no
database connection, lock or secret of its parent) and serves scans over a pipe. Before each
check it says which one starts, so when a check hangs where SIGALRM cannot reach it (C code,
a pathological regular expression) the parent kills the child after that check's limit and
its grace, records the overrun against that check alone, and starts a new child. Its memory
is capped (RLIMIT_AS), so a bomb costs the child, never the worker.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from warden.checks.base import Artifact
from warden.checks.runner import Outcome, check_run

GRACE = 5.0        # seconds past a check's own limit before its child is killed
MEMORY_MB = 1536   # address space the child may add to what it uses after start-up


@dataclass(frozen=True)
class Scan:
    """One artifact's outcomes, with the wall time of the whole scan."""

    outcomes: list[Outcome]
    seconds: float


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(conn: Connection, memory_mb: int) -> None:
    from warden.checks.registry import installed

    checks = installed()
    # Load every check's modules before the cap, then cap what scanning may add.
    if memory_mb > 0 and (size := _vm_size()):
        limit = size + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send(("ready", sorted(checks)))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        artifact = Artifact(filename=request["filename"], data=request["data"],
                            metadata=request["metadata"])
        for name in request["checks"]:
            conn.send(("start", name))
            conn.send(("done", check_run(checks[name], artifact).as_dict()))
        conn.send(("end", None))
        del artifact


class _Overrun(Exception):
    """The running check outlived its limit and grace (not an OSError, unlike
    TimeoutError, so a dead pipe is never mistaken for it)."""


class Sandbox:
    """A child process that scans. Thread-safe: one scan at a time per sandbox."""

    def __init__(self, *, memory_mb: int = MEMORY_MB, grace: float = GRACE) -> None:
        self._memory_mb = memory_mb
        self._grace = grace
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None

    def _start(self) -> Connection:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(target=_child, args=(child, self._memory_mb),
                                        daemon=True, name="warden-checks")
        self._process.start()
        child.close()
        if not parent.poll(120):
            self.close()
            raise RuntimeError("the checks' child process did not start")
        parent.recv()
        self._conn = parent
        return parent

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def scan(self, *, filename: str, data: bytes, metadata: Mapping[str, Any],
             checks: Sequence[str]) -> Scan:
        """Run `checks` (installed names) on the archive; every name gets an outcome."""
        from warden.checks.registry import installed

        limits = {name: installed()[name].time_limit for name in checks}
        started = time.perf_counter()
        with self._lock:
            outcomes = self._scan(filename, data, dict(metadata), list(checks), limits)
        return Scan(outcomes=outcomes, seconds=time.perf_counter() - started)

    def _scan(self, filename: str, data: bytes, metadata: dict[str, Any],
              checks: list[str], limits: dict[str, float]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        pending = list(checks)
        while pending:
            conn = self._conn or self._start()
            try:
                conn.send({"filename": filename, "data": data, "metadata": metadata,
                           "checks": pending})
                self._receive(conn, pending, limits, outcomes)
            except (EOFError, OSError, BrokenPipeError):
                # The child died (memory, a crash in C): blame the check it was running.
                self.close()
                if pending:
                    outcomes.append(_failed(pending.pop(0), "its process died (memory "
                                                            "limit or crash)", 0.0))
            except _Overrun:
                self.close()
                name = pending.pop(0)
                outcomes.append(_failed(name, f"took longer than its limit of "
                                              f"{limits[name]:g} s", limits[name] + self._grace))
        return outcomes

    def _receive(self, conn: Connection, pending: list[str], limits: dict[str, float],
                 outcomes: list[Outcome]) -> None:
        while True:
            name = pending[0] if pending else ""
            wait = limits.get(name, 0.0) + self._grace
            if not conn.poll(wait):
                raise _Overrun
            kind, payload = conn.recv()
            if kind == "done":
                outcomes.append(Outcome.from_dict(payload))
                pending.pop(0)
            elif kind == "end":
                return


def _failed(name: str, error: str, seconds: float) -> Outcome:
    from warden.checks.registry import installed

    return Outcome(check=name, version=installed()[name].version, verdict=None, error=error,
                   seconds=seconds)

