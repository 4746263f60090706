"""Code that runs when the package is built or installed: an sdist's `setup.py` (pip runs it,
and with it every command class it registers) and any `.pth` file (Python runs its `import`
lines at every start once it is installed)."""

from __future__ import annotations

from typing import ClassVar

from warden.checks.base import Artifact, Check, State, Verdict
from warden.checks.builtin.behaviour import judge
from warden.checks.builtin.common import archive_facts
from warden.checks.builtin.pyast import INSTALL


class InstallTimeCode(Check):
    name = "install-time-code"
    version = 3
    summary = "setup.py or .pth code that reaches out, spawns or decodes at install"
    description = (
        "Reads setup.py (and the command classes it registers) and .pth files, the code that "
        "runs when pip builds or installs the package, for behaviour a build does not need: "
        "running code decoded from a carried blob or downloaded, commands that fetch or hide "
        "a program (curl, powershell, dig, ping, ...), opening a file with its associated "
        "program, writing out decoded or downloaded content, collecting the user, host name "
        "or environment and reaching the network, writing to autostart locations. Subprocess "
        "calls to compilers, git or pkg-config are not flagged.")
    default_state: ClassVar[State] = State.ENABLED
    time_limit = 20.0

    def scan(self, artifact: Artifact) -> Verdict:
        facts = archive_facts(artifact.archive)
        return judge(facts, {INSTALL}, when="at install", sure=1.0)
