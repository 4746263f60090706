"""Scanning one archive: the code shared by the upload path (the `screen` task), the command
line (`warden checks scan`) and the corpus evaluation (`warden checks evaluate`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warden.checks.base import Classification, State
from warden.checks.registry import installed
from warden.checks.runner import Outcome, combine
from warden.checks.sandbox import Sandbox


@dataclass(frozen=True)
class Report:
    filename: str
    sha256: str
    outcomes: list[Outcome]
    classification: Classification
    confidence: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"filename": self.filename, "sha256": self.sha256,
                "classification": self.classification.value,
                "confidence": round(self.confidence, 4),
                "checks": {o.check: o.as_dict() for o in self.outcomes},
                "seconds": round(self.seconds, 4)}


def checks_running(states: Mapping[str, State]) -> list[str]:
    """The installed checks that run (enabled or in evaluation), by name."""
    return [name for name, cls in installed().items()
            if states.get(name, cls.default_state) is not State.DISABLED]


def default_states() -> dict[str, State]:
    return {name: cls.default_state for name, cls in installed().items()}


def archive_scan(*, sandbox: Sandbox, filename: str, data: bytes, checks: Sequence[str],
                 metadata: Mapping[str, Any] | None = None,
                 combined_over: Sequence[str] | None = None) -> Report:
    """Run `checks` on the archive in `sandbox`. The combined verdict is over
    `combined_over` (default: every check run)."""
    scan = sandbox.scan(filename=filename, data=data, metadata=metadata or {}, checks=checks)
    counted = set(checks if combined_over is None else combined_over)
    classification, confidence = combine(o for o in scan.outcomes if o.check in counted)
    return Report(filename=filename, sha256=hashlib.sha256(data).hexdigest(),
                  outcomes=scan.outcomes, classification=classification,
                  confidence=confidence, seconds=scan.seconds)
