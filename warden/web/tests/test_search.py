"""Search: by name and summary, exact name first, paginated, quarantined projects hidden.
Runs on SQLite (a substring query) and, under scripts/test, on PostgreSQL (full-text)."""

import re

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def result_names(response):
    html = response.content.decode()
    if '<ol class="project-list"' not in html:
        return []
    listing = html.split('<ol class="project-list"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<a href="/project/[^/]+/">([^<]+)</a>', listing)


def test_search_finds_projects_by_name(client, make_project):
    make_project("frobnicator", {"1.0": {}})
    make_project("unrelated", {"1.0": {}})
    assert result_names(client.get("/search/", {"q": "frobnicator"})) == ["frobnicator"]


def test_search_finds_projects_by_part_of_their_name(client, make_project):
    make_project("frobnicator", {"1.0": {}})
    assert result_names(client.get("/search/", {"q": "frobni"})) == ["frobnicator"]


def test_search_matches_names_whatever_the_separators(client, make_project):
    make_project("Demo.Pkg", {"1.0": {}})
    assert result_names(client.get("/search/", {"q": "demo_pkg"})) == ["Demo.Pkg"]


def test_search_finds_projects_by_the_summary_of_their_newest_release(client, make_project):
    make_project("alpha", {"1.0": {"summary": "Parses spreadsheets quickly"}})
    make_project("beta", {"1.0": {"summary": "Draws charts"}})
    assert result_names(client.get("/search/", {"q": "spreadsheets"})) == ["alpha"]


def test_exact_name_match_comes_first(client, make_project):
    make_project("toolkit-extra", {"1.0": {"summary": "More toolkit"}})
    make_project("a-toolkit", {"1.0": {"summary": "Another toolkit"}})
    make_project("toolkit", {"1.0": {"summary": "The toolkit"}})
    names = result_names(client.get("/search/", {"q": "toolkit"}))
    assert names[0] == "toolkit"
    assert set(names) == {"toolkit", "toolkit-extra", "a-toolkit"}


def test_quarantined_projects_are_hidden_from_search(client, make_project):
    make_project("widget", {"1.0": {}})
    make_project("widget-evil", {"1.0": {}}, status="quarantined")
    assert result_names(client.get("/search/", {"q": "widget"})) == ["widget"]


def test_archived_and_deprecated_projects_are_still_found(client, make_project):
    make_project("widget-old", {"1.0": {}}, status="archived")
    make_project("widget-dep", {"1.0": {}}, status="deprecated")
    assert set(result_names(client.get("/search/", {"q": "widget"}))) == {
        "widget-old", "widget-dep"}


def test_search_results_show_version_and_summary(client, make_project):
    make_project("gadget", {"1.0": {"summary": "Old words"}, "1.2": {"summary": "Gadgets!"}})
    html = client.get("/search/", {"q": "gadget"}).content.decode()
    assert "1.2" in html
    assert "Gadgets!" in html
    assert "1 project found." in html


def test_nothing_found_says_so(client, make_project):
    make_project("gadget", {"1.0": {}})
    response = client.get("/search/", {"q": "zzzz"})
    assert response.status_code == 200
    assert "0 projects found." in response.content.decode()
    assert result_names(response) == []


def test_empty_query_shows_the_form_without_results(client, make_project):
    make_project("gadget", {"1.0": {}})
    response = client.get("/search/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="search-q">' in html
    assert "found." not in html
    assert result_names(response) == []


def test_query_text_is_escaped(client, db):
    html = client.get("/search/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_search_is_paginated_twenty_per_page(client, make_project):
    for n in range(45):
        make_project(f"bulk-{n:02d}", {"1.0": {}})
    first = client.get("/search/", {"q": "bulk"})
    assert len(result_names(first)) == 20
    assert "45 projects found." in first.content.decode()
    third = client.get("/search/", {"q": "bulk", "page": "3"})
    assert len(result_names(third)) == 5
    everything = (result_names(first) + result_names(client.get("/search/", {"q": "bulk",
                                                                            "page": "2"}))
                  + result_names(third))
    assert sorted(everything) == [f"bulk-{n:02d}" for n in range(45)]


def test_pagination_nav_is_labelled_and_marks_the_current_page(client, make_project):
    for n in range(25):
        make_project(f"bulk-{n:02d}", {"1.0": {}})
    html = client.get("/search/", {"q": "bulk", "page": "2"}).content.decode()
    nav = html.split('<nav aria-label="Pagination">', 1)[1].split("</nav>", 1)[0]
    assert re.search(r'href="\?q=bulk&amp;page=2" aria-current="page"', nav)
    assert nav.count("aria-current") == 1
    assert 'href="?q=bulk&amp;page=1" rel="prev"' in nav
    assert "rel=\"next\"" not in nav


def test_one_page_of_results_has_no_pagination(client, make_project):
    make_project("single", {"1.0": {}})
    assert "Pagination" not in client.get("/search/", {"q": "single"}).content.decode()


def test_bad_page_numbers_do_not_break_the_page(client, make_project):
    make_project("single", {"1.0": {}})
    for page in ("0", "999", "abc", "-1"):
        response = client.get("/search/", {"q": "single", "page": page})
        assert response.status_code == 200
        assert result_names(response) == ["single"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_postgresql_full_text_search_matches_word_forms_in_summaries(client, make_project):
    make_project("alpha", {"1.0": {"summary": "Parses spreadsheets quickly"}})
    make_project("beta", {"1.0": {"summary": "Draws charts"}})
    # "parsing" is no substring of "Parses": only stemming finds it.
    assert result_names(client.get("/search/", {"q": "parsing spreadsheet"})) == ["alpha"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_postgresql_ranks_name_matches_above_summary_matches(client, make_project):
    make_project("charting", {"1.0": {"summary": "Plots"}})
    make_project("plotter", {"1.0": {"summary": "Draws charting output"}})
    make_project("charting-tools", {"1.0": {"summary": "Utilities"}})
    names = result_names(client.get("/search/", {"q": "charting"}))
    assert names[0] == "charting"
    assert names.index("charting-tools") < names.index("plotter")
