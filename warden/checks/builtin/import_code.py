"""Code that runs when the package is imported: module-level statements of its modules, and
the functions they call while loading. Libraries do their network and process work in
functions that callers call; a payload runs at import because nobody will call it, or sits in
a function a console script or a README tells the victim to run, doing what no library does
(see `behaviour._on_use_rules`)."""

from __future__ import annotations

from typing import ClassVar

from warden.checks.base import Artifact, Check, State, Verdict
from warden.checks.builtin.behaviour import judge
from warden.checks.builtin.common import archive_facts
from warden.checks.builtin.pyast import IMPORT


class ImportTimeCode(Check):
    name = "import-time-code"
    version = 2
    summary = "module code that reaches out, spawns or decodes on import"
    description = (
        "Reads the code that runs on import (module level, and what it calls while loading) "
        "for the behaviours of a payload: running decoded or downloaded code, commands that "
        "fetch or hide a program, collecting host information and reaching the network. "
        "Documentation, example and test scripts shipped in an sdist count for less: they "
        "run only when someone runs them. Functions of the package that run only when "
        "called (console scripts, an API) are judged only by what no library does: starting "
        "a program they just downloaded, commands that download and run, and sending the "
        "user or host name (or credential stores) to a fixed address.")
    default_state: ClassVar[State] = State.ENABLED
    time_limit = 20.0

    def scan(self, artifact: Artifact) -> Verdict:
        facts = archive_facts(artifact.archive)
        return judge(facts, {IMPORT}, when="on import", sure=0.97, on_use=True)
