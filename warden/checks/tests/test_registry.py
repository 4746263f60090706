"""Checks are found through the `warden.checks` entry point group, and one broken plug-in
never stops the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from warden.checks.base import CLEAN, Check
from warden.checks.registry import CheckLoadError, check_validate, installed
from warden.checks.tests.conftest import Install

GOOD = '''
from warden.checks.base import CLEAN, Check

class Good(Check):
    name = "p-good"
    summary = "fine"

    def scan(self, artifact):
        return CLEAN
'''


def test_a_plugins_checks_are_found_beside_the_others(install_checks: Install) -> None:
    install_checks(module="p_good", source=GOOD, entry_points={"p-good": "p_good:Good"})
    assert installed()["p-good"].summary == "fine"


def test_a_plugin_that_fails_to_import_is_left_out_and_logged(
        install_checks: Install, caplog: pytest.LogCaptureFixture) -> None:
    install_checks(module="p_bad", source="raise ImportError('no such dependency')\n",
                   entry_points={"p-bad": "p_bad:Bad"}, dist="p_bad")
    install_checks(module="p_good", source=GOOD, entry_points={"p-good": "p_good:Good"})
    found = installed()
    assert "p-good" in found and "p-bad" not in found
    assert "check p-bad (p_bad:Bad) could not be loaded" in caplog.text


def test_a_second_check_under_a_taken_name_is_refused(
        install_checks: Install, test_checks: Path, caplog: pytest.LogCaptureFixture) -> None:
    install_checks(module="zz_twin", source=GOOD.replace("p-good", "t-marker"),
                   entry_points={"t-marker-twin": "zz_twin:Good"})
    assert installed()["t-marker"].__module__ == "warden_test_checks"
    assert "two checks are named t-marker" in caplog.text
    assert "ignoring zz_twin:Good" in caplog.text


@pytest.mark.parametrize(("attributes", "error"), [
    ({"name": "Has Spaces"}, "name must be"),
    ({"name": "ok", "version": 0}, "version must be a positive integer"),
    ({"name": "ok", "hooks": frozenset()}, "hooks must be"),
    ({"name": "ok", "default_state": "enabled"}, "default_state must be a State"),
])
def test_a_check_class_with_bad_attributes_is_refused(attributes: dict[str, object],
                                                      error: str) -> None:
    cls = type("Bad", (Check,), {"scan": lambda self, artifact: CLEAN, **attributes})
    with pytest.raises(CheckLoadError, match=error):
        check_validate(cls)


def test_not_a_check_class_or_no_scan_is_refused() -> None:
    with pytest.raises(CheckLoadError, match="not a subclass"):
        check_validate(object)
    with pytest.raises(CheckLoadError, match="scan is not implemented"):
        check_validate(type("Lazy", (Check,), {"name": "lazy"}))
