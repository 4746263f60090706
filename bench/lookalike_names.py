#!/usr/bin/env python
"""Look-alike names: how the confusable key behaves on the most downloaded projects.

    .venv/bin/python bench/lookalike_names.py --generate /path/to/pypi.tsv
    .venv/bin/python bench/lookalike_names.py [--out bench/results/<name>.md]

`--generate` writes bench/data/popular-15000.txt from a TSV with the columns name, version,
month, rank_among_15000_most_downloaded, summary (the rank empty for the other projects):
the ranked names, PEP 503-normalized, most downloaded first.

The default run reads that file and reports, for the key before the multi-character rules
("old") and for `warden.lib.lookalike.lookalike_key` ("new"):
- honest collisions: pairs of distinct popular names with the same key. The index refuses a
  NEW name whose key is taken, so each such pair means one of the two could not have been
  registered beside the other;
- attack spellings caught: for each of the most downloaded names, every single substitution
  of a look-alike (`m`->`rn`, `d`->`cl`, `l`->`1` ...) at each place it applies; caught
  means it has the same key as the name it imitates;
- for each candidate letter-pair rule alone (on top of the single characters), the honest
  pairs it adds and the attack spellings it catches: how the rules were chosen;
- with `--others TSV` (the same package list), also how many of all the other names in it
  collide with a popular name under each rule: names (typosquats and honest ones alike)
  that the rule would refuse on an index holding the popular projects.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from warden.lib import lookalike  # noqa: E402

POPULAR = ROOT / "bench" / "data" / "popular-15000.txt"
ATTACKED = 500  # the most downloaded names that attack spellings are made of

# (what is replaced, what replaces it): one look-alike substitution.
SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    ("m", "rn"), ("d", "cl"), ("w", "vv"),
    ("l", "1"), ("l", "i"), ("i", "l"), ("i", "1"), ("o", "0"),
    # Weaker look-alikes in common fonts, measured to show what the rules leave out.
    ("m", "nn"), ("n", "ri"), ("w", "uu"), ("u", "ii"), ("a", "ci"),
)

# Letter pairs considered for `lookalike.SEQUENCES`, each measured on its own.
# They apply to keys, where `i` and `1` are already `l`: so `rl` stands for `ri` and `ll`
# for `ii`, and `ci` is already `cl` (hence `d`).
CANDIDATE_SEQUENCES: tuple[tuple[str, str], ...] = (
    ("rn", "m"), ("cl", "d"), ("vv", "w"), ("nn", "m"), ("uu", "w"), ("rl", "n"), ("ll", "u"),
)

_SEPARATORS_RE = re.compile(r"[-_.]+")
_OLD_CHARACTERS = str.maketrans({"1": "l", "i": "l", "0": "o", "-": None})


def normalize(name: str) -> str:
    """PEP 503."""
    return _SEPARATORS_RE.sub("-", name).lower()


def old_key(name: str) -> str:
    """`name_confusable_key` before the letter-pair rules (warden at 2487d02)."""
    return normalize(name).translate(_OLD_CHARACTERS)


def single_only_key(name: str) -> str:
    """The new key without any letter-pair rule: the base each candidate is measured on."""
    return lookalike.lookalike_key(name, sequences=())


def cause(group: list[str]) -> str:
    """Why the names of a group share a key: the first rule that merges them."""
    if len({name.replace("-", "") for name in group}) == 1:
        return "separators"
    if len({old_key(name) for name in group}) == 1:
        return "characters"
    return "letter pairs"


def sequence_key(sequence: tuple[str, str]) -> Callable[[str], str]:
    """The key with the single characters and this one letter-pair rule."""
    def key(name: str) -> str:
        return lookalike.lookalike_key(name, sequences=(sequence,))
    return key


def generate(tsv: Path, out: Path) -> int:
    ranked: list[tuple[int, str]] = []
    with tsv.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            rank = (row.get("rank_among_15000_most_downloaded") or "").strip()
            if rank:
                ranked.append((int(rank), normalize(row["name"])))
    ranked.sort()
    names = list(dict.fromkeys(name for _, name in ranked))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        f"# The {len(names)} most downloaded projects of the public index, most downloaded\n"
        "# first, PEP 503-normalized: the ranked rows (rank_among_15000_most_downloaded) of\n"
        f"# the package list {tsv.name} (name, version, month, rank, summary).\n"
        "# Generated data: regenerate with\n"
        f"#   .venv/bin/python bench/lookalike_names.py --generate {tsv.name}\n"
        + "".join(f"{name}\n" for name in names), encoding="utf-8")
    return len(names)


def read_popular(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def collisions(names: Iterable[str], key: Callable[[str], str]) -> list[list[str]]:
    """Groups of two or more names sharing a key, in the order of the first name's rank."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in names:
        groups[key(name)].append(name)
    return [group for group in groups.values() if len(group) > 1]


def pair_count(groups: list[list[str]]) -> int:
    return sum(len(group) * (len(group) - 1) // 2 for group in groups)


def attack_spellings(names: list[str], popular: set[str]) -> list[tuple[str, str, str]]:
    """(substitution, spelling, imitated name) for every single look-alike substitution in
    `names`; spellings that are themselves popular names are honest, not attacks."""
    spellings = []
    for name in names:
        for old, new in SUBSTITUTIONS:
            start = name.find(old)
            while start != -1:
                spelling = name[:start] + new + name[start + len(old):]
                if spelling not in popular:
                    spellings.append((f"{old}->{new}", spelling, name))
                start = name.find(old, start + 1)
    return spellings


def caught(spellings: list[tuple[str, str, str]], key: Callable[[str], str]
           ) -> dict[str, tuple[int, int]]:
    """Per substitution: (caught, total)."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for substitution, spelling, name in spellings:
        tally[substitution][1] += 1
        if key(spelling) == key(name):
            tally[substitution][0] += 1
    return {substitution: (hit, total) for substitution, (hit, total) in tally.items()}


def _rank(names: list[str]) -> dict[str, int]:
    return {name: index + 1 for index, name in enumerate(names)}


def read_others(tsv: Path, popular: set[str]) -> set[str]:
    with tsv.open(encoding="utf-8") as handle:
        next(handle)  # the header
        names = {normalize(line.split("\t", 1)[0]) for line in handle}
    return names - popular


def refused_others(names: list[str], others: set[str], key: Callable[[str], str],
                   base: Callable[[str], str]) -> list[tuple[str, str]]:
    """(other name, popular name) pairs with the same `key` but not the same `base` key."""
    by_key = {}
    for name in reversed(names):  # the most downloaded name wins a shared key
        by_key[key(name)] = name
    base_keys = {base(name) for name in names}
    return sorted((other, by_key[key(other)]) for other in others
                  if key(other) in by_key and base(other) not in base_keys)


def report(names: list[str], source: Path, others: set[str] | None = None) -> str:
    popular = set(names)
    rank = _rank(names)
    spellings = attack_spellings(names[:ATTACKED], popular)
    keys = {"old": old_key, "new": lookalike.lookalike_key}
    groups = {label: collisions(names, key) for label, key in keys.items()}
    tallies = {label: caught(spellings, key) for label, key in keys.items()}
    lines = [
        f"# Look-alike names on the {len(names)} most downloaded projects",
        "",
        f"Run on {dt.date.today().isoformat()} with `.venv/bin/python bench/lookalike_names.py"
        + (" --others <package list>" if others is not None else "")
        + f"` on `{source.relative_to(ROOT) if source.is_relative_to(ROOT) else source}`.",
        "**old**: case, separators and `1`/`i`->`l`, `0`->`o` (until 2026-12-03). "
        "**new**: `warden.lib.lookalike.lookalike_key`, which adds the letter pairs "
        + ", ".join(f"`{a}`->`{b}`" for a, b in lookalike.SEQUENCES) + ".",
        "",
        "| key | honest pairs (distinct popular names, same key) | attack spellings caught |",
        "|---|---|---|",
    ]
    for label in keys:
        hit = sum(h for h, _ in tallies[label].values())
        total = sum(t for _, t in tallies[label].values())
        lines.append(f"| {label} | {pair_count(groups[label])} | {hit} of {total}"
                     f" ({100 * hit / total:.1f}%) |")
    lines += ["", f"## Attack spellings caught, by substitution (top {ATTACKED} names)", "",
              "| substitution | spellings | old | new |", "|---|---|---|---|"]
    for substitution, _ in tallies["new"].items():
        old_hit, total = tallies["old"][substitution]
        new_hit, _ = tallies["new"][substitution]
        lines.append(f"| `{substitution}` | {total} | {old_hit} | {new_hit} |")
    lines += ["", "## Candidate letter-pair rules, each alone on top of the single characters",
              "", "| rule | honest pairs added | attack spellings caught (of all) | examples of "
              "honest pairs added |", "|---|---|---|---|"]
    base_groups = collisions(names, single_only_key)
    base_pairs = {frozenset(pair) for group in base_groups
                  for pair in itertools.combinations(group, 2)}
    for sequence in CANDIDATE_SEQUENCES:
        key = sequence_key(sequence)
        added = sorted(({frozenset(pair) for group in collisions(names, key)
                         for pair in itertools.combinations(group, 2)} - base_pairs),
                       key=lambda pair: min(rank[name] for name in pair))
        hit = sum(h for h, _ in caught(spellings, key).values())
        examples = ", ".join(" / ".join(sorted(pair, key=rank.__getitem__))
                             for pair in added[:6])
        lines.append(f"| `{sequence[0]}`->`{sequence[1]}` | {len(added)} | {hit} of "
                     f"{len(spellings)} | {examples} |")
    if others is not None:
        lines += ["", f"## The other {len(others)} names of the package list",
                  "", "Names outside the popular ones whose key, under the rule, equals a popular"
                  " name's key while it did not under the rule it adds to: what the rule would"
                  " refuse on an index that holds the popular projects. Typosquats and honest"
                  " names alike; the first ones, alphabetically, as examples.", "",
                  "| rule | names refused | examples (name / popular name) |", "|---|---|---|"]
        measured: list[tuple[str, Callable[[str], str], Callable[[str], str]]] = [
            ("new key vs old key", lookalike.lookalike_key, old_key)] + [
            (f"`{a}`->`{b}` alone", sequence_key((a, b)), single_only_key)
            for a, b in CANDIDATE_SEQUENCES]
        for label, rule_key, base in measured:
            refused = refused_others(names, others, rule_key, base)
            lines.append(f"| {label} | {len(refused)} | "
                         + ", ".join(f"{a} / {b}" for a, b in refused[:10]) + " |")
    lines += [
        "", "## Reading the honest collisions", "",
        "The index refuses only a NEW name whose key an existing project (or a prohibited name)"
        " already has. Popular pairs below both exist on the public index; on a Warden index"
        " holding both (an import or a mirror's local copy, say) both keep working, and"
        " migration 0007 leaves each its key, but whichever of the two came second could not"
        " have been registered beside the first. By cause:",
        "- *separators*: the same words with and without `-`/`_`/`.` (`gitpython`,"
        " `git-python`). PEP 503 keeps them apart; readers do not, which is why the key"
        " merged them before this change. Several are aliases or placeholders of one"
        " project (`django-rest-framework` is an \"alias.\" of `djangorestframework`).",
        "- *characters*: `1`/`i`/`l` or `0`/`o` (`pytest-mpl`, `pytest-mpi`), also before.",
        "- *letter pairs*: merged by the new rule (`oci`, `od`: `ci` reads as `cl`, hence"
        " `d`).",
    ]
    for label in keys:
        lines += ["", f"## Honest collisions, {label} key ({pair_count(groups[label])} pairs)",
                  "", "Names sharing a key, with their rank (1 = most downloaded) and the rule"
                  " that merges them.", ""]
        key_of = keys[label]
        lines += [f"- `{key_of(group[0])}` ({cause(group)}): "
                  + ", ".join(f"{name} ({rank[name]})" for name in group)
                  for group in groups[label]]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate", metavar="TSV", type=Path,
                        help="write bench/data/popular-15000.txt from this package list")
    parser.add_argument("--popular", type=Path, default=POPULAR)
    parser.add_argument("--others", metavar="TSV", type=Path,
                        help="also measure the rules on the other names of this package list")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "bench" / "results"
                        / f"{dt.date.today().isoformat()}-lookalike.md")
    args = parser.parse_args()
    if args.generate:
        count = generate(args.generate, args.popular)
        print(f"wrote {count} names to {args.popular}")
        return 0
    names = read_popular(args.popular)
    others = read_others(args.others, set(names)) if args.others else None
    text = report(names, args.popular, others)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
