"""The built-in checks on real malicious uploads from the development corpus, read only as
bytes in memory (its README's rules): they are scanned through the sandbox uploads use, and
nothing of them reaches the disk. Skipped without the corpus (WARDEN_CORPUS_DIR; scripts/test
sets it when the corpus sits beside the work tree)."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import pytest

from warden.checks.base import State
from warden.checks.evaluate import malicious_samples
from warden.checks.sandbox import Sandbox
from warden.checks.scanning import archive_scan, checks_running, default_states

CORPUS = Path(os.environ.get("WARDEN_CORPUS_DIR", "/nonexistent"))
SAMPLES = 40

pytestmark = pytest.mark.skipif(not (CORPUS / "malicious-dev.zip").is_file(),
                                reason="the malware corpus is not here (set WARDEN_CORPUS_DIR)")


def test_real_malicious_uploads_are_flagged_and_never_touch_the_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workdir, scratch = tmp_path / "cwd", tmp_path / "tmp"
    workdir.mkdir()
    scratch.mkdir()
    monkeypatch.chdir(workdir)
    # The sandbox's child inherits these: anything it wrote would land here.
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)
    states = default_states()
    enabled = [n for n, s in states.items() if s is State.ENABLED]
    held = itertools.islice(malicious_samples(CORPUS / "malicious-dev.zip",
                                              CORPUS / "malicious-dev.tsv", "held"), SAMPLES)
    sandbox = Sandbox()
    try:
        reports = [archive_scan(sandbox=sandbox, filename=s.name.split("-", 1)[1],
                                data=s.load(), checks=checks_running(states),
                                combined_over=enabled) for s in held]
    finally:
        sandbox.close()
    assert len(reports) == SAMPLES
    assert not [o.error for r in reports for o in r.outcomes if o.error]
    flagged = [r for r in reports if r.classification.rank >= 2]
    assert len(flagged) >= 0.75 * SAMPLES, f"{len(flagged)} of {SAMPLES} flagged"
    assert list(workdir.iterdir()) == [] and list(scratch.iterdir()) == []
