"""The rule for new usernames: ASCII letters, digits, `.`, `_` and `-`, and no look-alike of
an existing username.

A username is how people recognize each other here: on project pages as a maintainer, in
invitations and in the audit trail. `alice` spelt with a Cyrillic `a` (U+0430) or a
fullwidth one (U+FF41), `a1ice` or `aIice` beside `alice` would read as alice in all of
them. ASCII only (like the public index) closes the Unicode class outright; the look-alike
key (shared with project names, `warden.lib.lookalike`) closes the ASCII one.

Every place that sets a username runs `username_check`: sign-up (the allauth adapter), the
admin and `warden user create`. Usernames from before the rule keep working; the rule only
applies when one is chosen or changed.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from warden.accounts.models import User
from warden.lib.lookalike import lookalike_key

# re.ASCII, or [A-Z] under IGNORECASE would also match the Kelvin sign and the long s.
_USERNAME_RE = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE | re.ASCII)


def username_lookalike(*, username: str, exclude_pk: int | None = None) -> str | None:
    """The existing username that `username` could be mistaken for, if any (the same name
    in another case counts too). `exclude_pk` is the account being renamed.

    Reads every username: a key column would need the user table changed; sign-ups and
    renames are rare and rate-limited, and the scan is a few milliseconds per 10,000
    accounts."""
    key = lookalike_key(username)
    others = User.objects.all() if exclude_pk is None else User.objects.exclude(pk=exclude_pk)
    for existing in others.values_list("username", flat=True).iterator(chunk_size=2000):
        if lookalike_key(existing) == key:
            return existing
    return None


def username_check(*, username: str, exclude_pk: int | None = None,
                   against_existing: bool = True) -> None:
    """Raise ValidationError unless a new (or renamed) account may be called `username`.
    `against_existing=False` checks the spelling alone (allauth's "shallow" checks)."""
    limit = User._meta.get_field("username").max_length or 150
    if len(username) > limit:
        raise ValidationError(_("A username can be at most %(limit)d characters long.")
                              % {"limit": limit}, code="username_too_long")
    if not _USERNAME_RE.fullmatch(username):
        raise ValidationError(
            _("Use only the letters A to Z, digits, “.”, “_” and “-” in a username, and start "
              "and end with a letter or digit. Letters of other alphabets are not allowed "
              "because many look exactly like Latin ones."),
            code="username_not_ascii")
    if against_existing and username_lookalike(username=username,
                                                exclude_pk=exclude_pk) is not None:
        # Not naming the other account: it may be disabled, and its name is not ours to show.
        raise ValidationError(
            _("This username is too easy to mistake for an existing one (for example “1” "
              "for “l”, “0” for “o” or “rn” for “m”). Please choose another."),
            code="username_lookalike")
