"""The management pages: who gets what (login, 404 for strangers, 403 for maintainers on
owners' pages), CSRF, re-authentication and its expiry, and each action end to end."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from warden.accounts.models import User
from warden.packaging.models import (
    File,
    InvitationStatus,
    Project,
    Release,
    Role,
    RoleInvitation,
    RoleName,
)
from warden.packaging.roles import role_invite
from warden.packaging.tests.conftest import acting

from .conftest import PASSWORD, logged_in, reauthenticated, simple_json

pytestmark = pytest.mark.django_db

REAUTH = "/accounts/reauthenticate/"


@pytest.fixture
def invitation(published: Release, alice: User, carol: User) -> RoleInvitation:
    return role_invite(project=published.project, invitee_username="carol",
                       role_name=RoleName.MAINTAINER, origin=acting(alice))


def wheel_of(release: Release) -> File:
    return release.files.get(packagetype="bdist_wheel")


def project_urls(release: Release, invitation: RoleInvitation) -> dict[str, tuple[str, dict]]:
    """Every page and action of `demo`: name -> (URL, POST data for the action)."""
    name, version = "demo", release.version
    wheel = wheel_of(release).filename
    return {
        "overview": (reverse("manage-project", args=[name]), {}),
        "release": (reverse("manage-project-release", args=[name, version]), {}),
        "collaborators": (reverse("manage-project-collaborators", args=[name]), {}),
        "settings": (reverse("manage-project-settings", args=[name]), {}),
        "yank": (reverse("manage-project-release-yank", args=[name, version]),
                 {f"yank-{release.pk}-reason": "x"}),
        "unyank": (reverse("manage-project-release-unyank", args=[name, version]), {}),
        "file-delete": (reverse("manage-project-file-delete", args=[name, version, wheel]), {}),
        "release-delete": (reverse("manage-project-release-delete", args=[name, version]), {}),
        "project-delete": (reverse("manage-project-delete", args=[name]),
                           {"confirm_name": "demo"}),
        "invite": (reverse("manage-project-invite", args=[name]),
                   {"invite-username": "mallory", "invite-role_name": "owner"}),
        "role-change": (reverse("manage-project-role-change", args=[name, "alice"]),
                        {"role_name": "maintainer"}),
        "role-remove": (reverse("manage-project-role-remove", args=[name, "alice"]), {}),
        "invitation-revoke": (reverse("manage-project-invitation-revoke",
                                      args=[name, invitation.pk]), {}),
    }


def all_urls(release: Release, invitation: RoleInvitation) -> dict[str, tuple[str, dict]]:
    return {
        **project_urls(release, invitation),
        "projects": (reverse("manage-projects"), {}),
        "accept": (reverse("manage-invitation-accept", args=[invitation.pk]), {}),
        "decline": (reverse("manage-invitation-decline", args=[invitation.pk]), {}),
    }


def nothing_changed(release: Release, invitation: RoleInvitation) -> None:
    release.refresh_from_db()
    invitation.refresh_from_db()
    assert not release.yanked
    assert release.files.count() == 2
    assert invitation.status == InvitationStatus.PENDING
    assert Role.objects.filter(project=release.project, user__username="alice",
                               role_name=RoleName.OWNER).exists()
    assert not Role.objects.filter(user__username__in=["mallory", "carol"]).exists()


# --- who may see what ---------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in_from_every_management_url(
        published: Release, invitation: RoleInvitation) -> None:
    client = Client()
    for url, data in all_urls(published, invitation).values():
        for response in (client.get(url), client.post(url, data)):
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("account_login")), url
    nothing_changed(published, invitation)


@pytest.mark.parametrize("reauth", [True, False])
def test_a_stranger_gets_404_from_every_page_and_action_of_a_project(
        reauth: bool, published: Release, invitation: RoleInvitation,
        mallory: User) -> None:
    client = logged_in(mallory, reauth=reauth)
    for url, data in project_urls(published, invitation).values():
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
    nothing_changed(published, invitation)


def test_a_stranger_cannot_tell_an_existing_project_from_a_missing_one(
        published: Release, mallory: User) -> None:
    client = logged_in(mallory)
    existing = client.get(reverse("manage-project", args=["demo"]))
    missing = client.get(reverse("manage-project", args=["no-such-project"]))
    assert existing.status_code == missing.status_code == 404

    def page(response: Any, name: str) -> str:
        # The page differs only by what the request carried: its own path and CSRF token.
        text = response.content.decode().replace(f"/manage/project/{name}/", "PATH")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", text)

    assert page(existing, "demo") == page(missing, "no-such-project")


def test_someone_elses_invitation_cannot_be_accepted_or_declined_and_looks_missing(
        invitation: RoleInvitation, mallory: User, alice: User) -> None:
    for user in (mallory, alice):
        client = logged_in(user)
        for action in ("manage-invitation-accept", "manage-invitation-decline"):
            assert client.post(reverse(action, args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


@pytest.mark.parametrize("page", ["settings", "project-delete", "invite", "role-change",
                                  "invitation-revoke"])
def test_a_maintainer_gets_403_from_the_owners_pages(page: str, published: Release,
                                                     invitation: RoleInvitation,
                                                     bob: User) -> None:
    url, data = project_urls(published, invitation)[page]
    client = logged_in(bob)
    assert client.post(url, data).status_code == 403
    nothing_changed(published, invitation)


def test_a_maintainer_cannot_remove_an_owner_through_the_page(published: Release,
                                                              bob: User) -> None:
    url = reverse("manage-project-role-remove", args=["demo", "alice"])
    response = logged_in(bob).post(url, follow=True)
    assert response.status_code == 200
    assert b"Only an owner can remove" in response.content
    assert Role.objects.filter(user__username="alice", role_name=RoleName.OWNER).exists()


def test_the_last_owner_cannot_remove_themself_through_the_page(published: Release,
                                                               alice: User) -> None:
    url = reverse("manage-project-role-remove", args=["demo", "alice"])
    response = logged_in(alice).post(url, follow=True)
    assert b"last owner" in response.content
    assert Role.objects.filter(user=alice, role_name=RoleName.OWNER).exists()


def test_the_last_owner_cannot_demote_themself_through_the_page(published: Release,
                                                               alice: User) -> None:
    role = Role.objects.get(user=alice)
    url = reverse("manage-project-role-change", args=["demo", "alice"])
    response = logged_in(alice).post(url, {f"role-{role.pk}-role_name": "maintainer"},
                                     follow=True)
    assert b"last owner" in response.content
    assert Role.objects.get(user=alice).role_name == RoleName.OWNER


def test_actions_refuse_get(published: Release, alice: User) -> None:
    client = logged_in(alice)
    for name in ("manage-project-release-yank", "manage-project-release-unyank"):
        assert client.get(reverse(name, args=["demo", "1.0"])).status_code == 405


# --- CSRF -----------------------------------------------------------------------------------


def test_every_action_refuses_a_post_without_a_csrf_token(
        published: Release, invitation: RoleInvitation, alice: User, carol: User) -> None:
    owner = logged_in(alice, csrf=True)
    invitee = logged_in(carol, csrf=True)
    for name, (url, data) in all_urls(published, invitation).items():
        client = invitee if name in ("accept", "decline") else owner
        assert client.post(url, data).status_code == 403, name
    nothing_changed(published, invitation)


def test_a_post_with_the_pages_csrf_token_is_accepted(published: Release, alice: User) -> None:
    client = logged_in(alice, csrf=True)
    client.get(reverse("manage-project", args=["demo"]))
    token = client.cookies["csrftoken"].value
    url = reverse("manage-project-release-yank", args=["demo", "1.0"])
    response = client.post(url, {f"yank-{published.pk}-reason": "bad",
                                 "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.yanked


# --- re-authentication --------------------------------------------------------------------


# Confirmation pages ask for the password before they show, so a stale tab can't be used.
SENSITIVE_PAGES = ["file-delete", "release-delete", "project-delete", "role-remove"]
SENSITIVE = [*SENSITIVE_PAGES, "invite", "role-change", "invitation-revoke"]


@pytest.mark.parametrize("seconds_ago", [None, 301])
def test_deletions_role_changes_and_invites_need_a_recent_password(
        seconds_ago: int | None, published: Release, invitation: RoleInvitation,
        alice: User) -> None:
    client = logged_in(alice, reauth=False)
    if seconds_ago is not None:  # entered, but longer ago than the 300 s allowed
        reauthenticated(client, alice, seconds_ago=seconds_ago)
    urls = project_urls(published, invitation)
    for name in SENSITIVE:
        url, data = urls[name]
        responses = [client.post(url, data)]
        if name in SENSITIVE_PAGES:
            responses.append(client.get(url))
        for response in responses:
            assert response.status_code == 302, name
            assert response["Location"].startswith(REAUTH), name
    nothing_changed(published, invitation)


def test_a_password_entered_moments_ago_is_enough(published: Release, alice: User) -> None:
    client = logged_in(alice, reauth=False)
    reauthenticated(client, alice, seconds_ago=290)
    url = reverse("manage-project-file-delete", args=["demo", "1.0", wheel_of(published).filename])
    assert client.get(url).status_code == 200


def test_after_entering_the_password_the_deletion_goes_through(published: Release,
                                                               alice: User) -> None:
    client = logged_in(alice, reauth=False)
    wheel = wheel_of(published)
    url = reverse("manage-project-file-delete", args=["demo", "1.0", wheel.filename])

    asked = client.post(url)
    assert asked.status_code == 302 and asked["Location"].startswith(REAUTH)
    assert File.objects.filter(pk=wheel.pk).exists()

    wrong = client.post(asked["Location"], {"password": "not it"})
    assert wrong.status_code == 200 and File.objects.filter(pk=wheel.pk).exists()

    client.post(asked["Location"], {"password": PASSWORD})
    assert not File.objects.filter(pk=wheel.pk).exists()


def test_yanking_needs_no_recent_password(published: Release, bob: User) -> None:
    client = logged_in(bob, reauth=False)
    url = reverse("manage-project-release-yank", args=["demo", "1.0"])
    assert client.post(url, {f"yank-{published.pk}-reason": "r"}).status_code == 302
    published.refresh_from_db()
    assert published.yanked


# --- the pages and their actions ---------------------------------------------------------


def test_your_projects_lists_roles_and_pending_invitations(invitation: RoleInvitation,
                                                          alice: User, carol: User) -> None:
    page = logged_in(alice).get(reverse("manage-projects"))
    assert page.status_code == 200 and b"demo" in page.content
    page = logged_in(carol).get(reverse("manage-projects"))
    assert b"alice invites you to join <strong>demo</strong> as a maintainer" in page.content
    assert reverse("manage-invitation-accept", args=[invitation.pk]).encode() in page.content


def test_the_invitee_accepts_on_their_projects_page(invitation: RoleInvitation,
                                                    carol: User) -> None:
    client = logged_in(carol, reauth=False)
    response = client.post(reverse("manage-invitation-accept", args=[invitation.pk]))
    assert response.status_code == 302
    assert Role.objects.get(user=carol).role_name == RoleName.MAINTAINER
    assert client.get(reverse("manage-project", args=["demo"])).status_code == 200


def test_the_invitee_declines(invitation: RoleInvitation, carol: User) -> None:
    logged_in(carol).post(reverse("manage-invitation-decline", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert not Role.objects.filter(user=carol).exists()


def test_an_owner_invites_by_username(published: Release, alice: User, carol: User) -> None:
    response = logged_in(alice).post(
        reverse("manage-project-invite", args=["demo"]),
        {"invite-username": "carol", "invite-role_name": "owner"})
    assert response.status_code == 302
    assert RoleInvitation.objects.get(invitee=carol).role_name == RoleName.OWNER


def test_inviting_an_unknown_user_shows_the_error_on_the_field(published: Release,
                                                               alice: User) -> None:
    response = logged_in(alice).post(
        reverse("manage-project-invite", args=["demo"]),
        {"invite-username": "nobody", "invite-role_name": "owner"})
    assert response.status_code == 400
    assert b"There is no active user called nobody" in response.content
    assert not RoleInvitation.objects.exists()


def test_collaborators_page_shows_owners_controls_only_to_owners(
        published: Release, invitation: RoleInvitation, alice: User, bob: User) -> None:
    url = reverse("manage-project-collaborators", args=["demo"])
    as_owner = logged_in(alice).get(url).content
    as_maintainer = logged_in(bob).get(url).content
    invite = reverse("manage-project-invite", args=["demo"]).encode()
    assert invite in as_owner and invite not in as_maintainer
    assert b"carol" in as_owner and b"carol" not in as_maintainer


def test_yanking_through_the_page_publishes_the_reason(
        published: Release, bob: User, run_tasks: Callable[[], None]) -> None:
    url = reverse("manage-project-release-yank", args=["demo", "1.0"])
    logged_in(bob).post(url, {f"yank-{published.pk}-reason": "security hole"})
    run_tasks()
    assert {f["yanked"] for f in simple_json("demo")["files"]} == {"security hole"}
    page = logged_in(bob).get(reverse("manage-project", args=["demo"]))
    assert b"security hole" in page.content


def test_deleting_a_file_asks_first_then_removes_it(
        published: Release, bob: User, run_tasks: Callable[[], None]) -> None:
    wheel = wheel_of(published)
    url = reverse("manage-project-file-delete", args=["demo", "1.0", wheel.filename])
    client = logged_in(bob)
    confirm = client.get(url)
    assert confirm.status_code == 200 and wheel.filename.encode() in confirm.content
    assert File.objects.filter(pk=wheel.pk).exists()

    assert client.post(url).status_code == 302
    run_tasks()
    assert wheel.filename not in {f["filename"] for f in simple_json("demo")["files"]}


def test_deleting_a_release_through_the_page(published: Release, alice: User) -> None:
    url = reverse("manage-project-release-delete", args=["demo", "1.0"])
    response = logged_in(alice).post(url)
    assert response["Location"] == reverse("manage-project", args=["demo"])
    assert not Release.objects.filter(pk=published.pk).exists()


@pytest.mark.parametrize("typed", ["", "dem", "Demo-2", "other"])
def test_the_project_is_not_deleted_without_its_exact_name(typed: str, published: Release,
                                                           alice: User) -> None:
    response = logged_in(alice).post(reverse("manage-project-delete", args=["demo"]),
                                     {"confirm_name": typed})
    assert response.status_code == 400
    assert Project.objects.filter(name="demo").exists()


def test_the_project_is_deleted_with_its_exact_name(published: Release, alice: User) -> None:
    response = logged_in(alice).post(reverse("manage-project-delete", args=["demo"]),
                                     {"confirm_name": "demo"})
    assert response["Location"] == reverse("manage-projects")
    assert not Project.objects.filter(name="demo").exists()


@pytest.mark.parametrize("name", ["overview", "release", "collaborators", "settings",
                                  "file-delete", "release-delete", "project-delete",
                                  "role-remove"])
def test_every_page_renders_for_the_owner_with_one_h1(name: str, published: Release,
                                                      invitation: RoleInvitation,
                                                      alice: User) -> None:
    url, _ = project_urls(published, invitation)[name]
    response = logged_in(alice).get(url)
    assert response.status_code == 200
    assert response.content.count(b"<h1") == 1
    assert b'<main id="main"' in response.content


