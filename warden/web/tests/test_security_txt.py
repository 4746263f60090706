"""`/.well-known/security.txt` (RFC 9116): served as plain text with the configured contact,
a future expiry and its own canonical address; not served at all without a contact."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

URL = "/.well-known/security.txt"
CONTACTS = ["mailto:security@example.invalid", "https://example.invalid/report"]


def fields(text: str) -> list[tuple[str, str]]:
    """The `Name: value` lines of a security.txt, in order (RFC 9116 section 4)."""
    found = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, sep, value = line.partition(": ")
            assert sep, f"not a field: {line!r}"
            found.append((name, value))
    return found


@pytest.fixture
def configured(settings: Any) -> Any:
    settings.WARDEN_SECURITY_CONTACT = CONTACTS
    settings.WARDEN_SECURITY_POLICY = "https://example.invalid/security-policy"
    return settings


def test_security_txt_lists_the_contacts_as_plain_utf8_text(configured: Any,
                                                            client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    found = fields(response.content.decode())
    assert [value for name, value in found if name == "Contact"] == CONTACTS
    assert ("Policy", "https://example.invalid/security-policy") in found
    assert ("Preferred-Languages", "en, de") in found
    assert ("Canonical", "http://testserver/.well-known/security.txt") in found


def test_security_txt_expires_in_the_future_but_within_a_year(configured: Any,
                                                              client: Client) -> None:
    found = dict(fields(client.get(URL).content.decode()))

    expires = datetime.strptime(found["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    now = datetime.now(UTC)
    # RFC 9116 2.5.5: required, and recommended less than a year ahead.
    assert now + timedelta(days=300) < expires < now + timedelta(days=365)


def test_security_txt_names_each_field_once_except_contact(configured: Any,
                                                           client: Client) -> None:
    names = [name for name, _value in fields(client.get(URL).content.decode())]

    assert names.count("Expires") == 1 and names.count("Canonical") == 1
    assert names.count("Preferred-Languages") == 1


def test_without_a_configured_contact_there_is_no_security_txt(settings: Any,
                                                               client: Client) -> None:
    settings.WARDEN_SECURITY_CONTACT = []

    assert client.get(URL).status_code == 404


def test_security_txt_has_no_policy_line_unless_one_is_configured(configured: Any,
                                                                  client: Client) -> None:
    configured.WARDEN_SECURITY_POLICY = ""

    names = [name for name, _value in fields(client.get(URL).content.decode())]

    assert "Policy" not in names and "Contact" in names


def test_a_contact_that_is_not_a_uri_stops_the_server_from_starting(tmp_path: Any) -> None:
    # A bare address would be served as a Contact no client can use.
    env = {**os.environ, "WARDEN_DATA_DIR": str(tmp_path),
           "WARDEN_SECURITY_CONTACT": "security@example.invalid"}

    done = subprocess.run([sys.executable, "-c", "import warden.settings"], env=env,
                          capture_output=True, text=True, check=False)

    assert done.returncode != 0
    assert "WARDEN_SECURITY_CONTACT" in done.stderr and "mailto:" in done.stderr
