"""Look-alike keys: one spelling shared by names that people misread for one another.

Project names and usernames both use `lookalike_key`. Two names with the same key are
too easy to mistake in a URL, a terminal or an audit trail (`dem0`/`demo`, `garnma`/
`gamma`, `a1ice`/`alice`), which is how typosquatting and impersonation work. The rules
are measured against the most downloaded projects by `bench/lookalike_names.py`: each one
must catch real attack spellings without merging many honest names (see
docs/security.md, "Look-alike names").
"""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS_RE = re.compile(r"[-_.]+")

# Letters from other scripts drawn exactly like a Latin one. New names are ASCII only;
# this keeps names created before that rule (or elsewhere) comparable with ASCII ones.
# Written as escapes so that a reader sees which letter is which.
_HOMOGLYPHS = str.maketrans({
    "\u0430": "a",  # cyrillic small letter a
    "\u0432": "b",  # cyrillic small letter ve
    "\u0441": "c",  # cyrillic small letter es
    "\u0501": "d",  # cyrillic small letter komi de
    "\u0435": "e",  # cyrillic small letter ie
    "\u04bb": "h",  # cyrillic small letter shha
    "\u0456": "i",  # cyrillic small letter byelorussian-ukrainian i
    "\u0458": "j",  # cyrillic small letter je
    "\u043a": "k",  # cyrillic small letter ka
    "\u04cf": "l",  # cyrillic small letter palochka
    "\u043c": "m",  # cyrillic small letter em
    "\u043d": "h",  # cyrillic small letter en
    "\u043e": "o",  # cyrillic small letter o
    "\u0440": "p",  # cyrillic small letter er
    "\u051b": "q",  # cyrillic small letter qa
    "\u0455": "s",  # cyrillic small letter dze
    "\u0442": "t",  # cyrillic small letter te
    "\u0443": "y",  # cyrillic small letter u
    "\u051d": "w",  # cyrillic small letter we
    "\u0445": "x",  # cyrillic small letter ha
    "\u0461": "w",  # cyrillic small letter omega
    "\u04af": "y",  # cyrillic small letter straight u
    "\u03b1": "a",  # greek small letter alpha
    "\u03b5": "e",  # greek small letter epsilon
    "\u03b9": "i",  # greek small letter iota
    "\u03ba": "k",  # greek small letter kappa
    "\u03bd": "v",  # greek small letter nu
    "\u03bf": "o",  # greek small letter omicron
    "\u03c1": "p",  # greek small letter rho
    "\u03c4": "t",  # greek small letter tau
    "\u03c5": "u",  # greek small letter upsilon
    "\u03c7": "x",  # greek small letter chi
})

# Single characters misread for one another in a typical URL or terminal font. `I` is
# covered too: keys are lower case, and `i` maps to `l`.
_CHARACTERS = str.maketrans({"1": "l", "i": "l", "0": "o"})

# Letter pairs that read as one letter (`rn` as `m`). They apply after the single
# characters, so `c1`, `ci` and `cI` count as `cl`, hence `d`. Measured on the popular
# names (bench/lookalike_names.py): these merge one honest pair of them (`oci`/`od`);
# `ri`->`n` and `ii`->`u` would refuse many honest names (`yan` beside `yarl`, `pydub`
# beside `pydlib`) for little gain, so they are left out.
SEQUENCES: tuple[tuple[str, str], ...] = (
    ("rn", "m"),
    ("cl", "d"),
    ("vv", "w"),
    ("nn", "m"),
    ("uu", "w"),
)


def _fold(text: str, sequences: tuple[tuple[str, str], ...]) -> str:
    # Until none is left, so the key of a key is itself (`rnrn` and `mm` both give `mm`).
    while True:
        folded = text
        for sequence, letter in sequences:
            folded = folded.replace(sequence, letter)
        if folded == text:
            return folded
        text = folded


def lookalike_key(name: str, *, sequences: tuple[tuple[str, str], ...] = SEQUENCES) -> str:
    """The key shared by names that differ only in ways people misread: case, separators,
    compatibility forms (fullwidth letters), homoglyphs from other scripts, the single
    characters of `_CHARACTERS` and the letter pairs of `sequences` (the benchmark passes
    others to measure them)."""
    text = unicodedata.normalize("NFKC", name).lower().translate(_HOMOGLYPHS)
    return _fold(_SEPARATORS_RE.sub("", text).translate(_CHARACTERS), sequences)
