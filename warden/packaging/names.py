"""Project name rules: validation, PEP 503 normalization and look-alike detection."""

from __future__ import annotations

import re

from warden.lib.lookalike import lookalike_key
from warden.packaging.errors import UploadError

NAME_MAX_LENGTH = 100

# re.ASCII matters: with IGNORECASE alone, [A-Z] also matches U+017F (long s)
# and U+212A (Kelvin sign), which would let look-alike Unicode names through.
_NAME_RE = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE | re.ASCII)
_SEPARATORS_RE = re.compile(r"[-_.]+")


def name_normalize(name: str) -> str:
    """Return the PEP 503 form of ``name``: the key two spellings share."""
    return _SEPARATORS_RE.sub("-", name).lower()


def name_validate(name: str) -> None:
    """Refuse names that are not valid PEP 508 project names."""
    if not name:
        raise UploadError("A project name is required.")
    if len(name) > NAME_MAX_LENGTH:
        raise UploadError(
            f"The project name {name[:40]!r}... is {len(name)} characters long;"
            f" the limit is {NAME_MAX_LENGTH}."
        )
    if not _NAME_RE.fullmatch(name):
        raise UploadError(
            f"{name!r} is not a valid project name. Use ASCII letters, digits,"
            " '.', '_' and '-', and start and end with a letter or digit."
        )


def name_confusable_key(name: str) -> str:
    """Return a key shared by names that only differ in easily misread ways.

    Two projects with the same key (``foo-bar``, ``fo0bar``, ``f00_bar``, ``garnma`` and
    ``gamma``) are too easy to mistake for one another, which is how typosquatting works.
    Usernames share the rule (`warden.lib.lookalike`). Stored in `Project.confusable_key`
    and `ProhibitedName.confusable_key`: a change of the rule needs a migration that
    recomputes them (as packaging 0006 did).
    """
    return lookalike_key(name_normalize(name))
