"""Behaviours of Python source that cannot be parsed (Python 2, deliberately broken) or that
lies past the parsing budget, read line by line with regular expressions.

Coarser than `pyast.py`: the context is guessed from indentation (a line at column 0 runs on
import), and a call's arguments are what the same line shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from warden.checks.builtin import patterns
from warden.checks.builtin.pyast import IMPORT, INSTALL, RUNTIME, Fact

_EXEC = re.compile(r"(?<![\w.])(?:exec|eval)\s*\(|^\s*exec\s+[\w(]")
_DECODED = re.compile(r"b64decode|b32decode|b85decode|decompress|marshal\.loads|fromhex|"
                      r"unhexlify|decrypt|decode\(|\[::-1\]|chr\(")
_REMOTE = re.compile(r"urlopen|requests\.(?:get|post)|urllib\.request")
_PROCESS = re.compile(r"\b(?:os\.system|os\.popen|subprocess\.\w+|Popen|os\.startfile|"
                      r"os\.exec\w+|os\.spawn\w+|ShellExecute\w*)\s*\(")
_NETWORK = re.compile(r"\b(?:urlopen|urlretrieve|requests\.(?:get|post|put|request)|"
                      r"urllib2?\.\w+|socket\.socket|socket\.create_connection|"
                      r"httplib\.HTTPS?Connection|http\.client\.HTTPS?Connection|"
                      r"httpx\.(?:get|post)|gethostbyname)\s*\(")
_HOST = re.compile(r"\b(?:socket\.gethostname|getpass\.getuser|os\.getlogin|platform\.node|"
                   r"os\.uname|platform\.uname|os\.getcwd)\s*\(")
_LITERAL_URL = re.compile(r"[\"'](?:https?|ftp)://|[\"']\d{1,3}(?:\.\d{1,3}){3}[\"']")
# For source past the budget: only what is damning on one line.
STRONG = re.compile(r"(?:exec|eval)\s*\(.{0,200}?(?:b64decode|decompress|marshal\.loads|"
                    r"decrypt|urlopen|requests\.get)")


def line_facts(text: str, *, install: bool) -> Iterator[Fact]:
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > 20_000:
            line = line[:20_000]
        if not patterns.names_any(line, patterns.RISKY) and not _HOST.search(line):
            continue
        where = INSTALL if install else (IMPORT if line[:1] not in (" ", "\t") else RUNTIME)
        if _EXEC.search(line):
            how = ("remote" if _REMOTE.search(line) else
                   "decoded" if _DECODED.search(line) else "dynamic")
            yield Fact("exec", where, number, number, how, bad=how != "dynamic")
        if _PROCESS.search(line):
            yield Fact("process", where, number, number, line.strip()[:300],
                       bad=bool(patterns.BAD_COMMAND.search(line)))
        if _NETWORK.search(line):
            yield Fact("network", where, number, number, line.strip()[:100],
                       bad=bool(_LITERAL_URL.search(line)))
        if _HOST.search(line):
            yield Fact("hostinfo", where, number, number, line.strip()[:100])


def strong_facts(text: str) -> Iterator[Fact]:
    """Decode-or-fetch-then-run on one line, anywhere in a file too big to parse."""
    for match in STRONG.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        if text.count("'", start, match.start()) % 2 or text.count('"', start, match.start()) % 2:
            continue   # inside a string: code a tool sends elsewhere, not code it runs
        number = text.count("\n", 0, match.start()) + 1
        how = "remote" if _REMOTE.search(match.group()) else "decoded"
        yield Fact("exec", RUNTIME, number, number, how, bad=True)


# Calls worth a look on a module-level line of a file too big to parse (plain substrings:
# `str.find` is many times faster than a regular expression over megabytes).
_TOP_TOKENS = ("os.system", "os.popen", "subprocess.", "Popen(", "startfile", "urlopen",
               "urlretrieve", "requests.get", "requests.post", "socket.socket", "exec(", "eval(")


def _top_level_lines(text: str) -> list[int]:
    """Offsets of the column-0 lines that name a `_TOP_TOKENS` call, in order (at most 200)."""
    starts: set[int] = set()
    for token in _TOP_TOKENS:
        at = text.find(token)
        while at >= 0 and len(starts) < 400:
            start = text.rfind("\n", 0, at) + 1
            if text[start:start + 1] not in (" ", "\t", "#", "@", "\"", "'", ">", "") and not (
                    token[0] == "e" and at and (text[at - 1].isalnum() or text[at - 1] in "_.")):
                starts.add(start)
            at = text.find(token, at + len(token))
    return sorted(starts)[:200]


def top_level_facts(text: str) -> Iterator[Fact]:
    """What the module-level lines (column 0: they run on import) of a file too big to parse
    do, read as `line_facts` reads them; a payload appended to a large module sits there."""
    last, number, quotes = 0, 1, [0, 0]
    for start in _top_level_lines(text):
        number += text.count("\n", last, start)
        quotes[0] += text.count('"""', last, start)
        quotes[1] += text.count("'''", last, start)
        last = start
        if quotes[0] % 2 or quotes[1] % 2:
            continue   # inside a docstring: an example, not a statement
        end = text.find("\n", start)
        for fact in line_facts(text[start:end if end >= 0 else len(text)], install=False):
            if fact.context != RUNTIME:
                yield Fact(fact.kind, fact.context, number, number, fact.detail, fact.bad)
