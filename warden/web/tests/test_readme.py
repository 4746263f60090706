"""README rendering: whatever an uploader writes, what reaches the page is sanitized."""

from html.parser import HTMLParser

import pytest

from warden.web.readme import readme_render

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    '<iframe src="https://example.invalid"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg><script>alert(1)</script></svg>",
]


class _Elements(HTMLParser):
    """The elements and attributes a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))


def elements(html):
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


@pytest.mark.parametrize("content_type", ["text/markdown", "text/x-rst", "text/plain", ""])
@pytest.mark.parametrize("attack", ATTACKS)
def test_no_markup_that_runs_code_survives_any_content_type(attack, content_type):
    html = readme_render(description=f"Intro\n\n{attack}\n", content_type=content_type)
    for tag, attrs in elements(html):
        assert tag not in {"script", "iframe", "svg", "style", "object", "embed"}
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style"
            if name in {"href", "src"}:
                assert not value.strip().lower().startswith(("javascript:", "data:")), value


def test_rst_javascript_link_loses_its_target():
    html = readme_render(description="See `this <javascript:alert(1)>`_.",
                         content_type="text/x-rst")
    assert "this" in html
    assert "javascript" not in html


def test_rst_raw_html_directive_is_shown_as_text_not_run():
    html = readme_render(description=".. raw:: html\n\n   <script>alert(1)</script>\n",
                         content_type="text/x-rst")
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_markdown_is_rendered():
    html = readme_render(description="Some **bold** and `code`.\n\n* item\n",
                         content_type="text/markdown; charset=UTF-8; variant=GFM")
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert "<li>item</li>" in html


def test_commonmark_variant_is_rendered():
    html = readme_render(description="Some *emphasis*.",
                         content_type="text/markdown; variant=CommonMark")
    assert "<em>emphasis</em>" in html


def test_rst_is_rendered_and_is_the_default_without_a_content_type():
    html = readme_render(description="Some **bold** text.", content_type="")
    assert "<strong>bold</strong>" in html


def test_plain_text_is_escaped_not_interpreted():
    html = readme_render(description="a <b>bold</b> claim\nline two", content_type="text/plain")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>" not in html


def test_broken_rst_falls_back_to_escaped_text():
    html = readme_render(description="Title\n===\n\n`unclosed <b>", content_type="text/x-rst")
    assert "&lt;b&gt;" in html
    assert "<b>" not in html


def test_readme_headings_are_demoted_below_the_pages_own():
    html = readme_render(description="# Top\n\n## Second\n\n###### Sixth",
                         content_type="text/markdown")
    assert "<h1" not in html and "<h2" not in html
    assert "<h3" in html and "<h4" in html and "<h6" in html


def test_readme_ids_cannot_collide_with_the_pages_ids():
    html = readme_render(description="Main\n====\n\n.. _main:\n\nText `up <#main>`_",
                         content_type="text/x-rst")
    assert 'id="main"' not in html
    assert 'href="#main"' not in html
    assert 'href="#user-content-main"' in html


def test_empty_heading_anchors_are_dropped_because_they_have_no_name():
    html = readme_render(description="# Title\n", content_type="text/markdown")
    assert "<a" not in html


def test_images_without_alt_text_get_an_empty_one():
    html = readme_render(description='<img src="/a.png">\n\n![described](/b.png)',
                         content_type="text/markdown")
    assert '<img alt="" src="/a.png">' in html
    assert 'alt="described"' in html


def test_empty_description_renders_nothing():
    assert readme_render(description="  \n", content_type="text/markdown") == ""


def test_code_blocks_carry_no_lang_attribute_because_lang_names_human_languages():
    html = readme_render(description="```python\nprint(1)\n```\n", content_type="text/markdown")
    assert "<pre" in html
    assert "lang=" not in html
