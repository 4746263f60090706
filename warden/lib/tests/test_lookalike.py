"""The look-alike key that project names and usernames share."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warden.lib.lookalike import lookalike_key


@pytest.mark.parametrize(
    ("lookalike", "original"),
    [
        ("garnma", "gamma"),
        ("clelta", "delta"),
        ("vvheel", "wheel"),
        ("uuheel", "wheel"),
        ("nunnpy", "numpy"),
        # `ci` reads as `cl`, hence as `d`; `c1` too.
        ("cijango", "django"),
        ("c1jango", "django"),
        ("a1ice", "alice"),
        ("aIice", "alice"),
        ("alice_", "alice"),
        ("Al.Ice", "alice"),
        ("\u0430lice", "alice"),  # Cyrillic a
        ("al\u0456ce", "alice"),  # Cyrillic i
        ("\uff41lice", "alice"),  # fullwidth a
        ("\u03bfpen", "open"),  # Greek omicron
    ],
)
def test_look_alike_spellings_share_the_key_of_the_name_they_imitate(
        lookalike: str, original: str) -> None:
    assert lookalike_key(lookalike) == lookalike_key(original)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("numpy", "numba"),
        ("alice", "alicia"),
        ("bob", "rob"),
        ("requests", "request"),
        ("django", "flask"),
        ("lib", "lob"),
        ("yarl", "yan"),  # `ri` for `n` is not folded: it would merge too many honest names
    ],
)
def test_honest_near_names_keep_distinct_keys(one: str, other: str) -> None:
    assert lookalike_key(one) != lookalike_key(other)


@given(st.text(alphabet="abcdilmnoruvw01-_.I", max_size=20))
def test_the_key_of_a_key_is_the_key_itself(name: str) -> None:
    # Folding runs until nothing is left to fold; packaging's migration 0007 relies on it.
    assert lookalike_key(lookalike_key(name)) == lookalike_key(name)
