"""Checks run contained: a check that raises, overruns, hangs where signals cannot reach,
exhausts memory or kills its process costs its own result, never the scan of the others."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dists import wheel_bytes
from warden.checks.base import Classification
from warden.checks.sandbox import Sandbox
from warden.checks.scanning import archive_scan

ALL = ["t-marker", "t-crash", "t-spin", "t-stuck", "t-hog", "t-die"]


@pytest.fixture
def sandbox(test_checks: Path) -> Iterator[Sandbox]:
    box = Sandbox(memory_mb=512, grace=1.0)
    yield box
    box.close()


def evil_wheel() -> bytes:
    return wheel_bytes("demo", "1.0", module="print('EVIL')\n").data


def test_each_misbehaving_check_gets_an_error_and_the_others_still_run(
        sandbox: Sandbox) -> None:
    report = archive_scan(sandbox=sandbox, filename="demo-1.0-SPIN.whl", data=evil_wheel(),
                          checks=["t-crash", "t-spin", "t-stuck", "t-hog", "t-die",
                                  "t-marker"])
    by_check = {o.check: o for o in report.outcomes}
    assert list(by_check) == ["t-crash", "t-spin", "t-stuck", "t-hog", "t-die", "t-marker"]
    assert "ValueError: a bug in the check" in by_check["t-crash"].error
    assert "longer than its limit of 0.5 s" in by_check["t-spin"].error
    assert "longer than its limit of 0.3 s" in by_check["t-stuck"].error
    assert by_check["t-hog"].error == "ran out of memory"
    assert "process died" in by_check["t-die"].error
    marker = by_check["t-marker"].verdict
    assert marker is not None and marker.classification is Classification.MALICIOUS
    assert marker.evidence[0].member == "demo/__init__.py"
    assert marker.evidence[0].lines == (1, 1)
    # The file is malicious by the one check that worked; the failures don't hide it.
    assert report.classification is Classification.MALICIOUS


def test_a_failed_check_leaves_a_clean_file_indeterminate(sandbox: Sandbox) -> None:
    clean = wheel_bytes("demo", "1.0", module="print('hello')\n").data
    report = archive_scan(sandbox=sandbox, filename="demo-1.0.whl", data=clean,
                          checks=["t-marker", "t-crash"])
    assert report.classification is Classification.INDETERMINATE
    only_marker = archive_scan(sandbox=sandbox, filename="demo-1.0.whl", data=clean,
                               checks=["t-marker"])
    assert only_marker.classification is Classification.CLEAN


def test_the_sandbox_serves_the_next_scan_after_its_child_was_killed(
        sandbox: Sandbox) -> None:
    archive_scan(sandbox=sandbox, filename="a.whl", data=evil_wheel(), checks=["t-stuck"])
    report = archive_scan(sandbox=sandbox, filename="b.whl", data=evil_wheel(),
                          checks=["t-marker"])
    assert report.classification is Classification.MALICIOUS


def test_not_an_archive_is_scanned_without_error(sandbox: Sandbox) -> None:
    report = archive_scan(sandbox=sandbox, filename="x.tar.gz", data=b"\x1f\x8bnot really",
                          checks=["t-marker"])
    assert report.outcomes[0].error == ""
    assert report.classification is Classification.CLEAN
