"""What a malware check is: the extension point of the screening domain.

A check is an ordinary class that subclasses `Check`, registered under the `warden.checks`
entry point group (`warden.lib.signals.CHECKS_ENTRY_POINT_GROUP`) by whatever package ships
it; the built-in checks are registered by Warden's own `pyproject.toml` the same way:

    [project.entry-points."warden.checks"]
    my-check = "my_package.checks:MyCheck"

`scan` gets an `Artifact`: the uploaded archive as bytes with a capped, in-memory view of its
members, and the upload's metadata. It returns a `Verdict`. A check never extracts to disk,
imports or runs anything from the archive, and needs no database: the same class runs in the
worker after an upload commits and in `warden checks scan` on a laptop. It runs in a child
process with a time and a memory limit; if it raises or overruns, its result is an error
and the upload is not affected.

This module needs nothing but the standard library, so a third-party check can be written and
tested without Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from warden.checks.archive import Archive, core_metadata


class Classification(StrEnum):
    """A verdict's classification, from harmless to harmful: `rank` orders them."""

    CLEAN = "clean"
    INDETERMINATE = "indeterminate"
    SUSPICIOUS = "suspicious"
    MALICIOUS = "malicious"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Classification.CLEAN: 0, Classification.INDETERMINATE: 1,
          Classification.SUSPICIOUS: 2, Classification.MALICIOUS: 3}


class Hook(StrEnum):
    """What a check looks at. `file` runs on every uploaded file; `release` once per new
    release (on its first file) and `project` once per new project (on its first file), each
    with that file as the artifact; `schedule` when the operator's scheduler runs
    `warden checks run-scheduled`, over the files uploaded since (e.g. a check whose rules
    are updated daily looks again at yesterday's uploads)."""

    FILE = "file"
    RELEASE = "release"
    PROJECT = "project"
    SCHEDULE = "schedule"


class State(StrEnum):
    """Set by staff. `evaluation` runs the check and shows its results to staff only; only
    `enabled` checks take part in the combined verdict that acts."""

    DISABLED = "disabled"
    EVALUATION = "evaluation"
    ENABLED = "enabled"


@dataclass(frozen=True)
class Evidence:
    """Where and why: the archive member, the lines (first, last; 1-based), the rule that
    matched and an excerpt of the matched text (shown to staff escaped, as text)."""

    member: str = ""
    lines: tuple[int, int] | None = None
    rule: str = ""
    excerpt: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"member": self.member, "lines": list(self.lines) if self.lines else None,
                "rule": self.rule, "excerpt": self.excerpt}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        lines = data.get("lines")
        return cls(member=str(data.get("member", "")),
                   lines=(int(lines[0]), int(lines[1])) if lines else None,
                   rule=str(data.get("rule", "")), excerpt=str(data.get("excerpt", "")))


EXCERPT_MAX = 400
EVIDENCE_MAX = 20


@dataclass(frozen=True)
class Verdict:
    """A check's finding. `confidence` (0 to 1) is how sure the check is of the
    classification; `message` one line for the review queue."""

    classification: Classification
    confidence: float
    message: str
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, not {self.confidence}")

    def as_dict(self) -> dict[str, Any]:
        # Bounded, so that a check cannot fill the database through its evidence.
        return {"classification": self.classification.value,
                "confidence": round(self.confidence, 4), "message": self.message[:300],
                "evidence": [Evidence(member=e.member[:300], lines=e.lines, rule=e.rule[:200],
                                      excerpt=e.excerpt[:EXCERPT_MAX]).as_dict()
                             for e in self.evidence[:EVIDENCE_MAX]]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(classification=Classification(data["classification"]),
                   confidence=float(data["confidence"]), message=str(data["message"]),
                   evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence", ())))


CLEAN = Verdict(Classification.CLEAN, 1.0, "nothing found")


@dataclass
class Artifact:
    """One uploaded file as a check sees it: its name, its bytes, and `metadata`, the
    upload's core metadata fields (lower-case keys: `name`, `version`, `summary`,
    `home_page`, ...) plus what the index knows of the project (`project_new`: the project
    has no other release; `project_age_days`)."""

    filename: str
    data: bytes
    metadata: Mapping[str, Any] = field(default_factory=dict)
    _archive: Archive | None = field(default=None, repr=False)
    _meta: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def archive(self) -> Archive:
        if self._archive is None:
            self._archive = Archive(self.filename, self.data)
        return self._archive

    @property
    def meta(self) -> Mapping[str, Any]:
        """`metadata` over the archive's own core metadata: what checks should read, so
        that a scan without the index (`warden checks scan`) sees the same fields."""
        if self._meta is None:
            self._meta = {**core_metadata(self.archive), **self.metadata}
        return self._meta


class Check:
    """Subclass this, set the class attributes, and implement `scan`.

    `name` is the stable key results are kept under; bump `version` whenever what the check
    finds changes, so that its statistics start afresh (the old results stay).
    `default_state` is the state a newly installed check starts in.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    summary: ClassVar[str] = ""
    description: ClassVar[str] = ""
    hooks: ClassVar[frozenset[Hook]] = frozenset({Hook.FILE})
    default_state: ClassVar[State] = State.EVALUATION
    time_limit: ClassVar[float] = 10.0

    def scan(self, artifact: Artifact) -> Verdict:
        raise NotImplementedError
