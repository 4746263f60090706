"""The security page, setting up and removing the authenticator app, and recovery codes,
through the pages (Django's test client), as a person would."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from warden.accounts.tests.conftest import age_password_entry, log_in, user_with_verified_email
from warden.accounts.twofactor.tests.conftest import Clock, setup_secret, totp_on
from warden.accounts.twofactor.views_manage import TOTP_SETUP_SESSION_KEY

pytestmark = pytest.mark.django_db

INDEX = "/accounts/2fa/"
ACTIVATE = "/accounts/2fa/totp/activate/"
DEACTIVATE = "/accounts/2fa/totp/deactivate/"
CODES = "/accounts/2fa/recovery-codes/"
GENERATE = "/accounts/2fa/recovery-codes/generate/"
DOWNLOAD = "/accounts/2fa/recovery-codes/download/"


def codes_on_page(html: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7-]+)</code></li>", html)


def activate(client: Client, clock: Clock) -> list[str]:
    """Set the app up through the pages; the recovery codes the page then shows."""
    client.get(ACTIVATE)
    response = client.post(ACTIVATE, {"code": clock.code(setup_secret(client))})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == CODES
    clock.step(2)
    return codes_on_page(client.get(CODES).content.decode())


@pytest.mark.parametrize("url", [INDEX, ACTIVATE, DEACTIVATE, CODES, GENERATE,
                                 "/accounts/2fa/keys/", "/accounts/2fa/keys/add/",
                                 "/accounts/2fa/keys/1/edit/", "/accounts/2fa/keys/1/remove/"])
def test_every_management_page_sends_anonymous_visitors_to_log_in(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_download_refuses_anonymous_visitors():
    response = Client().post(DOWNLOAD)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_allauths_own_two_factor_pages_are_not_served(alice_client):
    # Ours replace them; allauth's would bypass our rules (replay, policy, templates).
    assert alice_client.get("/accounts/2fa/webauthn/").status_code == 404
    assert alice_client.get("/accounts/2fa/recovery-codes/download/").status_code == 405


def test_the_security_page_says_nothing_is_set_up_yet(alice_client):
    html = alice_client.get(INDEX).content.decode()
    assert "Set up an authenticator app" in html
    assert "No security keys or passkeys yet" in html
    assert 'aria-current="page">Two-factor authentication</a>' in html


def test_the_security_page_explains_why_when_two_factor_is_required(alice_client):
    html = alice_client.get(INDEX + "?reason=required&next=/manage/").content.decode()
    assert "This site requires two-factor authentication before you can manage projects" in html
    # The way back goes along to the set-up page.
    assert f'href="{ACTIVATE}?next=%2Fmanage%2F"' in html


def test_the_security_page_ignores_a_next_address_on_another_site(alice_client):
    html = alice_client.get(INDEX + "?reason=required&next=https://evil.example/").content.decode()
    assert 'href="https://evil.example/' not in html
    assert "evil.example" not in re.search(r'href="([^"]*totp/activate[^"]*)"', html).group(1)


def test_the_security_page_shows_the_app_and_the_recovery_codes_left(alice, alice_client, clock):
    totp_on(alice, clock)
    html = alice_client.get(INDEX).content.decode()
    assert "Remove the authenticator app" in html
    assert "10 of 10 recovery codes left." in html
    assert "Few recovery codes are left" not in html


def test_the_security_page_warns_when_few_recovery_codes_are_left(alice, alice_client, clock):
    totp_on(alice, clock)
    codes = Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES)
    codes.data["used"] = [True] * 8 + [False] * 2
    codes.save()
    html = alice_client.get(INDEX).content.decode()
    assert "2 of 10 recovery codes left." in html
    assert "Few recovery codes are left." in html


def test_the_activation_page_shows_a_qr_code_and_the_secret_in_groups_of_four(alice_client):
    html = alice_client.get(ACTIVATE).content.decode()
    secret = setup_secret(alice_client)
    assert 'role="img" aria-label="QR code for your Warden account alice.' in html
    assert "<svg" in html
    groups = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    assert f'<code id="totp-secret" translate="no">{groups}</code>' in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html


def test_reloading_the_activation_page_keeps_the_secret_already_scanned(alice_client):
    alice_client.get(ACTIVATE)
    first = setup_secret(alice_client)
    alice_client.get(ACTIVATE)
    assert setup_secret(alice_client) == first


def test_the_secret_waits_in_the_session_sealed_not_in_the_clear(alice_client):
    alice_client.get(ACTIVATE)
    assert setup_secret(alice_client) not in str(alice_client.session[TOTP_SETUP_SESSION_KEY])


def test_the_code_from_the_session_secret_turns_the_app_on_and_shows_recovery_codes(
        alice, alice_client, clock):
    codes = activate(alice_client, clock)
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
    assert len(codes) == 10
    assert TOTP_SETUP_SESSION_KEY not in alice_client.session


def test_after_set_up_for_a_required_action_the_person_is_taken_back(alice_client, clock):
    alice_client.get(ACTIVATE + "?next=/manage/")
    response = alice_client.post(ACTIVATE, {"code": clock.code(setup_secret(alice_client)),
                                            "next": "/manage/"})
    assert response["Location"] == CODES + "?next=%2Fmanage%2F"


def test_a_wrong_code_is_refused_with_an_explanation_tied_to_the_field(alice, alice_client,
                                                                         clock):
    alice_client.get(ACTIVATE)
    right = clock.code(setup_secret(alice_client))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = alice_client.post(ACTIVATE, {"code": wrong})
    html = response.content.decode()
    assert response.status_code == 200
    assert "That code is not correct." in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="totp_code_helptext totp_code_error"' in html
    assert 'id="totp_code_error"' in html
    assert not Authenticator.objects.filter(user=alice).exists()


def test_a_code_from_a_clock_minutes_off_says_so(alice_client, clock):
    alice_client.get(ACTIVATE)
    html = alice_client.post(ACTIVATE, {"code": clock.code(setup_secret(alice_client),
                                                           offset=-6)}).content.decode()
    assert "if your device&#x27;s clock were about 3 minutes off" in html


def test_something_that_is_not_six_digits_is_explained(alice_client):
    alice_client.get(ACTIVATE)
    html = alice_client.post(ACTIVATE, {"code": "12345"}).content.decode()
    assert "Type the 6 digits your authenticator app shows." in html


def test_setting_up_needs_the_password_again_after_a_while(alice_client):
    age_password_entry(alice_client)
    response = alice_client.get(ACTIVATE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_the_setup_post_is_refused_without_the_csrf_token(alice_client):
    alice_client.get(ACTIVATE)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = alice_client.cookies
    response = strict.post(ACTIVATE, {"code": "123456"})
    assert response.status_code == 403


def test_recovery_codes_are_shown_until_one_is_typed_back(alice, alice_client, clock):
    codes = activate(alice_client, clock)
    response = alice_client.post(CODES, {"code": codes[3]})
    assert response.status_code == 302
    assert response["Location"] == INDEX
    html = alice_client.get(CODES).content.decode()
    assert codes_on_page(html) == []
    assert "10 of 10 recovery codes left." in html
    assert Authenticator.objects.get(user=alice, type="recovery_codes").data["confirmed"]


def test_typing_back_a_code_that_is_not_in_the_set_is_explained(alice_client, clock):
    activate(alice_client, clock)
    response = alice_client.post(CODES, {"code": "aaaa-bbbb-cccc-dddd"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "That recovery code is not correct" in html
    assert 'aria-invalid="true"' in html
    assert len(codes_on_page(html)) == 10


def test_the_recovery_codes_download_is_a_text_file_no_cache_keeps(alice_client, clock):
    codes = activate(alice_client, clock)
    response = alice_client.post(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment;")
    assert all(code in response.content.decode() for code in codes)


def test_there_is_nothing_to_download_once_the_codes_are_confirmed(alice_client, clock):
    codes = activate(alice_client, clock)
    alice_client.post(CODES, {"code": codes[0]})
    response = alice_client.post(DOWNLOAD)
    assert response.status_code == 302
    assert codes[0] not in alice_client.get(response["Location"]).content.decode()


def test_another_user_never_sees_someone_elses_pending_codes(alice_client, clock):
    codes = activate(alice_client, clock)
    user_with_verified_email("mallory", "mallory@example.org")
    mallory = Client()
    log_in(mallory, "mallory")
    html = mallory.get(CODES).content.decode()
    assert not any(code in html for code in codes)


def test_generating_new_recovery_codes_asks_first_then_shows_a_new_set(alice_client, clock):
    old = activate(alice_client, clock)
    alice_client.post(CODES, {"code": old[0]})
    page = alice_client.get(GENERATE)
    assert "Your current recovery codes stop working at once" in page.content.decode()
    response = alice_client.post(GENERATE)
    assert response["Location"] == CODES
    new = codes_on_page(alice_client.get(CODES).content.decode())
    assert len(new) == 10 and not set(new) & set(old)


def test_generating_recovery_codes_needs_the_password_again_after_a_while(alice, alice_client,
                                                                           clock):
    totp_on(alice, clock)
    age_password_entry(alice_client)
    response = alice_client.post(GENERATE)
    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_removing_the_only_factor_is_refused_while_the_policy_requires_it(alice, alice_client,
                                                                           clock, settings):
    settings.WARDEN_REQUIRE_2FA = True
    totp_on(alice, clock)
    response = alice_client.post(DEACTIVATE)
    assert response.status_code == 400
    assert "This is your last second factor" in response.content.decode()
    assert Authenticator.objects.filter(user=alice, type="totp").exists()


def test_removing_the_app_works_when_the_policy_allows_it(alice, alice_client, clock, settings):
    settings.WARDEN_REQUIRE_2FA = False
    totp_on(alice, clock)
    assert "This is your only second factor" in alice_client.get(DEACTIVATE).content.decode()
    response = alice_client.post(DEACTIVATE)
    assert response["Location"] == INDEX
    assert not Authenticator.objects.filter(user=alice).exists()
