"""A scanner's report is believed only with a signature, by a configured key, over exactly
its body; and only a well-formed, bounded report is read."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from warden.tokens.scanner import (
    MAX_REPORT_TOKENS,
    ReportRejected,
    leak_reports_parse,
    report_signature_verify,
    scanner_keys_parse,
)
from warden.tokens.tests.scanning import Scanner, keys_document, report

BODY = report("wdn_something")


def verify(body: bytes, key_id: str, signature: str, *scanners: Scanner) -> None:
    report_signature_verify(body=body, key_id=key_id, signature=signature,
                            keys=scanner_keys_parse(keys_document(*scanners)))


def rejected(status: int, call, *args) -> ReportRejected:
    with pytest.raises(ReportRejected) as info:
        call(*args)
    assert info.value.status == status
    return info.value


def test_a_report_signed_by_a_configured_key_is_accepted():
    github = Scanner("gh-1")
    verify(BODY, "gh-1", github.sign(BODY), github)


def test_a_flipped_bit_of_the_signature_is_refused():
    github = Scanner("gh-1")
    der = bytearray(base64.b64decode(github.sign(BODY)))
    der[-1] ^= 0x01
    error = rejected(401, verify, BODY, "gh-1", base64.b64encode(der).decode(), github)
    assert "does not match" in error.message


def test_a_valid_signature_of_another_body_is_refused():
    github = Scanner("gh-1")
    other = report("wdn_another")
    rejected(401, verify, BODY, "gh-1", github.sign(other), github)


def test_a_body_changed_by_one_byte_after_signing_is_refused():
    github = Scanner("gh-1")
    signature = github.sign(BODY)
    rejected(401, verify, BODY + b" ", "gh-1", signature, github)


def test_an_unknown_key_id_is_refused_even_with_a_good_signature_by_that_key():
    github, attacker = Scanner("gh-1"), Scanner("attacker")
    error = rejected(401, verify, BODY, "attacker", attacker.sign(BODY), github)
    assert "does not trust" in error.message


def test_a_signature_by_another_key_under_a_trusted_id_is_refused():
    github, attacker = Scanner("gh-1"), Scanner("gh-1")
    rejected(401, verify, BODY, "gh-1", attacker.sign(BODY), github)


def test_a_key_marked_not_current_is_still_accepted_during_a_rotation():
    old, new = Scanner("gh-old", current=False), Scanner("gh-new")
    verify(BODY, "gh-old", old.sign(BODY), old, new)


@pytest.mark.parametrize(("key_id", "signature"), [("", "x"), ("gh-1", ""), ("", "")])
def test_a_report_without_the_signature_headers_is_refused(key_id, signature):
    rejected(401, verify, BODY, key_id, signature, Scanner("gh-1"))


@pytest.mark.parametrize("signature", ["not base64!", "AAAA", base64.b64encode(b"x" * 70).decode()])
def test_a_signature_that_is_not_base64_der_is_refused(signature):
    rejected(401, verify, BODY, "gh-1", signature, Scanner("gh-1"))


def _pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize(("document", "problem"), [
    ("nope", "not JSON"),
    ("{}", "public_keys"),
    ('{"public_keys": []}', "public_keys"),
    ('{"public_keys": [{"key": "x"}]}', "key_identifier"),
    ('{"public_keys": [{"key_identifier": "a", "key": "not pem"}]}', "not a PEM"),
])
def test_a_malformed_key_document_is_refused_with_what_is_wrong(document, problem):
    with pytest.raises(ValueError, match=problem):
        scanner_keys_parse(document)


@pytest.mark.parametrize("private", [
    lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    lambda: ec.generate_private_key(ec.SECP384R1()),
])
def test_a_key_that_is_not_ecdsa_p256_is_refused(private):
    document = json.dumps({"public_keys": [{"key_identifier": "a", "key": _pem(private())}]})
    with pytest.raises(ValueError, match="P-256"):
        scanner_keys_parse(document)


def test_a_key_id_listed_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        scanner_keys_parse(keys_document(Scanner("a"), Scanner("a")))


@pytest.mark.parametrize("body", [
    b"not json", b"{}", b'{"token": "x"}', b"[1]", b"\xff\xfe",
    b'[{"token": "x", "type": "t", "url": "u"}]',
    b'[{"token": "", "type": "t", "url": "u", "source": "s"}]',
    b'[{"token": 5, "type": "t", "url": "u", "source": "s"}]',
    b'[{"token": "x", "type": "t", "url": "https://a/\\r\\nBcc: x", "source": "s"}]',
])
def test_a_malformed_report_is_refused(body):
    rejected(400, leak_reports_parse, body)


def test_a_report_with_too_many_entries_is_refused():
    error = rejected(400, leak_reports_parse, report(*(["wdn_x"] * (MAX_REPORT_TOKENS + 1))))
    assert str(MAX_REPORT_TOKENS) in error.message


def test_a_well_formed_report_is_read():
    (entry,) = leak_reports_parse(report("wdn_x", url="https://example.invalid/a"))
    assert (entry.token, entry.url, entry.source) == ("wdn_x", "https://example.invalid/a",
                                                      "content")
