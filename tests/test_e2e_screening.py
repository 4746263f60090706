"""Screening end to end: a third-party check shipped as a wheel, installed by pip beside
Warden, is found through the `warden.checks` entry point group by `warden checks`, by the
worker of a real `warden serve` and by `warden checks scan`; a twine upload it finds
malicious is quarantined: pip can no longer install it."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.clients import twine_upload
from tests.conftest import Server, server_running
from tests.dists import dist_info_dir, wheel_bytes
from tests.index import SIMPLE_JSON, wait_until_listed

pytestmark = pytest.mark.e2e

PLUGIN = '''
from warden.checks.base import CLEAN, Check, Classification, Evidence, State, Verdict


class CanaryCheck(Check):
    """Finds a marker string that no honest package contains."""

    name = "acme-canary"
    version = 3
    summary = "Acme's canary marker"
    description = "Flags any Python file that carries Acme's canary marker."
    default_state = State.ENABLED

    def scan(self, artifact):
        for member, text in artifact.archive.texts():
            if "ACME-CANARY-7f3a" in text:
                return Verdict(Classification.MALICIOUS, 0.97, "Acme canary marker",
                               (Evidence(member=member, rule="acme-canary",
                                         excerpt="ACME-CANARY-7f3a"),))
        return CLEAN
'''


def plugin_wheel(directory: Path) -> Path:
    """acme-warden-checks 1.0: a module and an entry point, as a vendor would ship it."""
    entry_points = b"[warden.checks]\nacme-canary = acme_warden_checks:CanaryCheck\n"
    wheel = wheel_bytes("acme-warden-checks", "1.0", module=PLUGIN, files={
        f"{dist_info_dir('acme-warden-checks', '1.0')}/entry_points.txt": entry_points})
    return wheel.write_to(directory)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin installed by pip into a directory of its own (on PYTHONPATH below)."""
    root = tmp_path_factory.mktemp("plugin")
    target = root / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--disable-pip-version-check", "--target", str(target), str(plugin_wheel(root))],
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "acme_warden_checks" / "__init__.py").exists()
    return target


@pytest.fixture(scope="module")
def screening_server(tmp_path_factory: pytest.TempPathFactory,
                     site: Path) -> Iterator[Server]:
    def with_plugin(srv: Server) -> None:
        srv.env["PYTHONPATH"] = str(site)

    with server_running(tmp_path_factory, prepare=with_plugin) as (srv, _):
        yield srv


def test_warden_checks_lists_the_installed_plugin_and_sets_its_state(
        screening_server: Server) -> None:
    listed = screening_server.warden("checks", "list").stdout
    line = next(x for x in listed.splitlines() if x.startswith("acme-canary"))
    assert "v3" in line and "enabled" in line and "Acme's canary marker" in line
    screening_server.warden("checks", "state", "acme-canary", "evaluation")
    assert "evaluation" in next(x for x in screening_server.warden("checks", "list").stdout
                                .splitlines() if x.startswith("acme-canary"))
    screening_server.warden("checks", "state", "acme-canary", "enabled")


def test_warden_checks_scan_runs_the_plugin_on_files_without_a_server(
        screening_server: Server, tmp_path: Path) -> None:
    bad = wheel_bytes("victim", "1.0", module="TOKEN = 'ACME-CANARY-7f3a'\n").write_to(
        tmp_path / "bad")
    good = wheel_bytes("victim", "1.1").write_to(tmp_path / "good")
    done = screening_server.warden("checks", "scan", "--check", "acme-canary", str(bad),
                                   str(good))
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert [x["filename"] for x in lines] == [bad.name, good.name]
    assert {"filename", "sha256", "classification", "confidence", "checks",
            "seconds"} <= lines[0].keys()
    assert lines[0]["classification"] == "malicious"
    assert lines[0]["checks"]["acme-canary"]["evidence"][0]["member"] == "victim/__init__.py"
    assert lines[1]["classification"] == "clean"
    failing = subprocess.run(
        [str(Path(sys.executable).parent / "warden"), "checks", "scan", "--check",
         "acme-canary", "--fail-on", "malicious", str(bad)],
        env=screening_server.env, capture_output=True, text=True, check=False)
    assert failing.returncode == 3, failing.stderr


def project_status(url: str, name: str) -> str:
    """The PEP 792 status on the project's simple page; "" until the page is published
    (the signer publishes it a moment after the upload's 200)."""
    response = requests.get(f"{url}/simple/{name}/", headers={"Accept": SIMPLE_JSON},
                            timeout=30)
    if response.status_code == 404:
        return ""
    response.raise_for_status()
    return str(response.json().get("project-status", {}).get("status", "active"))


def test_an_upload_the_plugin_finds_malicious_is_quarantined_and_cannot_be_installed(
        screening_server: Server, tmp_path: Path) -> None:
    name = f"scr-{secrets.token_hex(4)}"
    token = screening_server.mint_token("alice", "--expires", "1d")
    bad = wheel_bytes(name, "1.0", module="TOKEN = 'ACME-CANARY-7f3a'\n").write_to(tmp_path)
    result = twine_upload(screening_server.url, [bad], password=token)
    assert result.returncode == 0, result.describe()

    deadline = time.monotonic() + 60
    while project_status(screening_server.url, name) != "quarantined":
        assert time.monotonic() < deadline, "the upload was not quarantined within 60 s"
        time.sleep(0.2)
    page = requests.get(f"{screening_server.url}/simple/{name}/",
                        headers={"Accept": SIMPLE_JSON}, timeout=30).json()
    assert page["files"] == []
    json_api = requests.get(f"{screening_server.url}/pypi/{name}/json", timeout=30).json()
    assert json_api["urls"] == []
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "-d",
         str(tmp_path / "dl"), "--index-url", f"{screening_server.url}/simple/", name],
        capture_output=True, text=True, check=False)
    assert pip.returncode != 0
    # The result is kept with its evidence, under the check's version.
    stored = screening_server.shell(
        "from warden.checks.models import CheckResult\n"
        "r = CheckResult.objects.get(check_name='acme-canary',"
        f" screening__normalized_name='{name}')\n"
        "print(r.check_version, r.classification, r.evidence[0]['excerpt'])")
    assert stored == "3 malicious ACME-CANARY-7f3a"
    # A clean upload from the same owner is published as usual.
    good_name = f"scr-{secrets.token_hex(4)}"
    good = wheel_bytes(good_name, "1.0").write_to(tmp_path / "good")
    assert twine_upload(screening_server.url, [good], password=token).returncode == 0
    wait_until_listed(screening_server.url, good_name, good.name)
