"""Checks installed the way a third party ships them: a distribution's `entry_points.txt`
in the `warden.checks` group, on sys.path (which the sandbox's spawned child inherits)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from warden.checks.registry import installed
from warden.packaging.tests import conftest as packaging

# The packaging tests' project, token, storage isolation, distributions and upload client.
demo, alice_token, upload = packaging.demo, packaging.alice_token, packaging.upload
storage_dir, upload_temp_dir = packaging.storage_dir, packaging.upload_temp_dir
dist_dir, make_wheel, make_sdist = packaging.dist_dir, packaging.make_wheel, packaging.make_sdist

# Checks for the framework's tests: each does one thing a real check might do wrong.
TEST_CHECKS = '''
import os
import signal
import time

from warden.checks.base import (CLEAN, Check, Classification, Evidence, Hook, State,
                                Verdict)


class Marker(Check):
    """Malicious where a Python member says EVIL; suspicious where it says ODD."""
    name = "t-marker"
    version = 1
    summary = "finds the EVIL marker"
    description = "A test check."
    default_state = State.ENABLED

    def scan(self, artifact):
        for member, text in artifact.archive.texts():
            for number, line in enumerate(text.splitlines(), 1):
                if "EVIL" in line:
                    return Verdict(Classification.MALICIOUS, 0.99, "EVIL marker",
                                   (Evidence(member=member, lines=(number, number),
                                             rule="EVIL", excerpt=line),))
                if "MEH" in line:
                    return Verdict(Classification.MALICIOUS, 0.6, "MEH marker",
                                   (Evidence(member=member, rule="MEH", excerpt=line),))
                if "ODD" in line:
                    return Verdict(Classification.SUSPICIOUS, 0.6, "ODD marker",
                                   (Evidence(member=member, rule="ODD", excerpt=line),))
        return CLEAN


class Crash(Check):
    name = "t-crash"
    summary = "always raises"
    default_state = State.ENABLED

    def scan(self, artifact):
        raise ValueError("a bug in the check")


class Spin(Check):
    name = "t-spin"
    summary = "loops in Python past its limit"
    default_state = State.EVALUATION
    time_limit = 0.5

    def scan(self, artifact):
        if "SPIN" not in artifact.filename:
            return CLEAN
        while True:
            pass


class Stuck(Check):
    name = "t-stuck"
    summary = "hangs where no signal reaches it"
    default_state = State.DISABLED
    time_limit = 0.3

    def scan(self, artifact):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
        return CLEAN


class Hog(Check):
    name = "t-hog"
    summary = "asks for more memory than allowed"
    default_state = State.DISABLED

    def scan(self, artifact):
        blob = bytearray(8 * 1024 ** 3)
        return CLEAN


class Die(Check):
    name = "t-die"
    summary = "kills its own process"
    default_state = State.DISABLED

    def scan(self, artifact):
        os._exit(7)


class Scheduled(Check):
    name = "t-scheduled"
    summary = "runs from the operator's scheduler"
    default_state = State.EVALUATION
    hooks = frozenset({Hook.SCHEDULE})

    def scan(self, artifact):
        return Verdict(Classification.SUSPICIOUS, 0.4, "looked again later")


class ProjectOnly(Check):
    name = "t-project"
    summary = "runs once per new project"
    default_state = State.EVALUATION
    hooks = frozenset({Hook.PROJECT})

    def scan(self, artifact):
        return Verdict(Classification.INDETERMINATE, 0.5,
                       "new project " + str(artifact.meta.get("name")))
'''

ENTRY_POINTS = {
    "t-marker": "warden_test_checks:Marker", "t-crash": "warden_test_checks:Crash",
    "t-spin": "warden_test_checks:Spin", "t-stuck": "warden_test_checks:Stuck",
    "t-hog": "warden_test_checks:Hog", "t-die": "warden_test_checks:Die",
    "t-project": "warden_test_checks:ProjectOnly",
    "t-scheduled": "warden_test_checks:Scheduled",
}

Install = Callable[..., Path]


def plugin_install(directory: Path, *, module: str, source: str,
                   entry_points: dict[str, str], dist: str | None = None) -> Path:
    """Lay out an installed distribution (module + .dist-info) in `directory`."""
    dist = dist or module
    (directory / f"{module}.py").write_text(textwrap.dedent(source))
    info = directory / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[warden.checks]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))
    return directory


@pytest.fixture
def install_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """`install_checks(module=..., source=..., entry_points=...)`: a third-party package of
    checks, found by the registry here and in the sandbox's child."""
    from warden.checks.services import sandbox_close

    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))

    def install(**kwargs: object) -> Path:
        plugin_install(root, **kwargs)  # type: ignore[arg-type]
        installed.cache_clear()
        sandbox_close()
        return root

    yield install
    installed.cache_clear()
    sandbox_close()


@pytest.fixture
def test_checks(install_checks: Install) -> Path:
    return install_checks(module="warden_test_checks", source=TEST_CHECKS,
                          entry_points=ENTRY_POINTS)
