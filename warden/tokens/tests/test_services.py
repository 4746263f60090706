from __future__ import annotations

import binascii
import json
from datetime import timedelta

import pymacaroons
import pytest
from django.utils import timezone

from warden.audit.origin import Interface, Origin
from warden.packaging.authorize import upload_authorize, upload_token_mint
from warden.packaging.models import Role
from warden.tokens.format import LEGACY_TOKEN_PREFIX, token_encode
from warden.tokens.models import Token
from warden.tokens.services import (
    TOKEN_PREFIX,
    TokenError,
    _root_key,
    duration_parse,
    token_authenticate,
    token_list,
    token_mint,
    token_record_use,
    token_revoke,
)
from warden.tokens.tests.conftest import attenuate, macaroon_of, project_create, serialized

pytestmark = pytest.mark.django_db


def by(user):
    """The origin of something `user` did on a page."""
    return Origin(interface=Interface.WEB, actor=user)


def mint(user, **kwargs):
    """A token `user` minted for themselves; scoped ones the way every interface makes them
    (`upload_token_mint`: the role check, then `token_mint`)."""
    kwargs.setdefault("description", "ci")
    kwargs.setdefault("origin", by(user))
    if kwargs.get("projects"):
        return upload_token_mint(user=user, **kwargs)
    return token_mint(user=user, **kwargs)


def refused(raw, match=None, **kwargs):
    with pytest.raises(TokenError, match=match) as info:
        token_authenticate(raw=raw, **kwargs)
    return info.value


# --- minting ------------------------------------------------------------------------------


def test_minted_token_authenticates_as_its_user(alice):
    token, raw = mint(alice)
    context = token_authenticate(raw=raw)
    assert context.token == token
    assert context.user == alice
    assert context.project_names is None and context.project_ids is None


def test_token_is_the_prefix_and_a_macaroon_identified_by_the_row_id(alice, demo):
    token, raw = mint(alice, projects=[demo])
    assert raw.startswith(TOKEN_PREFIX)
    macaroon = macaroon_of(raw)
    assert macaroon.location == "warden"
    assert macaroon.identifier_bytes.decode() == str(token.id)
    predicates = [c.caveat_id_bytes.decode() for c in macaroon.caveats]
    assert predicates == [f'[3,"{alice.pk}"]', '[1,["demo"]]', f'[2,["{demo.pk}"]]']


def test_minted_caveats_are_stored_on_the_row_for_display(alice, demo):
    token, raw = mint(alice, projects=[demo], expires=timezone.now() + timedelta(days=1))
    token.refresh_from_db()
    assert [c[0] for c in token.caveats] == [3, 0, 1, 2]
    assert token.expires is not None
    # ...but never the token or anything that signs one.
    stored = json.dumps(list(Token.objects.values().get(pk=token.pk).values()), default=str)
    assert macaroon_of(raw).signature not in stored


def test_minting_a_token_for_a_project_the_user_has_no_role_on_is_refused(mallory, demo):
    with pytest.raises(TokenError, match="isn't an owner or maintainer"):
        mint(mallory, projects=[demo])
    assert not Token.objects.exists()


def test_minting_a_token_that_already_expired_is_refused(alice):
    with pytest.raises(TokenError, match="future"):
        mint(alice, expires=timezone.now() - timedelta(seconds=1))


def test_a_second_live_token_with_the_same_description_is_refused(alice):
    mint(alice, description="ci")
    with pytest.raises(TokenError, match="already have a live token named 'ci'"):
        mint(alice, description="ci")


def test_a_revoked_tokens_description_can_be_reused(alice):
    token, _ = mint(alice, description="ci")
    token_revoke(token=token, origin=by(alice))
    mint(alice, description="ci")


# --- scope --------------------------------------------------------------------------------


def test_token_for_a_project_may_upload_to_it(alice, demo):
    _, raw = mint(alice, projects=[demo])
    upload_authorize(context=token_authenticate(raw=raw), project=demo, project_name="demo")


def test_token_for_project_a_cannot_upload_to_project_b(alice, demo, other):
    _, raw = mint(alice, projects=[demo])
    with pytest.raises(TokenError,
                       match=r"scoped to project\(s\) demo; it isn't valid for project 'other'"):
        upload_authorize(context=token_authenticate(raw=raw), project=other,
                         project_name="other")


def test_scoped_token_cannot_create_a_new_project(alice, demo):
    _, raw = mint(alice, projects=[demo])
    with pytest.raises(TokenError) as info:
        upload_authorize(context=token_authenticate(raw=raw), project=None,
                         project_name="brand-new")
    assert info.value.message == (
        "This token is scoped to project(s) demo; it cannot create a new project.")


def test_unscoped_token_may_create_a_new_project(alice):
    _, raw = mint(alice)
    upload_authorize(context=token_authenticate(raw=raw), project=None,
                     project_name="brand-new")


def test_unscoped_token_cannot_upload_to_a_project_its_user_has_no_role_on(mallory, demo):
    _, raw = mint(mallory)
    with pytest.raises(TokenError) as info:
        upload_authorize(context=token_authenticate(raw=raw), project=demo,
                         project_name="demo")
    assert info.value.message == "User 'mallory' isn't allowed to upload to project 'demo'."


def test_scoped_token_stops_working_when_its_user_loses_the_role(alice, demo):
    _, raw = mint(alice, projects=[demo])
    Role.objects.filter(user=alice, project=demo).delete()
    with pytest.raises(TokenError, match="isn't allowed to upload"):
        upload_authorize(context=token_authenticate(raw=raw), project=demo,
                         project_name="demo")


def test_recreated_project_with_the_same_name_is_not_reachable_by_an_old_token(alice, demo):
    _, raw = mint(alice, projects=[demo])
    demo.delete()
    # Someone (here even alice herself, so the role check can't be what refuses it)
    # registers the name again.
    newcomer = project_create("demo")
    Role.objects.create(project=newcomer, user=alice, role_name="owner")
    with pytest.raises(TokenError, match="isn't valid for project 'demo'"):
        upload_authorize(context=token_authenticate(raw=raw), project=newcomer,
                         project_name="demo")


# --- time ---------------------------------------------------------------------------------


def test_token_works_until_its_expiry(alice):
    now = timezone.now()
    _, raw = mint(alice, expires=now + timedelta(hours=1))
    token_authenticate(raw=raw, now=now + timedelta(minutes=59))


def test_expired_token_is_refused(alice):
    now = timezone.now()
    _, raw = mint(alice, expires=now + timedelta(hours=1))
    error = refused(raw, match="This API token expired on ", now=now + timedelta(hours=2))
    assert error.message.endswith("+00:00.")


def test_token_whose_not_before_is_in_the_future_is_refused(alice):
    now = timezone.now()
    _, raw = mint(alice, not_before=now + timedelta(hours=1), expires=now + timedelta(days=1))
    refused(raw, match="not valid before", now=now)
    token_authenticate(raw=raw, now=now + timedelta(hours=2))


# --- tampering ----------------------------------------------------------------------------


def test_token_with_a_flipped_signature_byte_is_refused(alice):
    _, raw = mint(alice)
    macaroon = macaroon_of(raw)
    signature = bytearray(binascii.unhexlify(macaroon.signature))
    signature[0] ^= 0x01
    macaroon.signature = binascii.hexlify(signature)
    refused(serialized(macaroon), match="signature doesn't match")


def test_token_with_an_altered_caveat_is_refused(alice, demo, other):
    _, raw = mint(alice, projects=[demo])
    macaroon = macaroon_of(raw)
    for caveat in macaroon.caveats:
        if caveat.caveat_id_bytes == b'[1,["demo"]]':
            caveat.caveat_id = b'[1,["demo","other"]]'
    refused(serialized(macaroon), match="signature doesn't match")


def test_token_with_a_stripped_caveat_is_refused(alice):
    now = timezone.now()
    _, raw = mint(alice, expires=now + timedelta(hours=1))
    macaroon = macaroon_of(raw)
    macaroon.caveats = [c for c in macaroon.caveats if not c.caveat_id_bytes.startswith(b"[0,")]
    refused(serialized(macaroon), match="signature doesn't match", now=now + timedelta(hours=2))


def test_token_minted_under_a_different_secret_key_is_refused(alice, settings):
    settings.SECRET_KEY = "an-old-server-secret-" + "x" * 32
    _, raw = mint(alice)
    settings.SECRET_KEY = "the-new-server-secret-" + "y" * 32
    refused(raw, match="signature doesn't match")


def test_token_with_a_forged_identifier_is_refused(alice):
    _, raw = mint(alice)
    victim, _ = mint(alice, description="victim")
    macaroon = macaroon_of(raw)
    macaroon.identifier = str(victim.id)
    refused(serialized(macaroon), match="signature doesn't match")


def test_token_without_a_request_user_caveat_is_refused(alice):
    # Only someone holding the server secret could build this; fail closed anyway.
    token, _ = mint(alice)
    macaroon = pymacaroons.Macaroon(location="warden", identifier=str(token.id),
                                    key=_root_key(token.id), version=pymacaroons.MACAROON_V2)
    refused(serialized(macaroon), match="isn't bound to a user")


def test_token_whose_identifier_is_not_in_the_minted_form_is_refused(alice):
    # Again only a holder of the server secret could sign this; accept one spelling only.
    token, _ = mint(alice)
    macaroon = pymacaroons.Macaroon(location="warden", identifier=str(token.id).upper(),
                                    key=_root_key(token.id), version=pymacaroons.MACAROON_V2)
    macaroon.add_first_party_caveat(f'[3,"{alice.pk}"]')
    refused(serialized(macaroon), match="malformed")


def test_token_with_a_third_party_caveat_is_refused(alice):
    _, raw = mint(alice)
    macaroon = macaroon_of(raw)
    macaroon.add_third_party_caveat("https://elsewhere.example", b"k" * 32, "cid")
    refused(serialized(macaroon), match="can't check")


def test_token_with_a_caveat_that_is_not_utf8_is_refused(alice):
    _, raw = mint(alice)
    macaroon = macaroon_of(raw)
    macaroon.caveats.append(pymacaroons.Caveat(caveat_id=b"\xff\xfe", version=2))
    refused(serialized(macaroon), match="Invalid API token")


# --- revocation, accounts, format ---------------------------------------------------------


def test_revoked_token_is_refused_immediately(alice):
    token, raw = mint(alice)
    token_authenticate(raw=raw)
    token_revoke(token=token, origin=by(alice))
    assert token.revoked is not None
    refused(raw, match="revoked")


def test_revoking_twice_keeps_the_first_revocation_time(alice):
    token, _ = mint(alice)
    first = timezone.now() - timedelta(days=1)
    token_revoke(token=token, origin=by(alice), now=first)
    token_revoke(token=token, origin=by(alice))
    assert token.revoked == first


def test_token_whose_row_was_deleted_is_refused(alice):
    token, raw = mint(alice)
    Token.objects.filter(pk=token.pk).delete()
    refused(raw, match="doesn't exist")


def test_token_of_an_inactive_user_is_refused(alice):
    _, raw = mint(alice)
    alice.is_active = False
    alice.save()
    refused(raw, match="disabled")


@pytest.mark.parametrize("prefix", ["pypi-", "", "Warden-", "warden_"])
def test_token_with_the_wrong_prefix_is_refused(alice, prefix):
    _, raw = mint(alice)
    refused(prefix + raw.removeprefix(TOKEN_PREFIX), match="start with 'wdn_'")


@pytest.mark.parametrize("body", ["garbage", "AAAA", "!!!!", "warden-" * 3])
def test_malformed_token_is_refused(body):
    # With a correct checksum, so what is refused is the body itself.
    refused(token_encode(body), match="malformed")
    refused(LEGACY_TOKEN_PREFIX + body, match="malformed")


def test_surrounding_whitespace_is_ignored(alice):
    _, raw = mint(alice)
    token_authenticate(raw=f"  {raw}\n")


def test_error_messages_never_echo_the_token(alice, demo, other):
    now = timezone.now()
    _, raw = mint(alice, projects=[demo], expires=now + timedelta(hours=1))
    body = raw.removeprefix(TOKEN_PREFIX)
    errors = [
        refused(raw, now=now + timedelta(hours=2)),
        refused(raw[:-4]),
        refused("pypi-" + body),
        refused(attenuate(raw, '[9,"x"]')),
    ]
    with pytest.raises(TokenError) as info:
        upload_authorize(context=token_authenticate(raw=raw), project=other,
                         project_name="other")
    errors.append(info.value)
    for error in errors:
        assert body[:16] not in error.message
        assert macaroon_of(raw).signature not in error.message


# --- the holder's offline attenuation -------------------------------------------------------


def test_unknown_caveat_tag_appended_by_a_holder_is_refused(alice):
    _, raw = mint(alice)
    refused(attenuate(raw, '[99,"anything"]'), match="doesn't know")


def test_non_json_caveat_appended_by_a_holder_is_refused(alice):
    _, raw = mint(alice)
    refused(attenuate(raw, "time < 2099-01-01"), match="JSON")


def test_holder_appended_expiration_in_the_past_is_enforced(alice):
    now = timezone.now()
    _, raw = mint(alice, expires=now + timedelta(days=30))
    past = int((now - timedelta(minutes=1)).timestamp())
    refused(attenuate(raw, f"[0,{past},{past - 60}]"), match="expired on", now=now)


def test_holder_appended_project_name_for_another_project_is_enforced(alice, demo, other):
    _, raw = mint(alice, projects=[demo])
    context = token_authenticate(raw=attenuate(raw, '[1,["other"]]'))
    assert context.project_names == frozenset()
    for project in (demo, other):
        with pytest.raises(TokenError, match="isn't valid"):
            upload_authorize(context=context, project=project, project_name=project.name)


def test_holder_can_narrow_an_unscoped_token_to_one_project(alice, demo, other):
    _, raw = mint(alice)
    context = token_authenticate(raw=attenuate(raw, '[1,["demo"]]'))
    upload_authorize(context=context, project=demo, project_name="demo")
    with pytest.raises(TokenError, match="isn't valid for project 'other'"):
        upload_authorize(context=context, project=other, project_name="other")
    with pytest.raises(TokenError, match="cannot create a new project"):
        upload_authorize(context=context, project=None, project_name="brand-new")


def test_holder_appended_project_id_for_another_project_is_enforced(alice, demo, other):
    _, raw = mint(alice)
    context = token_authenticate(raw=attenuate(raw, f'[2,["{other.pk}"]]'))
    with pytest.raises(TokenError, match="isn't valid for project 'demo'"):
        upload_authorize(context=context, project=demo, project_name="demo")
    upload_authorize(context=context, project=other, project_name="other")


def test_holder_appended_project_id_narrows_a_scoped_token(alice, demo, other):
    _, raw = mint(alice, projects=[demo, other])
    context = token_authenticate(raw=attenuate(raw, f'[2,["{other.pk}"]]'))
    assert context.project_ids == frozenset({str(other.pk)})
    with pytest.raises(TokenError, match="isn't valid for project 'demo'"):
        upload_authorize(context=context, project=demo, project_name="demo")


def test_holder_appended_empty_project_list_admits_no_project(alice, demo):
    _, raw = mint(alice)
    context = token_authenticate(raw=attenuate(raw, "[1,[]]"))
    with pytest.raises(TokenError, match="isn't valid"):
        upload_authorize(context=context, project=demo, project_name="demo")


def test_holder_appended_request_user_for_someone_else_is_refused(alice, mallory):
    _, raw = mint(alice)
    refused(attenuate(raw, f'[3,"{mallory.pk}"]'), match="different user")


# --- bookkeeping --------------------------------------------------------------------------


def test_recording_use_sets_last_used(alice):
    token, raw = mint(alice)
    before = timezone.now()
    token_record_use(context=token_authenticate(raw=raw),
                     origin=Origin(interface=Interface.UPLOAD, actor=alice, token=token))
    token.refresh_from_db()
    assert token.last_used is not None
    assert before <= token.last_used <= timezone.now()


def test_token_list_shows_live_and_revoked_tokens_newest_first(alice, mallory):
    first, _ = mint(alice, description="first")
    second, _ = mint(alice, description="second")
    mint(mallory, description="not-alices")
    Token.objects.filter(pk=first.pk).update(created=timezone.now() - timedelta(days=1))
    token_revoke(token=second, origin=by(alice))
    assert [t.description for t in token_list(user=alice)] == ["second", "first"]


@pytest.mark.parametrize(("text", "expected"), [
    ("90m", timedelta(minutes=90)),
    ("12h", timedelta(hours=12)),
    ("30d", timedelta(days=30)),
    ("2w", timedelta(weeks=2)),
    (" 1d ", timedelta(days=1)),
])
def test_durations_parse(text, expected):
    assert duration_parse(text) == expected


@pytest.mark.parametrize("text", ["", "30", "d", "0d", "-1d", "1.5d", "30 d", "30s", "1y",
                                  "30D", "1d2h", "999999w",
                                  "\u0663\u0660d"])  # Arabic-Indic 30
def test_junk_durations_are_refused(text):
    with pytest.raises(ValueError):
        duration_parse(text)
