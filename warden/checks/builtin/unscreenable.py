"""An archive the other checks could only partly read: a bomb inflating past the read
budget, more members than a scan lists, a code file padded past the member cap, or two
members under one name (pip keeps the last one; a reader that stops at the first sees a
decoy). Each is a way to upload code no check looked at, and none occurs in ordinary
packages, so a reviewer should look."""

from __future__ import annotations

from typing import ClassVar

from warden.checks.archive import problems
from warden.checks.base import CLEAN, Artifact, Check, Classification, Evidence, State, Verdict


class UnscreenableArchive(Check):
    name = "unscreenable-archive"
    version = 1
    summary = "archives a scan cannot read whole: bombs, padding, shadowed members"
    description = (
        "Flags an upload whose archive the checks could not read entirely: it inflates past "
        "the read budget, lists more members than a scan reads, carries a code file larger "
        "than a scan reads, or holds two members under one name (an installer uses the last, "
        "a reader the first). Code in what was not read was screened by nobody, so the file "
        "goes to the review queue.")
    default_state: ClassVar[State] = State.ENABLED
    time_limit = 10.0

    def scan(self, artifact: Artifact) -> Verdict:
        found = problems(artifact.archive)
        if not found:
            return CLEAN
        return Verdict(Classification.SUSPICIOUS, 0.8,
                       f"could not be screened whole: {found[0]}",
                       tuple(Evidence(rule="unscreenable-archive", excerpt=p) for p in found))
