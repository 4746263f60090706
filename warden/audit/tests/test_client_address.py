"""Which address is the client's: what every per-address limit counts and every event
records. A client must not be able to choose it by sending X-Forwarded-For."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.test import RequestFactory

from warden.audit.client import client_ip

PROXY = "10.0.0.5"


def request(peer: str, forwarded: str | None = None) -> Any:
    meta = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.fixture
def behind_proxy(settings: Any) -> None:
    settings.WARDEN_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24"),
                                       ipaddress.ip_network("fd00::/8")]


def test_without_trusted_proxies_a_forged_header_is_ignored(settings: Any) -> None:
    settings.WARDEN_TRUSTED_PROXIES = []
    assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_forwarded_client_is_used(behind_proxy: None) -> None:
    assert client_ip(request(PROXY, "203.0.113.9")) == "203.0.113.9"


def test_a_client_cannot_prepend_an_address_of_its_choosing(behind_proxy: None) -> None:
    # The client sent "X-Forwarded-For: 198.51.100.1"; the proxy appended the real address.
    assert client_ip(request(PROXY, "198.51.100.1, 203.0.113.9")) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(behind_proxy: None) -> None:
    assert client_ip(request(PROXY, "203.0.113.9, fd00::7, 10.0.0.9")) == "203.0.113.9"


def test_a_request_not_from_a_trusted_proxy_cannot_claim_an_address(behind_proxy: None) -> None:
    assert client_ip(request("203.0.113.9", "10.0.0.1")) == "203.0.113.9"


def test_a_garbled_header_falls_back_to_the_proxy_not_to_a_guess(behind_proxy: None) -> None:
    assert client_ip(request(PROXY, "203.0.113.9, not-an-address")) == PROXY
    assert client_ip(request(PROXY, "")) == PROXY
