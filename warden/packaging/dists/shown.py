"""Uploader-controlled values as a refusal message shows them: cut short.

Names, versions and fields in a refusal come from the upload, and an upload can make them
64 KiB long (a zip member name) or longer (a pax header, a form field). Echoed whole they
would bury the message, and the reason phrase twine prints is cut at 400 characters anyway.
"""

from __future__ import annotations

SHOWN_MAX = 120
TEXT_MAX = 300


def quoted(value: object) -> str:
    """``repr(value)``, with a long string or bytes value cut to its first characters."""
    if isinstance(value, (str, bytes)) and len(value) > SHOWN_MAX:
        return f"{value[:SHOWN_MAX]!r}... ({len(value)} characters)"
    return repr(value)


def shortened(text: object, limit: int = TEXT_MAX) -> str:
    """Free text (another library's error message, which may quote the upload) cut short."""
    shown = str(text)
    return shown if len(shown) <= limit else f"{shown[:limit]}..."


def quoted_list(values: list[str], *, most: int = 5, empty: str = "nothing") -> str:
    """The first ``most`` values, quoted, and how many more there are."""
    if not values:
        return empty
    shown = ", ".join(quoted(v) for v in values[:most])
    more = len(values) - most
    return f"{shown} and {more} more" if more > 0 else shown
