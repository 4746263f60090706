"""What an event may say about the client: a keyed hash and the network prefix of its
address, and the tool it identified itself as."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re

from django.conf import settings
from django.http import HttpRequest

# Installers and uploaders first: their names lead their User-Agent strings.
_TOOLS = re.compile(r"^(twine|pip|uv|poetry|hatch|flit|pdm|python-requests|curl)/(\S+)", re.I)
_BROWSERS = [
    ("Edge", re.compile(r"Edg/(\d+)")),
    ("Firefox", re.compile(r"Firefox/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|Chromium)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[\d.]* .*Safari/")),
]


def _ip_key() -> bytes:
    # Derived, not stored: a copy of the database alone cannot test guesses of addresses.
    return hmac.new(settings.SECRET_KEY.encode(), b"warden-audit-ip", hashlib.sha256).digest()


def _trusted(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in settings.WARDEN_TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str:
    """The client's address: what every per-address limit counts and every event records.

    The peer's address, unless the peer is one of WARDEN_TRUSTED_PROXIES: then the nearest
    address in X-Forwarded-For that is not a trusted proxy. Read from the right, because
    anything to the left of the last trusted hop was written by the client and can be a lie
    (a client sending `X-Forwarded-For: 1.2.3.4` must not become 1.2.3.4)."""
    peer = str(request.META.get("REMOTE_ADDR", "") or "")
    if not _trusted(peer):
        return peer
    hops = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    for hop in reversed([h.strip() for h in hops if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # a garbled chain: trust nothing further left
        if not _trusted(hop):
            return hop
    return peer


def ip_hash(address: str) -> str:
    if not address:
        return ""
    return hmac.new(_ip_key(), address.encode(), hashlib.sha256).hexdigest()


def ip_prefix(address: str) -> str:
    """203.0.113.7 -> 203.0.113.0/24; 2001:db8:1:2::7 -> 2001:db8:1::/48."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return ""
    length = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network(f"{parsed}/{length}", strict=False))


def user_agent_describe(header: str) -> str:
    """'twine/7.0.0 CPython/3.11' -> 'twine 7.0.0'; a browser -> 'Firefox 140'."""
    header = header.strip()
    if not header:
        return ""
    tool = _TOOLS.match(header)
    if tool:
        return f"{tool.group(1).lower()} {tool.group(2)}"[:200]
    for name, pattern in _BROWSERS:
        found = pattern.search(header)
        if found:
            return f"{name} {found.group(1)}"
    return header.split(" ", 1)[0][:200]
