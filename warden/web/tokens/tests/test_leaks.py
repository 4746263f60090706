"""POST /_/secret-scanning/report/: a scanner's signed report of leaked tokens."""

from __future__ import annotations

import base64
import json
import uuid

import pymacaroons
import pytest
from django.core import mail
from django.test import Client, override_settings

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.origin import Interface, Origin
from warden.audit.vocabulary import Tag
from warden.tokens.caveats import RequestUser, caveat_serialize
from warden.tokens.format import LEGACY_TOKEN_PREFIX, token_body, token_encode
from warden.tokens.models import RevokedReason, Token
from warden.tokens.scanner import MAX_REPORT_BYTES
from warden.tokens.services import TokenError, token_authenticate, token_mint, token_revoke
from warden.tokens.tests.scanning import Scanner, keys_document, report
from warden.web.audit.sentences import event_sentence

pytestmark = pytest.mark.django_db

URL = "/_/secret-scanning/report/"
LEAK_URL = "https://github.com/alice/demo/blob/0123abc/.github/workflows/release.yml"


@pytest.fixture
def github() -> Scanner:
    return Scanner("90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a")


@pytest.fixture(autouse=True)
def _trusted(github: Scanner, settings) -> None:
    settings.WARDEN_TOKEN_SCANNER_KEYS = keys_document(github)


def post(body: bytes, *, key_id: str, signature: str, client: Client | None = None):
    # A client that enforces CSRF as a browser's would, and has no session.
    client = client or Client(enforce_csrf_checks=True)
    return client.post(URL, body, content_type="application/json",
                       HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER=key_id,
                       HTTP_GITHUB_PUBLIC_KEY_SIGNATURE=signature)


def signed(scanner: Scanner, body: bytes, **kwargs):
    return post(body, key_id=scanner.key_id, signature=scanner.sign(body), **kwargs)


def mint(user: User, description: str = "ci") -> tuple[Token, str]:
    return token_mint(user=user, description=description,
                      origin=Origin(interface=Interface.WEB, actor=user))


def is_live(token: Token) -> bool:
    token.refresh_from_db()
    return token.revoked is None


def upload_status(client: Client, raw: str) -> tuple[int, str]:
    """What /legacy/ answers `raw`: it authenticates before it reads the (empty) form."""
    credentials = base64.b64encode(f"__token__:{raw}".encode()).decode()
    response = client.post("/legacy/", {}, HTTP_AUTHORIZATION=f"Basic {credentials}")
    return response.status_code, response.content.decode()


def forged_for(token: Token) -> str:
    """A well-formed token naming `token`'s id, signed with a key that isn't ours: what
    someone who learned an id (from a URL, a log, the database) could make."""
    macaroon = pymacaroons.Macaroon(location="warden", identifier=str(token.pk),
                                    key=b"guessed" * 5, version=pymacaroons.MACAROON_V2)
    macaroon.add_first_party_caveat(caveat_serialize(RequestUser(user_id=str(token.user_id))))
    return token_encode(macaroon.serialize())


# --- a live token of ours -------------------------------------------------------------------


def test_a_reported_live_token_is_revoked_at_once_and_a_later_upload_with_it_fails(
        alice, github):
    token, raw = mint(alice)
    uploader = Client()
    before, _ = upload_status(uploader, raw)
    assert before == 400  # authenticated; only the empty form is refused

    response = signed(github, report(raw, url=LEAK_URL))

    assert response.status_code == 200
    assert response.json() == []
    token.refresh_from_db()
    assert token.revoked is not None and token.revoked_reason == RevokedReason.LEAKED
    status, message = upload_status(uploader, raw)
    assert status == 403 and "revoked" in message


def test_the_owner_is_mailed_what_leaked_where_and_what_to_do(alice, github, run_tasks):
    token, raw = mint(alice, description="release workflow")
    signed(github, report(raw, url=LEAK_URL))
    run_tasks()

    (message,) = [m for m in mail.outbox if "found in public" in m.subject]
    assert message.to == ["alice@example.invalid"]
    assert "release workflow" in message.subject and "revoked" in message.subject
    assert "release workflow" in message.body and str(token.pk) in message.body
    assert LEAK_URL in message.body  # as text, on a line of its own
    assert "\n" + LEAK_URL + "\n" in message.body
    assert "/manage/tokens/" in message.body and "/account/security-history/" in message.body
    assert raw not in message.body and token_body(raw)[:20] not in message.body


def test_the_audit_event_says_where_it_leaked_and_holds_no_token_text(alice, github):
    token, raw = mint(alice)
    signed(github, report(raw, url=LEAK_URL),
           client=Client(HTTP_USER_AGENT="GitHub-Secret-Scanning/1.0"))

    event = Event.objects.get(tag=Tag.ACCOUNT_TOKEN_LEAKED)
    assert event.token_id == str(token.pk) and event.username == "alice"
    assert event.actor_id is None
    assert event.details["url"] == LEAK_URL and event.details["source"] == "content"
    everything = json.dumps([getattr(event, f.attname) for f in Event._meta.concrete_fields],
                            default=str)
    assert raw not in everything and token_body(raw)[:20] not in everything
    assert "wdn_" not in everything


def test_a_token_quoted_in_the_reported_url_is_kept_out_of_the_record(alice, github,
                                                                      run_tasks):
    _, raw = mint(alice)
    signed(github, report(raw, url=f"https://paste.invalid/raw?q={raw}"))
    run_tasks()

    event = Event.objects.get(tag=Tag.ACCOUNT_TOKEN_LEAKED)
    assert raw not in json.dumps(event.details) and "[token]" in event.details["url"]
    assert not [m for m in mail.outbox if raw in m.body]


def test_an_old_format_token_is_revoked_when_reported(alice, github):
    token, raw = mint(alice)
    signed(github, report(LEGACY_TOKEN_PREFIX + token_body(raw)))
    assert not is_live(token)


def test_a_report_of_a_token_already_revoked_changes_and_sends_nothing(alice, github,
                                                                       run_tasks):
    token, raw = mint(alice)
    token_revoke(token=token, origin=Origin(interface=Interface.WEB, actor=alice))
    revoked_at = token.revoked
    run_tasks()
    mail.outbox.clear()

    response = signed(github, report(raw))
    run_tasks()

    token.refresh_from_db()
    assert (token.revoked, token.revoked_reason) == (revoked_at, RevokedReason.REVOKED)
    assert not Event.objects.filter(tag=Tag.ACCOUNT_TOKEN_LEAKED).exists()
    assert mail.outbox == []
    assert response.status_code == 200 and response.json() == []


# --- the same answer for anything else ------------------------------------------------------


def test_unknown_forged_and_known_tokens_get_the_identical_answer(alice, bob, github):
    token, raw = mint(alice)
    bystander, _ = mint(bob)
    gone, gone_raw = mint(bob, "deleted")
    Token.objects.filter(pk=gone.pk).delete()
    answers = {}
    for name, reported in {
        "made up": "wdn_" + "A" * 120,
        "another index's": token_encode(token_body(forged_for(token))[:-4] + "abcd"),
        "forged for a known id": forged_for(bystander),
        "deleted": gone_raw,
        "not a token at all": "hello",
        "live": raw,
    }.items():
        response = signed(github, report(reported))
        answers[name] = (response.status_code, response["Content-Type"], response.content)

    assert len(set(answers.values())) == 1, answers
    assert is_live(bystander)
    assert not is_live(token)


def test_a_forged_token_naming_a_real_id_revokes_nothing(alice, github):
    token, _ = mint(alice)
    response = signed(github, report(forged_for(token), str(token.pk)))

    assert response.status_code == 200
    assert is_live(token)
    assert not Event.objects.filter(tag=Tag.ACCOUNT_TOKEN_LEAKED).exists()


def test_an_unknown_token_costs_the_same_queries_as_one_of_ours_already_revoked(
        alice, github, django_assert_num_queries):
    token, raw = mint(alice)
    token_revoke(token=token, origin=Origin(interface=Interface.WEB, actor=alice))
    # One lookup per entry, whether the string was ours or not.
    for reported in (raw, "wdn_" + "A" * 120, "hello", forged_for(token)):
        with django_assert_num_queries(1):
            signed(github, report(reported))


# --- refused reports ------------------------------------------------------------------------


def test_a_bad_signature_is_refused_and_nothing_is_revoked(alice, github):
    token, raw = mint(alice)
    body = report(raw)
    signature = bytearray(base64.b64decode(github.sign(body)))
    signature[-1] ^= 0x01

    response = post(body, key_id=github.key_id, signature=base64.b64encode(signature).decode())

    assert response.status_code == 401
    assert "signature does not match" in response.json()["error"]
    assert is_live(token)


def test_a_signature_of_another_body_is_refused_and_nothing_is_revoked(alice, github):
    token, raw = mint(alice)
    response = post(report(raw), key_id=github.key_id, signature=github.sign(report("x")))
    assert response.status_code == 401
    assert is_live(token)


def test_an_unknown_key_id_is_refused_and_nothing_is_revoked(alice):
    token, raw = mint(alice)
    stranger = Scanner("not-configured")
    response = signed(stranger, report(raw))
    assert response.status_code == 401
    assert "does not trust" in response.json()["error"]
    assert is_live(token)


def test_an_unsigned_report_is_refused(alice):
    token, raw = mint(alice)
    response = Client().post(URL, report(raw), content_type="application/json")
    assert response.status_code == 401
    assert is_live(token)


@pytest.mark.parametrize("body", [b"{not json", b'{"token": "x"}', b"[{}]"])
def test_a_malformed_report_is_refused_with_400(github, body):
    response = signed(github, body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_an_oversized_report_is_refused_with_400_and_nothing_is_revoked(alice, github):
    token, raw = mint(alice)
    body = report(raw, url="https://example.invalid/" + "a" * 2000)
    body = body[:-1] + b"," + b",".join([report("x")[1:-1]] * (MAX_REPORT_BYTES // 100)) + b"]"
    assert len(body) > MAX_REPORT_BYTES

    response = signed(github, body)

    assert response.status_code == 400
    assert "larger than" in response.json()["error"]
    assert is_live(token)


def test_a_report_needs_no_session_or_csrf_token_and_only_post_is_accepted(github):
    assert Client().get(URL).status_code == 405
    response = signed(github, report("hello"), client=Client(enforce_csrf_checks=True))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers or "sessionid" not in response["Set-Cookie"]


@override_settings(WARDEN_TOKEN_SCANNER_KEYS=None)
def test_without_configured_keys_the_endpoint_is_off(alice, github):
    token, raw = mint(alice)
    response = signed(github, report(raw))
    assert response.status_code == 404
    assert is_live(token)


def test_a_revoked_token_is_still_refused_by_authentication(alice, github):
    _, raw = mint(alice)
    signed(github, report(raw))
    with pytest.raises(TokenError, match="revoked"):
        token_authenticate(raw=raw)


def test_a_report_revokes_only_the_reported_token(alice, github):
    leaked, raw = mint(alice, "leaked")
    kept, _ = mint(alice, "kept")
    signed(github, report(raw, "wdn_" + uuid.uuid4().hex))
    assert not is_live(leaked) and is_live(kept)


def test_the_owners_history_says_a_scanner_found_it_and_where(alice, github):
    _, raw = mint(alice)
    signed(github, report(raw, url=LEAK_URL))
    sentence = event_sentence(Event.objects.get(tag=Tag.ACCOUNT_TOKEN_LEAKED))
    assert sentence.startswith("The API token 'ci' was revoked: a secret scanner found it")
    assert LEAK_URL in sentence
