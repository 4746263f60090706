"""A release's long description, rendered to HTML that is safe to put in our pages.

Uploaders write the description; anyone reads it. So it is rendered by `readme_renderer`,
which sanitizes with nh3 (no scripts, no event handlers, no `javascript:` URLs), then fitted
into our page (headings demoted below ours, anchor ids kept apart from ours, empty self-links
dropped) and sanitized once more, because the fitting works on text. Only the output of that
last sanitizing pass is ever marked safe.
"""

from __future__ import annotations

import re
from email.message import Message

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from readme_renderer import markdown, rst, txt
from readme_renderer.clean import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

# README anchors get this prefix (readme_renderer already gives it to most), so a heading
# called "Main" cannot take the id of our `<main id="main">` or any other id of the page.
ID_PREFIX = "user-content-"
# The page's own <h1> is the project and the README sits under an <h2>, so the README's
# <h1> becomes an <h3>.
HEADING_SHIFT = 2

_HEADING_RE = re.compile(r"<(/?)h([1-6])(?=[\s>])")
# Self-links beside headings carry no text, and a link without text is announced as an
# unnamed link by screen readers.
_EMPTY_LINK_RE = re.compile(r"<a\b[^<>]*></a>")
_IMG_RE = re.compile(r"<img\b([^<>]*)>")


def _content_type(value: str) -> tuple[str, dict[str, str]]:
    message = Message()
    message["Content-Type"] = value
    params = {k.lower(): v for k, v in message.get_params(failobj=[])[1:]}
    return message.get_content_type(), params


def _shift_heading(match: re.Match[str]) -> str:
    level = min(int(match.group(2)) + HEADING_SHIFT, 6)
    return f"<{match.group(1)}h{level}"


def _img_alt(match: re.Match[str]) -> str:
    # An image without alt text is read out by its file name; one whose author gave none
    # is better skipped.
    attrs = match.group(1)
    return match.group(0) if re.search(r"\balt=", attrs) else f'<img alt=""{attrs}>'


def _fit_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "lang":
        # readme_renderer marks code blocks `<pre lang="python">`, but `lang` names a human
        # language; assistive technology would try to read the code as "python".
        return None
    if attribute == "id" and not value.startswith(ID_PREFIX):
        return ID_PREFIX + value
    if (element == "a" and attribute == "href" and value.startswith("#")
            and not value.startswith("#" + ID_PREFIX)):
        return f"#{ID_PREFIX}{value[1:]}"
    return value


def _render(description: str, content_type: str) -> str | None:
    kind, params = _content_type(content_type or "text/x-rst")
    if kind == "text/markdown":
        variant = params.get("variant", "GFM")
        return markdown.render(description, variant="CommonMark" if variant == "CommonMark"
                               else "GFM")
    if kind == "text/plain":
        return txt.render(description)
    # text/x-rst, and what PyPI also treats as reStructuredText: no or an unknown type.
    return rst.render(description)


def readme_render(*, description: str, content_type: str) -> SafeString:
    """`description` as sanitized HTML. Text that fails to render in its declared format
    (bad reStructuredText, say) is shown as plain text, escaped."""
    if not description.strip():
        return mark_safe("")
    rendered = _render(description, content_type)
    if rendered is None:
        rendered = txt.render(description) or escape(description)
    fitted = _HEADING_RE.sub(_shift_heading, rendered)
    fitted = _IMG_RE.sub(_img_alt, _EMPTY_LINK_RE.sub("", fitted))
    # The last pass, with readme_renderer's own allowlist: whatever the text edits above
    # did, what reaches the page is what nh3 lets through.
    cleaned = nh3.clean(
        fitted,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_fit_attribute,
        link_rel="nofollow noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
        # Task-list boxes: not for ticking, and without a label of their own (the item's
        # text says what the task is).
        set_tag_attribute_values={"input": {"disabled": "", "aria-hidden": "true"}},
    )
    return mark_safe(cleaned)  # noqa: S308 (sanitized by nh3 just above)
