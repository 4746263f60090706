"""Where stolen data goes: chat webhooks and bot APIs with their tokens, out-of-band testing
and DNS-logging hosts, paste and throwaway file hosts, tunnels, and bare public IP
addresses, named in code (not in a README)."""

from __future__ import annotations

import re
from typing import ClassVar

from warden.checks.base import CLEAN, Artifact, Check, Classification, Evidence, State, Verdict
from warden.checks.builtin import patterns
from warden.checks.builtin.behaviour import is_aux
from warden.checks.builtin.common import archive_facts, text_evidence, verdict

# Python files are read from the shared reading (those that name anything risky: a file that
# sends data out does); scripts in other languages are read here.
SCRIPTS = (".sh", ".bat", ".cmd", ".ps1", ".vbs")
# Cheap, case-sensitive: a file naming none of these cannot match a rule below.
MAYBE = ("webhooks", ":AA", "oast", "burpcollab", "interact.sh", "dnslog", "ceye",
         "canarytoken", "pipedream", "webhook.site", "requestbin", "bxss", "hooks.slack",
         "discordapp", "paste", "hastebin", "rentry", "ghostbin", "transfer.sh", "file.io",
         "anonfiles", "gofile", "0x0.st", "termbin", "ngrok", "trycloudflare", "serveo",
         "localtunnel", "requestcatcher", "beeceptor", "ipinfo", "ipify", "ifconfig.me",
         "icanhazip", "ip-api", "checkip", "://1", "://2", "://3", "://4", "://5", "://6",
         "://7", "://8", "://9")


# Hosts that exist to receive what a probe sends out: a package naming them phones home.
OUT_OF_BAND = re.compile(r"oastify\.com|burpcollaborator\.net|interact\.sh|oast\.(?:pro|live|"
                         r"site|online|fun|me)|dnslog\.(?:cn|link)|ceye\.io|canarytokens\."
                         r"|pipedream\.net|webhook\.site|requestbin\.|bxss\.me",
                         re.IGNORECASE)


class Exfiltration(Check):
    name = "exfiltration-channel"
    version = 2
    summary = "webhooks, bot tokens, out-of-band hosts, paste sites, raw IPs in code"
    description = (
        "Finds, in the package's code, the places stolen data is sent to: Discord webhooks "
        "and Telegram bot tokens, out-of-band testing hosts (Burp Collaborator, interactsh, "
        "dnslog, canarytokens, pipedream), paste and throwaway file hosts, tunnels, IP "
        "lookup services and URLs to bare public IP addresses. A channel named in code that "
        "also reaches the network is malicious; a channel alone is suspicious.")
    default_state: ClassVar[State] = State.ENABLED
    time_limit = 20.0

    def scan(self, artifact: Artifact) -> Verdict:
        archive = artifact.archive
        facts = archive_facts(archive)
        # Files whose code reaches the network when installed or imported.
        talks = {f.member for f in facts.findings
                 if f.fact.kind == "network" and f.fact.context != "runtime"}
        found: list[tuple[Classification, float, str, Evidence]] = []
        texts = [*facts.sources.items(), *archive.texts(SCRIPTS)]
        for member, text in texts:
            if patterns.names_any(text, MAYBE):
                found += _rules(member, text, member in talks)
        if not found:
            return CLEAN
        found.sort(key=lambda f: (f[0].rank, f[1]), reverse=True)
        return verdict(found[0][0], found[0][1], found[0][2], [f[3] for f in found])


def _rules(member: str, text: str, talks: bool) -> list[tuple[Classification, float, str,
                                                              Evidence]]:
    aux = is_aux(member)
    scale = 0.8 if aux else 1.0
    rules = []
    for pattern, rule, sure in ((patterns.DISCORD_WEBHOOK, "discord-webhook", 0.93),
                                (patterns.TELEGRAM_TOKEN, "telegram-bot-token", 0.9),
                                (OUT_OF_BAND, "out-of-band-host", 0.92)):
        if match := pattern.search(text):
            rules.append((Classification.MALICIOUS, sure * scale,
                          f"{member} names an exfiltration channel ({rule})",
                          text_evidence(member, text, match.start(), rule)))
    # Paste sites, tunnels, IP lookups and bare addresses have honest uses (clients, test
    # fixtures, documentation): they count when the same file phones out on load.
    if aux:
        return rules
    if match := patterns.EXFIL_HOSTS.search(text):
        kind = Classification.MALICIOUS if talks else Classification.SUSPICIOUS
        rules.append((kind, 0.88 if talks else 0.6,
                      f"{member} names a paste, tunnel, webhook or lookup host",
                      text_evidence(member, text, match.start(), "exfiltration-host")))
    for match in patterns.RAW_IP_URL.finditer(text):
        if talks and patterns.raw_ip_is_public(match):
            rules.append((Classification.MALICIOUS, 0.85, f"{member} reaches a bare public IP "
                          "address when installed or imported",
                          text_evidence(member, text, match.start(), "raw-ip-url")))
            break
    return rules
