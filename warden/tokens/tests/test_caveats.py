from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warden.tokens.caveats import (
    CaveatContext,
    CaveatError,
    Expiration,
    ProjectID,
    ProjectName,
    RequestUser,
    TokenError,
    caveat_check,
    caveat_parse,
    caveat_serialize,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
T = int(NOW.timestamp())
CONTEXT = CaveatContext(now=NOW, user_id="7")


@pytest.mark.parametrize(("caveat", "text"), [
    (Expiration(expires_at=200, not_before=100), "[0,200,100]"),
    (ProjectName(normalized_names=("demo", "other")), '[1,["demo","other"]]'),
    (ProjectID(project_ids=("1", "2")), '[2,["1","2"]]'),
    (RequestUser(user_id="7"), '[3,"7"]'),
])
def test_caveats_serialize_compactly_in_pypi_format_and_parse_back(caveat, text):
    assert caveat_serialize(caveat) == text
    assert caveat_parse(text) == caveat


def test_unknown_caveat_tag_is_an_error():
    with pytest.raises(CaveatError, match="doesn't know"):
        caveat_parse('[4,"https://example.org"]')


def test_non_json_caveat_is_an_error():
    with pytest.raises(CaveatError, match="JSON"):
        caveat_parse("expires = 2030-01-01")


@pytest.mark.parametrize("text", [
    "{}", "[]", '"x"', "7", "null",
    '["0",1,2]', "[true,1,2]",           # the tag must be an integer
    "[0,1]", "[0,1,2,3]", '[0,"1",2]', "[0,1.5,2]", "[0,true,1]",
    '[1,"demo"]', "[1,[1]]", '[1,["demo"],["x"]]', "[1]",
    '[2,"1"]', "[2,[1]]",
    "[3,7]", '[3,"7","8"]', "[3,null]",
])
def test_caveat_of_the_wrong_shape_is_an_error(text):
    with pytest.raises(CaveatError):
        caveat_parse(text)


def test_parse_errors_are_token_errors_so_verification_refuses_them():
    assert issubclass(CaveatError, TokenError)


def test_expiration_holds_from_not_before_until_just_before_expires_at():
    caveat_check(Expiration(expires_at=T + 1, not_before=T), context=CONTEXT)


def test_expiration_in_the_past_raises_with_the_date():
    with pytest.raises(TokenError, match=r"expired on 2026-06-01T12:00:00\+00:00"):
        caveat_check(Expiration(expires_at=T, not_before=T - 10), context=CONTEXT)


def test_not_before_in_the_future_raises():
    with pytest.raises(TokenError, match="not valid before"):
        caveat_check(Expiration(expires_at=T + 100, not_before=T + 1), context=CONTEXT)


def test_request_user_for_another_user_raises():
    with pytest.raises(TokenError, match="different user"):
        caveat_check(RequestUser(user_id="8"), context=CONTEXT)


def test_request_user_for_the_same_user_holds():
    caveat_check(RequestUser(user_id="7"), context=CONTEXT)


def test_project_caveats_are_left_to_the_project_check():
    caveat_check(ProjectName(normalized_names=("demo",)), context=CONTEXT)
    caveat_check(ProjectID(project_ids=("1",)), context=CONTEXT)
