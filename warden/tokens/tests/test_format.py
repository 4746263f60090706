"""The token format a scanner recognises: `wdn_` + macaroon + CRC32 in base62; and the old
`warden-` tokens, which keep working."""

from __future__ import annotations

import zlib

import pytest

from warden.audit.origin import Interface, Origin
from warden.tokens.format import (
    LEGACY_TOKEN_PREFIX,
    TOKEN_PATTERN,
    token_body,
    token_checksum,
    token_encode,
)
from warden.tokens.services import (
    TokenError,
    token_authenticate,
    token_mint,
    token_minted_id,
    token_revoke,
)
from warden.tokens.tests.conftest import attenuate

pytestmark = pytest.mark.django_db

# The worked example of docs/tokens-leaks.md (a macaroon signed with a key no server has).
EXAMPLE_BODY = ("AgEGd2FyZGVuAiQwYjdhMGYzZS0xMTExLTQyMjItODMzMy00NDQ0NTU1NTY2NjYAAgdbMywiMSJdAAAG"
                "IOB8LOO9vZWlbZQ1fM9gm8xfs1PUepTZaXktA9U0I4m6")


def mint(user):
    return token_mint(user=user, description="ci",
                      origin=Origin(interface=Interface.WEB, actor=user))


def legacy(raw: str) -> str:
    """The same token as it was written before the checksum format."""
    return LEGACY_TOKEN_PREFIX + token_body(raw)


def test_the_documented_worked_example_holds():
    assert zlib.crc32(EXAMPLE_BODY.encode()) == 1186204346 == 0x46B40ABA
    assert token_checksum(EXAMPLE_BODY) == "1IHBwA"
    assert token_encode(EXAMPLE_BODY) == "wdn_" + EXAMPLE_BODY + "1IHBwA"
    # Zero-padded to six characters when the CRC is small.
    assert token_checksum("x" * 0) == "000000"


def test_a_minted_token_is_in_the_new_format_that_the_documented_pattern_matches(alice):
    _, raw = mint(alice)
    match = TOKEN_PATTERN.fullmatch(raw)
    assert match is not None
    body, checksum = match.groups()
    assert checksum == token_checksum(body)
    assert not raw.startswith(LEGACY_TOKEN_PREFIX)


@pytest.mark.parametrize("where", ["checksum", "body"])
def test_a_token_with_a_corrupted_checksum_is_refused_before_any_database_query(
        alice, where, django_assert_num_queries):
    _, raw = mint(alice)
    position = -1 if where == "checksum" else len(raw) // 2
    swapped = "B" if raw[position] != "B" else "C"
    corrupted = raw[:position] + swapped + (raw[position + 1:] if position != -1 else "")
    assert corrupted != raw and len(corrupted) == len(raw)
    with django_assert_num_queries(0), pytest.raises(TokenError, match="checksum"):
        token_authenticate(raw=corrupted)


def test_a_truncated_token_is_refused_by_its_checksum(alice):
    _, raw = mint(alice)
    for cut in (1, 6, 7, 40):
        with pytest.raises(TokenError, match="checksum"):
            token_authenticate(raw=raw[:-cut])


def test_an_old_format_token_still_authenticates(alice):
    token, raw = mint(alice)
    assert token_authenticate(raw=legacy(raw)).token == token
    assert token_minted_id(raw=legacy(raw)) == token.pk


def test_an_old_format_token_is_revoked_like_any_other(alice):
    token, raw = mint(alice)
    token_revoke(token=token, origin=Origin(interface=Interface.WEB, actor=alice))
    with pytest.raises(TokenError, match="revoked"):
        token_authenticate(raw=legacy(raw))


def test_a_holders_attenuated_token_works_in_either_format(alice, demo, other):
    _, raw = mint(alice)
    narrowed = attenuate(raw, '[1,["demo"]]')
    assert TOKEN_PATTERN.fullmatch(narrowed)
    for written in (narrowed, legacy(narrowed)):
        assert token_authenticate(raw=written).project_names == frozenset({"demo"})


def test_checksum_refusal_does_not_echo_the_token(alice):
    _, raw = mint(alice)
    with pytest.raises(TokenError) as info:
        token_authenticate(raw=raw[:-1] + ("A" if raw[-1] != "A" else "B"))
    assert token_body(raw)[:16] not in info.value.message
