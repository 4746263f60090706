"""The shared layout, in a real browser: landmarks, skip link, language, axe."""

import pytest

from tests.browser import assert_accessible

pytestmark = pytest.mark.e2e


def test_home_page_passes_axe(server, page):
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page)


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(server, page):
    page.goto(server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_pages_carry_a_strict_content_security_policy(server, page):
    response = page.goto(server.url + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_choosing_german_translates_the_page_and_sets_lang(server, page):
    page.goto(server.url + "/")
    page.select_option("#language-select", "de")
    page.get_by_role("button", name="Change").click()
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator(".skip-link").inner_text() == "Zum Hauptinhalt springen"
    assert_accessible(page)
