"""The German catalogue is complete and used (bootstrap compiles it with msgfmt)."""

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "de" / "LC_MESSAGES" / "django.po"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")
def test_german_catalogue_compiles_with_nothing_untranslated_or_fuzzy():
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null",
                             str(CATALOGUE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr


@pytest.fixture(autouse=True)
def _english_again() -> Iterator[None]:
    # A request leaves its language active in the thread; the tests after this module
    # expect English.
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_a_browser_asking_for_german_gets_german_pages(client, db):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de">' in html
    assert "Zum Hauptinhalt springen" in html
