"""What the upload says about itself: a name one typo away from a popular project, a version
such as 999.0 on a brand-new project (what dependency-confusion probes use to win over an
internal package), a placeholder description."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import ClassVar

from warden.checks.base import CLEAN, Artifact, Check, Classification, Evidence, State, Verdict
from warden.checks.builtin.common import verdict

HUGE_VERSION = re.compile(r"^v?(?:9{2,}|[1-9]\d{2,})(?:\.|$)")   # 99.x, 999.x, 100.x, 2024.x
CALVER = re.compile(r"^v?(?:19|20)\d{2}(?:\.|$)")


@functools.cache
def popular_names() -> frozenset[str]:
    """The shipped list of popular project names (popular_names.txt)."""
    try:
        text = resources.files(__package__).joinpath("popular_names.txt").read_text("utf-8")
    except (OSError, ModuleNotFoundError):
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def one_edit_apart(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns `a` into `b`."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((i for i, (x, y) in enumerate(zip(short, long_, strict=False)) if x != y),
             len(short))
    return short[i:] == long_[i + 1:]


def _deletions(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}


@functools.cache
def _neighbours() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The popular names by each of their one-letter deletions (and themselves), spelled
    without dashes and as they are: two names one edit apart (an insertion, a deletion, a
    substitution or a swap) always share a key, so a lookup costs a few dictionary reads
    instead of comparing with all 5,000 names."""
    plain: dict[str, set[str]] = {}
    dashed: dict[str, set[str]] = {}
    for other in popular_names():
        if len(other) < 5:
            continue
        for key in _deletions(other.replace("-", "")):
            plain.setdefault(key, set()).add(other)
        for key in _deletions(other):
            dashed.setdefault(key, set()).add(other)
    return plain, dashed


def squatted(name: str) -> str:
    """The popular project `name` imitates, or ""."""
    wanted = normalized(name)
    if len(wanted) < 5 or wanted in popular_names():
        return ""
    plain, dashed = _neighbours()
    # Without dashes on both sides, then (for a dashed name) as spelled: `python-dateutl`.
    passes = [(wanted.replace("-", ""), plain, lambda o: o.replace("-", ""))]
    if "-" in wanted:
        passes.append((wanted, dashed, lambda o: o))
    for candidate, index, spelled in passes:
        found = {other for key in _deletions(candidate) for other in index.get(key, ())
                 if one_edit_apart(candidate, spelled(other))}
        if found:
            return min(found)
    return ""


class MetadataSignals(Check):
    name = "metadata-signals"
    version = 1
    summary = "typosquatted names, 999.x versions on new projects, placeholder metadata"
    description = (
        "Compares the project name with a shipped list of the 5,000 most downloaded "
        "projects (one edit away: a typosquat), flags versions such as 99.x or 999.x on a "
        "project with no earlier release (dependency-confusion probes), and summaries that "
        "are empty or random letters. Metadata is cheap to fake either way, so these only "
        "make a file suspicious.")
    default_state: ClassVar[State] = State.EVALUATION
    time_limit = 10.0

    def scan(self, artifact: Artifact) -> Verdict:
        meta = artifact.meta
        name, version = str(meta.get("name", "")), str(meta.get("version", ""))
        new = meta.get("project_new", True) is not False
        found: list[Evidence] = []
        if name and (imitated := squatted(name)):
            found.append(Evidence(member="metadata", rule="typosquat",
                                  excerpt=f"{name} is one edit away from {imitated}"))
        if new and HUGE_VERSION.match(version) and not CALVER.match(version):
            found.append(Evidence(member="metadata", rule="huge-version",
                                  excerpt=f"version {version} on a new project"))
        if not found:
            return CLEAN
        sure = 0.7 if len(found) > 1 else 0.5
        return verdict(Classification.SUSPICIOUS, sure, "; ".join(e.excerpt for e in found),
                       found)
