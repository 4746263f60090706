"""The public pages in a real browser: a project published with twine, found from the home
page and search, its project, release and maintainer pages, and a 404; axe on each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import assert_accessible
from tests.clients import twine_upload
from tests.conftest import Server
from tests.dists import build_dists

pytestmark = pytest.mark.e2e

NAME = "Pelican.Pages"
NORMALIZED = "pelican-pages"
# A README that exercises the renderer: headings, code wider than a phone, a table, a task
# list, an image without alt text, and an attack that must not run.
README = """# Pelican Pages

A package with a **README**, rendered for the project page.

## Install

```python
import pelican_pages; pelican_pages.do_something_with_a_long_name(argument_one=1, two=2)
```

| Option | Meaning |
|--------|---------|
| `a_really_long_option_name_that_goes_on` | https://example.invalid/a/long/url/unbroken |

- [x] written
- [ ] released

<img src="/static/warden/none.png">

<script>window.__pwned = true; alert(1)</script>
[a trap](javascript:alert(1))
"""


@pytest.fixture(scope="module")
def published(server: Server, alice_token: str,
              tmp_path_factory: pytest.TempPathFactory) -> str:
    """Pelican.Pages 0.9 (yanked) and 1.0 (with a README), uploaded by alice with twine."""
    directory = tmp_path_factory.mktemp("public-dists")
    for version in ("0.9", "1.0"):
        dists = build_dists(directory / version, NAME, version,
                            classifiers=["Programming Language :: Python :: 3",
                                         "Topic :: Software Development :: Libraries"])
        done = twine_upload(server.url, dists.files, password=alice_token)
        assert done.returncode == 0, done.describe()
    # Core metadata 2.1 from tests/dists carries no description; set what twine would send.
    server.shell(
        "from warden.packaging.models import Release\n"
        f"r = Release.objects.get(project__normalized_name={NORMALIZED!r}, version='1.0')\n"
        f"r.description = {README!r}\n"
        "r.description_content_type = 'text/markdown'\n"
        "r.license_expression = 'MIT'\n"
        f"r.project_urls = {json.dumps({'Source': 'https://example.invalid/pelican'})}\n"
        "r.save()\n"
        f"Release.objects.filter(project__normalized_name={NORMALIZED!r}, version='0.9')"
        ".update(yanked=True, yanked_reason='missing a module')\n"
    )
    return NORMALIZED


@pytest.fixture
def watched(page: Any) -> Iterator[Any]:
    """The page, failing the test on any script error or dialog (an `alert` from a README
    would be one)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"),
                                      dialog.dismiss()))
    yield page
    assert errors == []


def test_home_page_lists_the_new_project_and_passes_axe(server, published, watched):
    page = watched
    page.goto(server.url + "/")
    assert page.get_by_role("heading", level=1).count() == 1
    recent = page.locator(f'a[href="/project/{NORMALIZED}/1.0/"]')
    assert recent.count() == 1
    assert_accessible(page)


def test_search_from_the_home_page_finds_the_project(server, published, watched):
    page = watched
    page.goto(server.url + "/")
    page.get_by_label("Search projects by name or summary").fill("pelican")
    page.get_by_label("Search projects by name or summary").press("Enter")
    page.wait_for_url("**/search/?q=pelican")
    assert page.get_by_role("link", name=NAME).count() == 1
    assert_accessible(page)
    page.get_by_role("link", name=NAME).click()
    assert page.url == f"{server.url}/project/{NORMALIZED}/"


def test_project_page_shows_readme_history_files_and_passes_axe(server, published, watched):
    page = watched
    response = page.goto(f"{server.url}/project/{NAME}/")
    assert response.status == 200
    assert page.url == f"{server.url}/project/{NORMALIZED}/"  # redirected to the canonical URL
    assert page.get_by_role("heading", level=1).inner_text() == f"{NAME} 1.0"
    assert page.locator(".readme strong", has_text="README").count() == 1
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator('.readme a[href^="javascript"]').count() == 0
    assert page.locator("#install-command").inner_text() == f"pip install {NAME}"
    history = page.locator(".release-history li", has_text="0.9")
    assert "yanked" in history.inner_text() and "missing a module" in history.inner_text()
    files = page.locator("table.files tbody tr")
    assert files.count() == 2
    assert page.get_by_role("link", name="alice").count() == 1
    assert_accessible(page)


def test_copy_button_is_reached_and_pressed_by_keyboard(server, published, watched):
    page = watched
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{server.url}/project/{NORMALIZED}/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.dataset.copyTarget") == "install-command":
            break
    else:
        pytest.fail("Tab never reached the copy button")
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)  # let the click handler's promise settle; errors fail `watched`
    assert page.evaluate("() => document.activeElement.dataset.copyTarget") == "install-command"


def test_project_page_fits_a_320_pixel_screen(server, published, watched):
    page = watched
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{server.url}/project/{NORMALIZED}/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert_accessible(page)


def test_release_page_of_a_yanked_version_says_so_and_passes_axe(server, published, watched):
    page = watched
    response = page.goto(f"{server.url}/project/{NORMALIZED}/0.9.0/")
    assert response.status == 200
    assert page.url == f"{server.url}/project/{NORMALIZED}/0.9/"
    assert page.get_by_role("heading", level=1).inner_text() == f"{NAME} 0.9"
    assert "This release is yanked." in page.locator("main").inner_text()
    assert page.locator("#install-command").inner_text() == f"pip install {NAME}==0.9"
    assert_accessible(page)


def test_user_page_lists_the_project_and_passes_axe(server, published, watched):
    page = watched
    page.goto(f"{server.url}/project/{NORMALIZED}/")
    page.get_by_role("link", name="alice").click()
    assert page.url == f"{server.url}/user/alice/"
    assert page.get_by_role("link", name=NAME).count() == 1
    assert_accessible(page)


def test_unknown_project_is_our_404_page_and_passes_axe(server, watched):
    page = watched
    response = page.goto(f"{server.url}/project/no-such-project-anywhere/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert_accessible(page)


def test_search_with_several_pages_has_accessible_pagination(server, watched):
    # Rows made directly: 21 projects is one more than a page holds.
    server.shell(
        "from warden.packaging.models import Project, Release\n"
        "from warden.packaging.names import name_confusable_key\n"
        "for n in range(21):\n"
        "    name = f'paginate-me-{n:02d}'\n"
        "    p = Project.objects.create(name=name, normalized_name=name, "
        " confusable_key=name_confusable_key(name))\n"
        "    Release.objects.create(project=p, version='1.0', canonical_version='1',"
        " metadata_version='2.1', summary='One of many')\n"
    )
    page = watched
    page.goto(f"{server.url}/search/?q=paginate-me")
    nav = page.get_by_role("navigation", name="Pagination")
    assert nav.locator('[aria-current="page"]').inner_text().endswith("1")
    assert_accessible(page)
    nav.get_by_role("link", name="Next").click()
    assert page.get_by_role("navigation", name="Pagination").locator(
        '[aria-current="page"]').inner_text().endswith("2")
    assert page.locator("ol.project-list > li").count() == 1
    assert_accessible(page)
