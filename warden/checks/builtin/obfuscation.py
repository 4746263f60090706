"""Code hidden from the reader: blobs decoded and run, exec handed around under other names,
commands spelled in hex, obfuscator fingerprints. Packers and minifiers exist for honest
reasons, so a blob or a marker alone only makes a file suspicious; hiding code *and* running
it is what malware does."""

from __future__ import annotations

import re
from typing import ClassVar

from warden.checks.base import CLEAN, Artifact, Check, Classification, Evidence, State, Verdict
from warden.checks.builtin.behaviour import is_aux
from warden.checks.builtin.common import archive_facts, evidence, text_evidence, verdict
from warden.checks.builtin.patterns import names_any

# A string literal of 600 or more base64, hex or escaped-byte characters.
LONG_LITERAL = re.compile(r"""(?:[rbuRBU]{0,2})(["'])(?:[A-Za-z0-9+/=_-]{600,}"""
                          r"""|(?:\\x[0-9a-fA-F]{2}){200,})\1""")
MARKERS = re.compile(r"__obfuscator__|pyobfuscate|__pyarmor__|pyarmor_runtime"
                     r"|PyArmor|BlankOBF|\bpyminifier\b|Specter Obfuscator"
                     r"|_{4,}\s*=\s*eval|Obfuscated by|Anti-Deobfuscation")
# Identifiers made to be unreadable: O0O0O0..., lIlIlI..., _0x1f2e...
MANGLED = re.compile(r"\b(?:[O0]{8,}|[lI1]{8,}|_0x[0-9a-f]{4,})\b")
# A web address spelled so that nobody reading (or searching) the code sees it: a literal that
# is base64 or hex of "http://"/"https://", or the address written backwards.
HIDDEN_URL = re.compile(r"""["'](?:aHR0cDovL|aHR0cHM6Ly|687474703a2f2f|68747470733a2f2f)"""
                        r"""[A-Za-z0-9+/=]*["']|["'][^"'\n]{0,300}//:s?ptth["']""",
                        re.IGNORECASE)
# Code pushed past the right edge of the screen: a statement, then a long run of blanks,
# then more code (`x = 1<200 spaces>;import os;os.system(...)`).
PAST_EDGE = re.compile(r"\S[ \t]{150,}([^\s#][^\n]*)")
_PAST_EDGE_HINT = " " * 150
RUNS_TEXT = re.compile(r"\b(?:exec|eval|system|popen|Popen|__import__|import)\b")
_HIDDEN_URL_HINT = ("aHR0c", "68747470", "6874747", "ptth")
RUNS = re.compile(r"\b(?:exec|eval|compile|marshal\.loads|__import__)\s*\(")


_MANGLED_HINT = ("O0O", "0O0", "OO0", "lIl", "IlI", "_0x")
_MARKER_HINT = ("obfusc", "Obfusc", "Hyperion", "armor", "Armor", "Kramer", "BlankOBF",
                "pyminifier", "Specter", "____")


def _long_literal(text: str) -> re.Match[str] | None:
    """The first long encoded literal, looked for only on long lines (fast)."""
    offset = 0
    for line in text.splitlines(keepends=True):
        if len(line) >= 600 and (match := LONG_LITERAL.search(text, offset, offset + len(line))):
            return match
        offset += len(line)
    return None


class Obfuscation(Check):
    name = "obfuscated-code"
    version = 2
    summary = "decoded blobs that are run, exec under other names, obfuscator fingerprints"
    description = (
        "Looks for code that is hidden and then run: a blob carried in the source (base64, "
        "zlib, marshal, hex, XOR with chr) decoded into exec or eval, commands decoded "
        "before they are started, exec or eval handed around under another name, long "
        "encoded literals next to exec, and the fingerprints of obfuscators (pyarmor, "
        "Hyperion, pyobfuscate...), web addresses spelled in base64, hex or backwards, and "
        "code pushed past the right edge of a line. A long literal or a packer alone is only "
        "suspicious: packed code is not always malicious.")
    default_state: ClassVar[State] = State.ENABLED
    time_limit = 20.0

    def scan(self, artifact: Artifact) -> Verdict:
        facts = archive_facts(artifact.archive)
        found: list[tuple[Classification, float, str, list[Evidence]]] = []
        for finding in facts.findings:
            fact, member = finding.fact, finding.member
            scale = 0.8 if is_aux(member) else 1.0
            if fact.kind == "exec" and fact.bad:
                found.append((Classification.MALICIOUS, 0.93 * scale,
                              f"{member} decodes a blob it carries (or downloads code) and "
                              "runs it", [evidence(facts, finding, "exec-hidden-code")]))
            elif fact.kind == "process" and fact.bad and "decoded" in fact.detail:
                found.append((Classification.MALICIOUS, 0.9 * scale,
                              f"{member} decodes a command before starting it",
                              [evidence(facts, finding, "process-hidden-command")]))
            elif fact.kind == "exec-alias" and fact.context != "runtime":
                found.append((Classification.SUSPICIOUS, 0.7 * scale,
                              f"{member} hands exec or eval around under another name",
                              [evidence(facts, finding, "exec-alias")]))
        talks = {f.member for f in facts.findings if f.fact.kind in ("network", "exec")}
        for member, text in facts.sources.items():
            found += _text_rules(member, text)
            if _PAST_EDGE_HINT in text and (edge := PAST_EDGE.search(text)):
                scale = 0.8 if is_aux(member) else 1.0
                kind, sure = ((Classification.MALICIOUS, 0.9) if RUNS_TEXT.search(edge.group(1))
                              else (Classification.SUSPICIOUS, 0.6))
                found.append((kind, sure * scale, f"{member} hides code past the right edge "
                              "of a line", [text_evidence(member, text, edge.start(1),
                                                          "code-past-edge")]))
            if names_any(text, _HIDDEN_URL_HINT) and (hidden := HIDDEN_URL.search(text)):
                scale = 0.8 if is_aux(member) else 1.0
                # A hidden address in code that connects (or runs code) is where it goes.
                kind, sure = ((Classification.MALICIOUS, 0.88) if member in talks else
                              (Classification.SUSPICIOUS, 0.7))
                found.append((kind, sure * scale, f"{member} hides a web address (encoded or "
                              "reversed)", [text_evidence(member, text, hidden.start(),
                                                          "hidden-url")]))
        if not found:
            return CLEAN
        found.sort(key=lambda f: (f[0].rank, f[1]), reverse=True)
        return verdict(found[0][0], found[0][1], found[0][2], [e for f in found for e in f[3]])


def _text_rules(member: str, text: str) -> list[tuple[Classification, float, str,
                                                      list[Evidence]]]:
    rules: list[tuple[Classification, float, str, list[Evidence]]] = []
    blob = _long_literal(text)
    marker = MARKERS.search(text) if names_any(text, _MARKER_HINT) else None
    mangled = MANGLED.findall(text[:200_000]) if names_any(text, _MANGLED_HINT) else []
    runs = RUNS.search(text) if blob or marker or mangled else None
    scale = 0.8 if is_aux(member) else 1.0
    if blob and runs:
        rules.append((Classification.MALICIOUS, 0.9 * scale, f"{member} carries a long encoded "
                      "literal and runs code it builds",
                      [text_evidence(member, text, blob.start(), "long-encoded-literal"),
                       text_evidence(member, text, runs.start(), "runs-code")]))
    if marker:
        sure = 0.85 if runs else 0.6
        kind = Classification.MALICIOUS if runs and sure >= 0.85 and (blob or mangled) else (
            Classification.SUSPICIOUS)
        rules.append((kind, sure * scale, f"{member} bears an obfuscator's fingerprint",
                      [text_evidence(member, text, marker.start(), "obfuscator")]))
    if len(mangled) >= 20 and runs:
        rules.append((Classification.SUSPICIOUS, 0.75 * scale, f"{member} uses mangled "
                      "identifiers and runs code it builds",
                      [text_evidence(member, text, text.find(mangled[0]), "mangled-names")]))
    return rules
