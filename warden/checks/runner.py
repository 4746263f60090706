"""Running checks on one artifact, each contained: an exception or an overrun becomes an
error outcome of that check alone. `warden.checks.sandbox` runs this in a child process, so
that a check that exhausts memory or hangs in C code costs only the child."""

from __future__ import annotations

import signal
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from warden.checks.base import Artifact, Check, Classification, Verdict


class CheckTimeout(Exception):
    pass


@dataclass(frozen=True)
class Outcome:
    """One check's run on one artifact: a verdict, or an error (then `verdict` is None)."""

    check: str
    version: int
    verdict: Verdict | None
    error: str
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "version": self.version, "error": self.error,
                "seconds": round(self.seconds, 4),
                **(self.verdict.as_dict() if self.verdict else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcome:
        verdict = Verdict.from_dict(data) if "classification" in data else None
        return cls(check=data["check"], version=int(data["version"]), verdict=verdict,
                   error=str(data.get("error", "")), seconds=float(data["seconds"]))


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    # SIGALRM interrupts Python code that overruns; code stuck in C is the sandbox's
    # parent's to kill. Signals work only in the main thread (the sandbox child's).
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def overrun(signum: int, frame: object) -> None:
        raise CheckTimeout(f"took longer than its limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, overrun)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_run(check: type[Check], artifact: Artifact) -> Outcome:
    started = time.perf_counter()
    try:
        with _time_limit(check.time_limit):
            verdict = check().scan(artifact)
        if not isinstance(verdict, Verdict):
            raise TypeError(f"scan returned {type(verdict).__name__}, not a Verdict")
        error = ""
    except CheckTimeout as exc:
        verdict, error = None, str(exc)
    except MemoryError:
        verdict, error = None, "ran out of memory"
    except Exception as exc:
        verdict = None
        error = f"{type(exc).__name__}: {exc}"[:300] + "\n" + traceback.format_exc(limit=-3)[-1500:]
    return Outcome(check=check.name, version=check.version, verdict=verdict, error=error,
                   seconds=time.perf_counter() - started)


def combine(outcomes: Iterable[Outcome]) -> tuple[Classification, float]:
    """The combined verdict: the most harmful classification found, with the highest
    confidence among the checks that found it. A check that failed makes the file at least
    indeterminate: it was not fully screened. No check at all is clean."""
    best, confidence = Classification.CLEAN, 1.0
    for outcome in outcomes:
        if outcome.verdict is None:
            found, sure = Classification.INDETERMINATE, 0.0
        else:
            found, sure = outcome.verdict.classification, outcome.verdict.confidence
        if found.rank > best.rank:
            best, confidence = found, sure
        elif found is best and found is not Classification.CLEAN:
            confidence = max(confidence, sure)
    return best, confidence
