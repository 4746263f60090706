"""The German catalogue is complete and used (bootstrap compiles it with msgfmt)."""

import shutil
import subprocess
import sys
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


def _msgids(catalogue: Path) -> set[str]:
    """The msgids of a .po file (msgctxt-qualified), without the header."""
    result = subprocess.run(["msgattrib", "--no-wrap", str(catalogue)], capture_output=True,
                            text=True, check=True)
    ids, current, field = set(), {"msgctxt": "", "msgid": ""}, ""
    for line in [*result.stdout.splitlines(), ""]:
        if line.startswith(("msgctxt ", "msgid ")):
            field, _, rest = line.partition(" ")
            current[field] = rest[1:-1]
        elif line.startswith('"') and field:
            current[field] += line[1:-1]
        elif line.startswith(("msgstr", "msgid_plural")):
            field = ""
        elif not line.strip() and current["msgid"]:
            ids.add(f"{current['msgctxt']}\x04{current['msgid']}")
            current, field = {"msgctxt": "", "msgid": ""}, ""
    return ids


@pytest.mark.skipif(shutil.which("xgettext") is None or shutil.which("msgattrib") is None,
                    reason="needs gettext's xgettext and msgattrib")
def test_every_translatable_string_of_the_code_is_in_the_german_catalogue(tmp_path: Path):
    # makemessages on a copy of the package: the strings the code and templates mark now,
    # against the catalogue as committed, so a string added without its German fails here
    # rather than reaching a German user in English.
    package = Path(__file__).resolve().parents[2]
    copy = tmp_path / "warden"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns(
        "__pycache__", "tests", "*.mo", "static"))
    (copy / "locale" / "de" / "LC_MESSAGES" / "django.po").unlink()
    subprocess.run([str(Path(sys.executable).parent / "warden"), "makemessages", "-l", "de",
                    "--no-obsolete", "-v", "0"], cwd=copy, check=True, capture_output=True)
    wanted = _msgids(copy / "locale" / "de" / "LC_MESSAGES" / "django.po")
    missing = sorted(m.replace("\x04", " | ") for m in wanted - _msgids(CATALOGUE))
    assert not missing, f"{len(missing)} string(s) lack German: {missing}"
