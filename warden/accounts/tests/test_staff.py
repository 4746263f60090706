"""Staff actions in the admin (users, projects, prohibited names, tokens), through the same
services as everything else, and the admin's door closed to everyone but staff.

Personas: alice (owner of `demo`), mallory (a stranger), staff (a superuser)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from warden.accounts.models import User
from warden.accounts.services import StaffActionError, user_disable
from warden.audit.origin import Interface, Origin
from warden.packaging.errors import UploadError
from warden.packaging.models import (
    File,
    ProhibitedName,
    Project,
    Release,
    Role,
    SimplePage,
    UsedFilename,
)
from warden.packaging.services import project_create, project_name_check
from warden.packaging.staff import project_remove
from warden.tokens.models import Token
from warden.tokens.services import TokenError, token_authenticate, token_mint

PASSWORD = "correct horse battery staple"
USERS = reverse("admin:accounts_user_changelist")
PROJECTS = reverse("admin:packaging_project_changelist")


@pytest.fixture
def alice(db: None, with_totp: Callable[[User], str]) -> User:
    user = User.objects.create_user(username="alice", email="alice@example.org",
                                    password=PASSWORD)
    with_totp(user)  # the policy requires it of anyone with API tokens
    return user


@pytest.fixture
def mallory(db: None) -> User:
    return User.objects.create_user(username="mallory", email="mallory@example.org",
                                    password=PASSWORD)


@pytest.fixture
def staff(db: None, with_totp: Callable[[User], str]) -> User:
    user = User.objects.create_superuser(username="staff", email="staff@example.org",
                                         password=PASSWORD)
    with_totp(user)  # the admin requires it of staff
    return user


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def demo(alice: User, publish: Callable[[], None]) -> Project:
    project = project_create(name="demo", owner=alice, origin=by(alice))
    release = Release.objects.create(project=project, version="1.0", canonical_version="1",
                                     metadata_version="2.1")
    File.objects.create(release=release, filename="demo-1.0.tar.gz", packagetype="sdist",
                        python_version="source", size=10, sha256="a" * 64,
                        blake2_256="b" * 64, md5="c" * 32, path="aa/demo-1.0.tar.gz")
    UsedFilename.objects.create(filename="demo-1.0.tar.gz")
    publish()  # the project's creation left a pending change
    return project


def by(user: User, interface: Interface = Interface.WEB) -> Origin:
    """The origin of something `user` did."""
    return Origin(interface=interface, actor=user)


def action(client: Client, url: str, name: str, *objects: Any, **extra: str) -> Any:
    return client.post(url, {"action": name, "_selected_action": [o.pk for o in objects],
                             **extra})


def test_disabling_a_user_revokes_their_tokens_and_blocks_login(staff_client: Client,
                                                                 alice: User) -> None:
    _, raw = token_mint(user=alice, description="CI", origin=by(alice))
    alice_browser = Client()
    alice_browser.force_login(alice)

    response = action(staff_client, USERS, "disable_users", alice)

    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    assert Token.objects.get(user=alice).revoked is not None
    with pytest.raises(TokenError):
        token_authenticate(raw=raw)
    assert not Client().login(username="alice", password=PASSWORD)
    # The session she already had stops working too.
    assert alice_browser.get(reverse("manage-tokens")).status_code == 302


def test_staff_cannot_disable_themselves(staff: User) -> None:
    with pytest.raises(StaffActionError):
        user_disable(user=staff, origin=by(staff, Interface.ADMIN))
    staff.refresh_from_db()
    assert staff.is_active


def test_force_password_reset_makes_the_password_unusable_and_mails_a_working_link(
        staff_client: Client, alice: User) -> None:
    response = action(staff_client, USERS, "force_password_reset", alice)

    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.has_usable_password()
    assert not Client().login(username="alice", password=PASSWORD)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.org"]
    link = next(word for word in mail.outbox[0].body.split() if "/password/reset/key/" in word)
    # allauth's reset page accepts the key: it stashes it and shows the new-password form.
    page = Client().get(link, follow=True)
    assert page.status_code == 200
    assert b"password1" in page.content


def test_admin_offers_no_raw_delete_for_users_or_projects(staff_client: Client) -> None:
    for url in (USERS, PROJECTS):
        html = staff_client.get(url).content.decode()
        assert 'value="delete_selected"' not in html


def test_prohibiting_a_projects_name_blocks_it_and_its_look_alikes(staff_client: Client,
                                                                    demo: Project) -> None:
    response = action(staff_client, PROJECTS, "prohibit_names", demo)

    assert response.status_code == 302
    assert ProhibitedName.objects.filter(normalized_name="demo").exists()
    with pytest.raises(UploadError, match="isn't allowed"):
        project_name_check(name="DEM0")


def test_removing_a_project_asks_first_then_removes_it_but_keeps_its_file_names(
        staff_client: Client, demo: Project, publish: Callable[[], None]) -> None:
    asked = action(staff_client, PROJECTS, "remove_projects", demo)

    assert asked.status_code == 200
    assert b"Yes, remove them" in asked.content
    assert Project.objects.filter(pk=demo.pk).exists()

    done = action(staff_client, PROJECTS, "remove_projects", demo, post="yes")

    assert done.status_code == 302
    assert not Project.objects.filter(pk=demo.pk).exists()
    assert not Role.objects.filter(project_id=demo.pk).exists()
    assert not File.objects.exists()
    assert UsedFilename.objects.filter(filename="demo-1.0.tar.gz").exists()
    assert not SimplePage.objects.filter(key="demo").exists()  # at once, in the removal
    publish()
    index = Client().get(reverse("simple-index")).content.decode()
    assert "demo" not in index


def test_only_staff_can_remove_a_project_through_the_staff_service(alice: User,
                                                                   demo: Project) -> None:
    # alice owns it, but owners delete through project_delete, with the typed name.
    with pytest.raises(PermissionDenied):
        project_remove(project=demo, origin=by(alice))
    assert Project.objects.filter(pk=demo.pk).exists()


def test_prohibited_names_added_in_the_admin_are_normalized(staff_client: Client) -> None:
    response = staff_client.post(reverse("admin:packaging_prohibitedname_add"),
                                 {"normalized_name": "Evil_Name", "reason": "squatting"})

    assert response.status_code == 302
    prohibited = ProhibitedName.objects.get()
    assert prohibited.normalized_name == "evil-name" and prohibited.reason == "squatting"
    with pytest.raises(UploadError):
        project_name_check(name="evil.name")


def test_revoking_a_token_in_the_admin_stops_it(staff_client: Client, alice: User) -> None:
    token, raw = token_mint(user=alice, description="CI", origin=by(alice))

    action(staff_client, reverse("admin:tokens_token_changelist"), "revoke", token)

    with pytest.raises(TokenError, match="revoked"):
        token_authenticate(raw=raw)


@pytest.mark.parametrize("who", ["anonymous", "mallory"])
def test_non_staff_are_turned_away_from_the_admin(who: str, mallory: User) -> None:
    client = Client()
    if who == "mallory":
        client.force_login(mallory)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    # The admin's login goes through allauth: anonymous people to its login page, people
    # without staff rights are refused.
    followed = client.get(response["Location"])
    if who == "anonymous":
        assert followed.status_code == 302
        assert followed["Location"].startswith(reverse("account_login"))
    else:
        assert followed.status_code == 403
    assert client.get(USERS).status_code == 302
