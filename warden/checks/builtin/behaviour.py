"""Judging what code does when nobody asked it to: the rules shared by the install-time and
import-time checks.

Each rule is a behaviour malware needs and a build step or a library's import does not:
- run code it decoded from a blob it carries, or fetched;
- start a process that fetches, decodes or hides a second stage (curl, powershell, ...);
- collect who and where the host is (user, host name, all environment variables, credential
  stores) and reach the network in the same file: the dependency-confusion "ping home";
- reach the network or start a downloaded file at all, which is merely suspicious.
Using subprocess for a compiler or git, or HTTP in a function that callers call, is not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from warden.checks.base import CLEAN, Classification, Evidence, Verdict
from warden.checks.builtin import patterns
from warden.checks.builtin.common import Facts, Finding, evidence, text_evidence, verdict
from warden.checks.builtin.pyast import INSTALL, RUNTIME

MALICIOUS, SUSPICIOUS = Classification.MALICIOUS, Classification.SUSPICIOUS

# Files that ship with an sdist but are neither installed nor imported by the package:
# documentation builders, examples, test helpers, release scripts.
AUX = re.compile(r"(?:^|/)(?:docs?|examples?|tests?|testing|benchmarks?|scripts|tools|ci"
                 r"|\.github)/")


def is_aux(member: str) -> bool:
    return bool(AUX.search(member.split("/", 1)[-1] if "/" in member else member))


@dataclass
class Rule:
    classification: Classification
    confidence: float
    message: str
    evidence: list[Evidence]


def judge(facts: Facts, contexts: set[str], *, when: str, sure: float,
          members: Iterable[str] | None = None, on_use: bool = False) -> Verdict:
    """The worst rule that fires for the code of `facts` running in `contexts`; `when`
    words the messages ("at install"), `sure` scales the confidences. With `on_use`, the
    package's functions that run only when called (an entry point, an API) are judged too,
    by the rules no library needs (`_on_use_rules`)."""
    wanted = set(members) if members is not None else None
    by_member: dict[str, list[Finding]] = {}
    later: dict[str, list[Finding]] = {}
    for finding in facts.findings:
        if wanted is not None and finding.member not in wanted:
            continue
        if finding.fact.context in contexts:
            by_member.setdefault(finding.member, []).append(finding)
        elif on_use and finding.fact.context == RUNTIME and not is_aux(finding.member):
            later.setdefault(finding.member, []).append(finding)
    fired: list[Rule] = []
    for member, findings in by_member.items():
        fired += _member_rules(facts, member, findings, when=when, sure=sure)
    for member, findings in later.items():
        fired += _on_use_rules(facts, member, findings)
    if not fired:
        return CLEAN
    fired.sort(key=lambda r: (r.classification.rank, r.confidence), reverse=True)
    worst = fired[0]
    found = [e for r in fired for e in r.evidence]
    return verdict(worst.classification, worst.confidence, worst.message, found)


def _member_rules(facts: Facts, member: str, findings: list[Finding], *, when: str,
                  sure: float) -> list[Rule]:
    text = facts.sources.get(member, "")
    aux = is_aux(member)
    scale = sure * (0.75 if aux else 1.0)   # a script beside the package runs only if run

    def of(kind: str, bad: bool | None = None) -> list[Finding]:
        return [f for f in findings if f.fact.kind == kind and (bad is None or f.fact.bad == bad)]

    def ev(items: list[Finding], rule: str) -> list[Evidence]:
        return [evidence(facts, f, rule) for f in items[:4]]

    rules: list[Rule] = []
    runs = of("exec", bad=True)
    if runs:
        how = "downloads" if any(f.fact.detail == "remote" for f in runs) else "decodes"
        rules.append(Rule(MALICIOUS, 0.97 * scale, f"{_short(member)} {how} code and runs it "
                          f"{when}", ev(runs, "exec-hidden-code")))
    spawns = of("process", bad=True)
    if spawns:
        rules.append(Rule(MALICIOUS, 0.95 * scale, f"{_short(member)} starts a command that "
                          f"fetches, decodes or hides a program {when}",
                          ev(spawns, "process-second-stage")))
    drops = of("drop")
    if drops and of("process"):
        rules.append(Rule(MALICIOUS, 0.93 * scale, f"{_short(member)} writes out decoded or "
                          f"downloaded content and starts a process {when}",
                          ev(drops, "drop-and-run") + ev(of("process"), "process")))
    elif drops and not aux:
        # No build step or import writes out a blob it decoded or downloaded (setup.py
        # appending hidden text to ~/.profile, a module dropping a script to run later).
        rules.append(Rule(SUSPICIOUS, 0.7 * scale, f"{_short(member)} writes out decoded or "
                          f"downloaded content {when}", ev(drops, "drop")))
    network = of("network")
    collects = ev(of("hostinfo"), "host-info")
    if network:
        # What the code collects matters only if it can leave; the two searches are the
        # costliest part of a scan (case-insensitive alternations over whole files).
        dump = patterns.ENVIRON_DUMP.search(text)
        if dump:
            collects.append(text_evidence(member, text, dump.start(), "environment-dump"))
        secret = patterns.SECRETS.search(text)
        if secret:
            collects.append(text_evidence(member, text, secret.start(), "credential-store"))
    if network and collects:
        rules.append(Rule(MALICIOUS, 0.95 * scale, f"{_short(member)} collects information "
                          f"about the machine and reaches the network {when}",
                          ev(network, "network") + collects[:4]))
    elif network and of("process"):
        rules.append(Rule(MALICIOUS, 0.9 * scale, f"{_short(member)} reaches the network and "
                          f"starts a process {when}", ev(network, "network")
                          + ev(of("process"), "process")))
    elif any(f.fact.bad for f in network) and not aux:
        rules.append(Rule(SUSPICIOUS, 0.75 * scale, f"{_short(member)} connects to a "
                          f"hard-coded address {when}",
                          ev([f for f in network if f.fact.bad], "network-fixed-address")))
    elif network and INSTALL in {f.fact.context for f in network}:
        rules.append(Rule(SUSPICIOUS, 0.6 * scale, f"{_short(member)} reaches the network "
                          f"{when}", ev(network, "network")))
    acts = of("process") or network or of("exec")
    autostart = patterns.AUTOSTART.search(text) if acts else None
    if autostart:
        rules.append(Rule(MALICIOUS, 0.9 * scale, f"{_short(member)} writes to a location "
                          f"that starts programs at log-in, {when}",
                          [text_evidence(member, text, autostart.start(), "autostart")]))
    return rules


# Who the host is, not what it is: what a "ping home" sends (platform.system() picks a
# download, it identifies nobody).
IDENTITY = frozenset({"socket.gethostname", "socket.getfqdn", "getpass.getuser", "os.getlogin",
                      "platform.node", "platform.uname", "os.uname", "uuid.getnode",
                      "pwd.getpwuid"})


def _on_use_rules(facts: Facts, member: str, findings: list[Finding]) -> list[Rule]:
    """Code of a package module that runs only when called (a console script, a function the
    victim was told to call). Libraries download, spawn and send there all the time, so only
    what no library needs counts: starting a program it just downloaded, a command that
    fetches and runs a second stage, and sending who the host is to a fixed address."""

    def of(kind: str) -> list[Finding]:
        return [f for f in findings if f.fact.kind == kind]

    def ev(items: list[Finding], rule: str) -> list[Evidence]:
        return [evidence(facts, f, rule) for f in items[:4]]

    rules: list[Rule] = []
    name = _short(member)
    drops = [f for f in of("drop") if f.fact.detail == "remote"]
    if drops and of("process"):
        rules.append(Rule(MALICIOUS, 0.92, f"{name} downloads a file and starts a process "
                          "when its code is called", ev(drops, "download-and-run")
                          + ev(of("process"), "process")))
    fetch_run = [f for f in of("process") if patterns.FETCH_RUN.search(f.fact.detail)]
    if fetch_run:
        rules.append(Rule(MALICIOUS, 0.92, f"{name} starts a command that downloads and runs "
                          "a program when its code is called", ev(fetch_run, "fetch-and-run")))
    sends = [f for f in of("network") if f.fact.bad]
    who = ev([f for f in of("hostinfo") if f.fact.detail in IDENTITY], "host-identity")
    if sends and not who:
        text = facts.sources.get(member, "")
        secret = patterns.SECRETS.search(text) or patterns.ENVIRON_DUMP.search(text)
        if secret:
            who.append(text_evidence(member, text, secret.start(), "credential-store"))
    if sends and who:
        rules.append(Rule(SUSPICIOUS, 0.75, f"{name} sends who the host is (or its secrets) "
                          "to a fixed address when its code is called",
                          ev(sends, "network-fixed-address") + who))
    return rules


def _short(member: str) -> str:
    return member.rsplit("/", 1)[-1] if member.count("/") > 2 else member


def worst(*verdicts: Verdict) -> Verdict:
    return max(verdicts, key=lambda v: (v.classification.rank, v.confidence))
