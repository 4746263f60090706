"""The two-factor policy (issue 4, part 6), for each protected action: managing projects,
the token pages, `warden token create`, uploading with a token, and the admin and staff
pages. A user who must have a second factor and has none is sent to set one up, told why;
`WARDEN_REQUIRE_2FA = False` lifts the rule for everyone but staff.

Personas (see conftest): alice owns `demo` and has a password but no second factor yet;
staff is staff without one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from warden.accounts.models import User
from warden.accounts.tests.conftest import log_in, web
from warden.packaging.models import File, Project, Release
from warden.packaging.services import project_create
from warden.packaging.tests import conftest as packaging
from warden.packaging.tests.conftest import MakeDist, files_under, upload_to
from warden.tokens.models import Token
from warden.tokens.services import token_mint

# The packaging tests' storage isolation and distributions, for the upload tests.
storage_dir, upload_temp_dir = packaging.storage_dir, packaging.upload_temp_dir
dist_dir, make_wheel = packaging.dist_dir, packaging.make_wheel

SECURITY_PAGE = reverse("mfa_index")


@pytest.fixture
def demo(alice: User) -> Project:
    project = project_create(name="demo", owner=alice, origin=web(alice))
    Release.objects.create(project=project, version="1.0", canonical_version="1",
                           metadata_version="2.1")
    return project


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_user(username="staff", email="staff@example.org",
                                    is_staff=True, is_superuser=True)


def logged_in(user: User) -> Client:
    """Logged in through the real form (a one-step login: no factor yet), so the password
    was just entered and pages behind re-authentication open too."""
    client = Client()
    log_in(client, user.username)
    return client


def minted_without_two_factor(user: User, settings: Any, description: str) -> tuple[Token, str]:
    """A token of `user`, who has no second factor: minted while the policy was off, say,
    or before staff reset the account's factors."""
    settings.WARDEN_REQUIRE_2FA = False
    minted = token_mint(user=user, description=description, origin=web(user))
    settings.WARDEN_REQUIRE_2FA = True
    return minted


def sent_to_set_up_two_factor(response: Any, came_from: str) -> None:
    assert response.status_code == 302, response.status_code
    location = urlsplit(response["Location"])
    assert location.path == SECURITY_PAGE
    query = parse_qs(location.query)
    assert query["reason"] == ["required"]
    assert query["next"] == [came_from]


MANAGE_PAGES = [
    ("manage-projects", []),
    ("manage-project", ["demo"]),
    ("manage-project-settings", ["demo"]),
    ("manage-project-delete", ["demo"]),
    ("manage-project-collaborators", ["demo"]),
    ("manage-project-release", ["demo", "1.0"]),
    ("manage-project-release-delete", ["demo", "1.0"]),
    ("manage-project-history", ["demo"]),
]


# --- managing projects ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), MANAGE_PAGES)
def test_user_without_2fa_is_sent_from_each_management_page_to_set_it_up(
        name: str, args: list[str], alice: User, demo: Project) -> None:
    url = reverse(name, args=args)
    sent_to_set_up_two_factor(logged_in(alice).get(url), came_from=url)


def test_the_security_page_explains_why_a_user_was_sent_there(alice: User,
                                                              demo: Project) -> None:
    response = logged_in(alice).get(reverse("manage-project", args=["demo"]), follow=True)
    page = response.content.decode()
    assert response.request["PATH_INFO"] == SECURITY_PAGE
    assert "requires two-factor authentication" in page
    assert 'id="two-factor-required"' in page


def test_user_without_2fa_cannot_yank_a_release_or_invite_anyone(alice: User, demo: Project,
                                                                 mallory: User) -> None:
    client = logged_in(alice)
    yank = reverse("manage-project-release-yank", args=["demo", "1.0"])
    sent_to_set_up_two_factor(client.post(yank, {"yank-1-reason": "mine"}), came_from=yank)
    invite = reverse("manage-project-invite", args=["demo"])
    sent_to_set_up_two_factor(client.post(invite, {"invite-username": "mallory",
                                                   "invite-role_name": "owner"}),
                              came_from=invite)
    assert not Release.objects.get(project=demo).yanked
    assert not demo.invitations.exists()


def test_user_without_2fa_learns_nothing_about_a_project_that_is_not_theirs(
        alice: User, mallory: User) -> None:
    project_create(name="secret", owner=mallory, origin=web(mallory))
    client = logged_in(alice)
    # The same answer for a project that exists and one that doesn't.
    for name in ("secret", "no-such-project"):
        url = reverse("manage-project", args=[name])
        sent_to_set_up_two_factor(client.get(url), came_from=url)


@pytest.mark.parametrize(("name", "args"), MANAGE_PAGES)
def test_with_the_policy_off_a_user_without_2fa_manages_projects(
        name: str, args: list[str], alice: User, demo: Project, settings: Any) -> None:
    settings.WARDEN_REQUIRE_2FA = False
    assert logged_in(alice).get(reverse(name, args=args)).status_code == 200


def test_with_a_second_factor_a_user_manages_projects(
        alice: User, demo: Project, with_totp: Callable[[User], str]) -> None:
    with_totp(alice)
    client = Client()
    client.force_login(alice)  # past both steps of the login
    assert client.get(reverse("manage-project", args=["demo"])).status_code == 200


# --- API tokens -----------------------------------------------------------------------------


def test_user_without_2fa_cannot_create_a_token_and_is_sent_to_set_it_up(alice: User) -> None:
    client = logged_in(alice)
    url = reverse("manage-token-create")
    sent_to_set_up_two_factor(client.get(url), came_from=url)
    sent_to_set_up_two_factor(client.post(url, {"description": "laptop", "project": "",
                                                "expiry": "30d", "expiry_date": ""}),
                              came_from=url)
    assert not Token.objects.exists()


def test_the_token_list_sends_a_user_without_2fa_to_learn_why(alice: User) -> None:
    url = reverse("manage-tokens")
    sent_to_set_up_two_factor(logged_in(alice).get(url), came_from=url)


def test_a_user_without_2fa_can_still_revoke_a_token(alice: User, settings: Any) -> None:
    # Taking a token away must never wait for a second factor.
    token, _raw = minted_without_two_factor(alice, settings, "old")
    url = reverse("manage-token-revoke", args=[token.pk])
    assert logged_in(alice).post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None


def test_with_the_policy_off_a_user_without_2fa_creates_tokens(alice: User,
                                                               settings: Any) -> None:
    settings.WARDEN_REQUIRE_2FA = False
    client = logged_in(alice)
    assert client.get(reverse("manage-tokens")).status_code == 200
    response = client.post(reverse("manage-token-create"), {
        "description": "laptop", "project": "", "expiry": "30d", "expiry_date": ""})
    assert response.status_code == 200
    assert Token.objects.filter(user=alice, description="laptop").exists()


def test_warden_token_create_refuses_a_user_without_2fa(alice: User) -> None:
    with pytest.raises(CommandError, match="alice has no two-factor authentication"):
        call_command("token", "create", "alice")
    assert not Token.objects.exists()


def test_with_the_policy_off_warden_token_create_mints_for_a_user_without_2fa(
        alice: User, settings: Any) -> None:
    settings.WARDEN_REQUIRE_2FA = False
    call_command("token", "create", "alice")
    assert Token.objects.filter(user=alice).exists()


# --- uploads --------------------------------------------------------------------------------


def test_a_token_of_a_user_without_2fa_cannot_upload_and_twine_is_told_where_to_set_it_up(
        alice: User, demo: Project, make_wheel: MakeDist, storage_dir: Path,
        settings: Any) -> None:
    _token, raw = minted_without_two_factor(alice, settings, "ci")
    response = upload_to(Client(), raw, make_wheel("demo", "2.0"))
    assert response.status_code == 403
    reason = response.reason_phrase
    assert "User alice has no two-factor authentication" in reason
    assert f"http://testserver{SECURITY_PAGE}?reason=required" in reason
    assert reason in response.content.decode()
    assert not File.objects.exists()
    assert files_under(storage_dir / "packages") == []


def test_the_same_token_uploads_once_its_user_has_a_second_factor(
        alice: User, demo: Project, make_wheel: MakeDist,
        with_totp: Callable[[User], str], settings: Any) -> None:
    _token, raw = minted_without_two_factor(alice, settings, "ci")
    with_totp(alice)
    assert upload_to(Client(), raw, make_wheel("demo", "2.0")).status_code == 200


def test_with_the_policy_off_a_token_of_a_user_without_2fa_uploads(
        alice: User, demo: Project, make_wheel: MakeDist, settings: Any) -> None:
    settings.WARDEN_REQUIRE_2FA = False
    _token, raw = token_mint(user=alice, description="ci", origin=web(alice))
    assert upload_to(Client(), raw, make_wheel("demo", "2.0")).status_code == 200


# --- staff ----------------------------------------------------------------------------------


ADMIN_PAGES = [reverse("admin:index"), reverse("admin:accounts_user_changelist"),
               reverse("admin:packaging_project_changelist"), reverse("admin:login")]


@pytest.mark.parametrize("require", [True, False], ids=["policy on", "policy off"])
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_staff_without_2fa_are_sent_from_the_admin_to_set_it_up_whatever_the_policy(
        url: str, require: bool, staff: User, settings: Any) -> None:
    settings.WARDEN_REQUIRE_2FA = require
    client = Client()
    client.force_login(staff)
    sent_to_set_up_two_factor(client.get(url), came_from=url)


def test_staff_without_2fa_are_told_why_the_admin_sent_them_away(staff: User) -> None:
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("admin:index"), follow=True).content.decode()
    assert "Staff need two-factor authentication to use the administration" in page


def test_staff_without_2fa_cannot_run_an_admin_action(staff: User, mallory: User) -> None:
    client = Client()
    client.force_login(staff)
    url = reverse("admin:accounts_user_changelist")
    response = client.post(url, {"action": "disable_users", "_selected_action": [mallory.pk]})
    sent_to_set_up_two_factor(response, came_from=url)
    mallory.refresh_from_db()
    assert mallory.is_active


def test_staff_with_2fa_use_the_admin(staff: User, with_totp: Callable[[User], str]) -> None:
    with_totp(staff)
    client = Client()
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_still_turns_away_non_staff_who_have_2fa(
        mallory: User, with_totp: Callable[[User], str]) -> None:
    with_totp(mallory)
    client = Client()
    client.force_login(mallory)
    assert client.get(reverse("admin:index")).status_code in (302, 403)
    assert client.get(reverse("admin:login")).status_code == 403


@pytest.mark.parametrize("require", [True, False], ids=["policy on", "policy off"])
def test_staff_without_2fa_are_sent_from_the_audit_search_to_set_it_up(
        require: bool, staff: User, settings: Any) -> None:
    settings.WARDEN_REQUIRE_2FA = require
    client = Client()
    client.force_login(staff)
    url = reverse("audit-staff-search")
    sent_to_set_up_two_factor(client.get(url), came_from=url)


def test_the_audit_search_stays_a_404_for_non_staff_without_2fa(alice: User) -> None:
    assert logged_in(alice).get(reverse("audit-staff-search")).status_code == 404
