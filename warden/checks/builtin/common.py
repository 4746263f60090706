"""What the built-in checks share: one reading of an archive's code (`archive_facts`, done
once per archive however many checks ask) and the helpers that turn findings into evidence.

Which files are read closely, and why:
- an sdist's `setup.py` (pip runs it to build or install) and any `.pth` file (Python runs
  its `import` lines at every start) are always parsed: their code runs at install;
- other Python files are parsed when they name something risky (`patterns.RISKY`), smallest
  and shallowest first (a package's `__init__.py` before its deep modules), until
  `PARSE_BUDGET` characters: parsing every module of a large library would cost more than the
  screen's time budget, and payloads sit in small files near the top. Past the budget a file
  is still searched for one-line decode-and-run (`lexical.strong_facts`), and its module-level
  lines (they run on import) are read line by line (`lexical.top_level_facts`).
"""

from __future__ import annotations

import posixpath
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

from warden.checks.archive import Archive
from warden.checks.base import Classification, Evidence, Verdict
from warden.checks.builtin import lexical, patterns, pyast
from warden.checks.builtin.pyast import INSTALL, Fact

PARSE_BUDGET = 400_000     # characters of ordinary modules parsed per archive
PARSE_MAX = 1_000_000      # a bigger single file is only searched (a generated table, a blob)
RUNTIME_WALK_MAX = 20_000  # in files this small, code that runs only when called is read too
EXCERPT = 200


@dataclass(frozen=True)
class Finding:
    """A fact where it was found."""

    member: str
    fact: Fact


@dataclass
class Facts:
    sdist: bool
    findings: list[Finding] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)   # member -> text, for excerpts
    install_members: list[str] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)

    def of(self, kind: str, contexts: Iterable[str] | None = None) -> list[Finding]:
        wanted = set(contexts) if contexts is not None else None
        return [f for f in self.findings
                if f.fact.kind == kind and (wanted is None or f.fact.context in wanted)]


_CACHE: weakref.WeakKeyDictionary[Archive, Facts] = weakref.WeakKeyDictionary()


def is_sdist(archive: Archive) -> bool:
    # By the file name, as pip decides: a WHEEL file planted in an sdist must not turn its
    # setup.py into "not install code".
    return not archive.filename.lower().endswith(".whl")


def is_install_file(name: str, sdist: bool) -> bool:
    base = name.rsplit("/", 1)[-1]
    if base.endswith(".pth"):
        return True
    # Normalised first: pip runs `demo-1.0/./setup.py` and `demo-1.0//setup.py` all the same.
    return sdist and base == "setup.py" and posixpath.normpath(name).strip("/").count("/") <= 1


def archive_facts(archive: Archive) -> Facts:
    """The behaviours of the archive's Python code, computed once per archive."""
    cached = _CACHE.get(archive)
    if cached is None:
        cached = _CACHE[archive] = _read(archive)
    return cached


def _read(archive: Archive) -> Facts:
    facts = Facts(sdist=is_sdist(archive))
    candidates = [m for m in archive.members if m.is_file
                  and m.name.lower().endswith((".py", ".pyw", ".pth"))]
    # Install files first, then the smallest, shallowest modules.
    candidates.sort(key=lambda m: (not is_install_file(m.name, facts.sdist),
                                   m.name.count("/"), m.size))
    budget = PARSE_BUDGET
    modules: list[tuple[str, pyast.Module]] = []
    for member in candidates:
        install = is_install_file(member.name, facts.sdist)
        text = archive.text(member.name)
        if text is None:
            continue
        if install:
            facts.install_members.append(member.name)
        elif not patterns.names_any(text, patterns.RISKY):
            continue
        facts.sources[member.name] = text
        if member.name.endswith(".pth"):
            # Only its `import` lines run; the rest are paths.
            text = "\n".join(line if line.startswith(("import ", "import\t")) else ""
                             for line in text.splitlines())
        if not install and len(text) > min(budget, PARSE_MAX):
            # Past the budget: only decode-and-run on one line, and what module-level lines
            # (which run on import) do.
            _add(facts, member.name, lexical.strong_facts(text))
            _add(facts, member.name, lexical.top_level_facts(text))
        else:
            budget -= 0 if install else len(text)
            parsed = pyast.parse(text, install=install)
            if parsed is None:
                facts.unparsed.append(member.name)
                _add(facts, member.name, lexical.line_facts(text, install=install))
            else:
                modules.append((member.name, parsed))
    # A module's load may call functions another module defines (`from .x import f; f()`).
    called = set().union(*(m.called for _, m in modules)) - _COMMON_CALLS
    for name, module in modules:
        module.reach(called)
        if len(facts.sources[name]) <= RUNTIME_WALK_MAX:
            module.rest()
        found = pyast.module_facts(module)
        _add(facts, name, found if found is not None else lexical.line_facts(
            facts.sources[name], install=module.install))
    return facts


# Called on load by many modules; following them everywhere would walk whole libraries.
_COMMON_CALLS = frozenset({"print", "len", "str", "int", "open", "isinstance", "getattr",
                           "setattr", "hasattr", "dict", "list", "set", "tuple", "range",
                           "super", "type", "setup", "main", "object", "property",
                           "staticmethod", "classmethod", "repr", "format", "sorted", "min",
                           "max", "any", "all", "map", "filter", "zip", "enumerate", "bool",
                           "float", "frozenset", "iter", "next", "id", "hash", "vars", "dir",
                           "run", "get", "register", "__import__", "exec", "eval"})


def _add(facts: Facts, member: str, found: Iterable[Fact]) -> None:
    facts.findings.extend(Finding(member, f) for f in found)


def excerpt(text: str, first: int, last: int) -> str:
    lines = text.splitlines()[first - 1:max(last, first)]
    joined = " ".join(line.strip() for line in lines[:3])
    return joined[:EXCERPT] + ("…" if len(joined) > EXCERPT else "")


def evidence(facts: Facts, finding: Finding, rule: str) -> Evidence:
    text = facts.sources.get(finding.member, "")
    fact = finding.fact
    return Evidence(member=finding.member, lines=(fact.line, fact.end), rule=rule,
                    excerpt=excerpt(text, fact.line, fact.end))


def text_evidence(member: str, text: str, start: int, rule: str) -> Evidence:
    """Evidence for a regular-expression match at offset `start` of `text`."""
    number = text.count("\n", 0, start) + 1
    return Evidence(member=member, lines=(number, number), rule=rule,
                    excerpt=excerpt(text, number, number))


def verdict(classification: Classification, confidence: float, message: str,
            found: Iterable[Evidence]) -> Verdict:
    return Verdict(classification, round(min(max(confidence, 0.0), 1.0), 4), message,
                   tuple(found)[:20])


__all__ = ["INSTALL", "Facts", "Finding", "archive_facts", "evidence", "verdict"]
