"""Collaborator services: invitations, role changes, removals, and the last owner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from warden.accounts.models import User
from warden.packaging.models import (
    InvitationStatus,
    JournalEntry,
    Project,
    Role,
    RoleInvitation,
    RoleName,
)
from warden.packaging.roles import (
    invitation_accept,
    invitation_decline,
    invitation_revoke,
    role_change,
    role_invite,
    role_remove,
)
from warden.packaging.services import ManageError
from warden.packaging.tests.conftest import acting

from .conftest import simple_json

pytestmark = pytest.mark.django_db


def role_of(project: Project, user: User) -> str | None:
    role = Role.objects.filter(project=project, user=user).first()
    return role.role_name if role else None


def invite_carol(demo: Project, alice: User, role: str = RoleName.MAINTAINER) -> RoleInvitation:
    return role_invite(project=demo, origin=acting(alice), invitee_username="carol", role_name=role)


# --- invitations ------------------------------------------------------------------------------


def test_an_invitation_gives_no_role_until_it_is_accepted(demo: Project, alice: User,
                                                          carol: User) -> None:
    invitation = invite_carol(demo, alice)
    assert role_of(demo, carol) is None

    invitation_accept(invitation=invitation, origin=acting(carol))

    assert role_of(demo, carol) == RoleName.MAINTAINER
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED


def test_every_invitation_step_is_journaled_and_the_simple_page_follows_the_serial(
        demo: Project, alice: User, carol: User, run_tasks: Callable[[], None]) -> None:
    invitation = invite_carol(demo, alice)
    invitation_accept(invitation=invitation, origin=acting(carol))
    run_tasks()

    actions = list(JournalEntry.objects.filter(name="demo").values_list("action", flat=True))
    assert actions[-2:] == ["invite maintainer carol", "accept maintainer carol"]
    demo.refresh_from_db()
    assert simple_json(demo)["meta"]["_last-serial"] == demo.last_serial


def test_a_maintainer_cannot_invite(demo: Project, bob: User, carol: User) -> None:
    with pytest.raises(ManageError):
        role_invite(project=demo, origin=acting(bob), invitee_username="carol",
                    role_name=RoleName.OWNER)
    assert not RoleInvitation.objects.exists()


def test_a_stranger_cannot_invite_themself(demo: Project, mallory: User) -> None:
    with pytest.raises(ManageError):
        role_invite(project=demo, origin=acting(mallory), invitee_username="mallory",
                    role_name=RoleName.OWNER)
    assert not RoleInvitation.objects.exists()


def test_inviting_an_unknown_or_inactive_user_is_refused(demo: Project, alice: User,
                                                         carol: User) -> None:
    with pytest.raises(ManageError, match="no active user"):
        role_invite(project=demo, origin=acting(alice), invitee_username="nobody",
                    role_name=RoleName.MAINTAINER)
    carol.is_active = False
    carol.save()
    with pytest.raises(ManageError, match="no active user"):
        invite_carol(demo, alice)


def test_someone_who_already_has_a_role_cannot_be_invited(demo: Project, alice: User) -> None:
    with pytest.raises(ManageError, match="already has a role"):
        role_invite(project=demo, origin=acting(alice), invitee_username="bob",
                    role_name=RoleName.OWNER)


def test_a_second_pending_invitation_for_the_same_person_is_refused(
        demo: Project, alice: User, carol: User) -> None:
    invite_carol(demo, alice)
    with pytest.raises(ManageError, match="pending invitation"):
        invite_carol(demo, alice, RoleName.OWNER)
    assert RoleInvitation.objects.count() == 1


def test_a_declined_invitation_can_be_followed_by_a_new_one(demo: Project, alice: User,
                                                            carol: User) -> None:
    invitation_decline(invitation=invite_carol(demo, alice), origin=acting(carol))
    again = invite_carol(demo, alice)
    assert again.status == InvitationStatus.PENDING


def test_an_unknown_role_is_refused(demo: Project, alice: User, carol: User) -> None:
    with pytest.raises(ManageError):
        invite_carol(demo, alice, "admin")


@pytest.mark.parametrize("answer", [invitation_accept, invitation_decline])
def test_an_invitation_cannot_be_answered_by_someone_else(
        answer: Any, demo: Project, alice: User, carol: User, mallory: User) -> None:
    invitation = invite_carol(demo, alice, RoleName.OWNER)
    with pytest.raises(ManageError, match="not addressed to you"):
        answer(invitation=invitation, origin=acting(mallory))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert role_of(demo, mallory) is None


def test_the_inviter_cannot_accept_on_the_invitees_behalf(demo: Project, alice: User,
                                                          carol: User) -> None:
    invitation = invite_carol(demo, alice)
    with pytest.raises(ManageError):
        invitation_accept(invitation=invitation, origin=acting(alice))
    assert role_of(demo, carol) is None


@pytest.mark.parametrize("first", ["accept", "decline", "revoke"])
def test_an_answered_invitation_cannot_be_answered_again(first: str, demo: Project,
                                                         alice: User, carol: User) -> None:
    invitation = invite_carol(demo, alice)
    if first == "accept":
        invitation_accept(invitation=invitation, origin=acting(carol))
        role_remove(project=demo, origin=acting(alice), user=carol)
    elif first == "decline":
        invitation_decline(invitation=invitation, origin=acting(carol))
    else:
        invitation_revoke(invitation=invitation, origin=acting(alice))

    with pytest.raises(ManageError, match="no longer open"):
        invitation_accept(invitation=invitation, origin=acting(carol))
    assert role_of(demo, carol) is None


def test_a_maintainer_cannot_revoke_an_invitation(demo: Project, alice: User, bob: User,
                                                  carol: User) -> None:
    invitation = invite_carol(demo, alice)
    with pytest.raises(ManageError):
        invitation_revoke(invitation=invitation, origin=acting(bob))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_an_invitation_from_a_removed_owner_cannot_be_accepted(
        demo: Project, alice: User, mallory: User, carol: User) -> None:
    # mallory was an owner, invited her accomplice, and was then removed.
    Role.objects.create(project=demo, user=mallory, role_name=RoleName.OWNER)
    invitation = role_invite(project=demo, origin=acting(mallory), invitee_username="carol",
                             role_name=RoleName.OWNER)
    role_remove(project=demo, origin=acting(alice), user=mallory)

    with pytest.raises(ManageError, match="no longer an owner"):
        invitation_accept(invitation=invitation, origin=acting(carol))
    assert role_of(demo, carol) is None


# --- changing and removing roles ------------------------------------------------------------


def test_an_owner_promotes_a_maintainer_and_demotes_an_owner(demo: Project, alice: User,
                                                             bob: User) -> None:
    role_change(project=demo, origin=acting(alice), user=bob, role_name=RoleName.OWNER)
    assert role_of(demo, bob) == RoleName.OWNER
    role_change(project=demo, origin=acting(bob), user=alice, role_name=RoleName.MAINTAINER)
    assert role_of(demo, alice) == RoleName.MAINTAINER
    assert JournalEntry.objects.filter(action="change owner alice to maintainer").exists()


def test_a_maintainer_cannot_change_roles_not_even_their_own(demo: Project, alice: User,
                                                            bob: User) -> None:
    with pytest.raises(ManageError):
        role_change(project=demo, origin=acting(bob), user=bob, role_name=RoleName.OWNER)
    with pytest.raises(ManageError):
        role_change(project=demo, origin=acting(bob), user=alice, role_name=RoleName.MAINTAINER)
    assert (role_of(demo, alice), role_of(demo, bob)) == ("owner", "maintainer")


def test_the_last_owner_can_never_be_demoted(demo: Project, alice: User) -> None:
    with pytest.raises(ManageError, match="last owner"):
        role_change(project=demo, origin=acting(alice), user=alice, role_name=RoleName.MAINTAINER)
    assert role_of(demo, alice) == RoleName.OWNER


def test_the_last_owner_can_never_be_removed_not_even_by_themself(demo: Project,
                                                                  alice: User) -> None:
    with pytest.raises(ManageError, match="last owner"):
        role_remove(project=demo, origin=acting(alice), user=alice)
    assert role_of(demo, alice) == RoleName.OWNER


def test_an_owner_can_leave_when_another_owner_remains(demo: Project, alice: User,
                                                       bob: User) -> None:
    role_change(project=demo, origin=acting(alice), user=bob, role_name=RoleName.OWNER)
    role_remove(project=demo, origin=acting(alice), user=alice)
    assert role_of(demo, alice) is None


def test_a_maintainer_cannot_remove_an_owner(demo: Project, alice: User, bob: User) -> None:
    with pytest.raises(ManageError, match="Only an owner"):
        role_remove(project=demo, origin=acting(bob), user=alice)
    assert role_of(demo, alice) == RoleName.OWNER


def test_a_maintainer_cannot_remove_another_maintainer(demo: Project, alice: User, bob: User,
                                                       carol: User) -> None:
    Role.objects.create(project=demo, user=carol, role_name=RoleName.MAINTAINER)
    with pytest.raises(ManageError):
        role_remove(project=demo, origin=acting(bob), user=carol)
    assert role_of(demo, carol) == RoleName.MAINTAINER


def test_a_maintainer_can_leave(demo: Project, bob: User) -> None:
    role_remove(project=demo, origin=acting(bob), user=bob)
    assert role_of(demo, bob) is None
    assert JournalEntry.objects.filter(action="remove maintainer bob").exists()


def test_an_owner_removes_a_maintainer(demo: Project, alice: User, bob: User) -> None:
    role_remove(project=demo, origin=acting(alice), user=bob)
    assert role_of(demo, bob) is None


def test_a_stranger_cannot_remove_anyone(demo: Project, bob: User, mallory: User) -> None:
    with pytest.raises(ManageError):
        role_remove(project=demo, origin=acting(mallory), user=bob)
    assert role_of(demo, bob) == RoleName.MAINTAINER


def test_a_deactivated_owner_can_no_longer_manage(demo: Project, alice: User,
                                                  bob: User) -> None:
    alice.is_active = False
    alice.save()
    with pytest.raises(ManageError):
        role_remove(project=demo, origin=acting(alice), user=bob)


# --- races ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("targets", ["each other", "themselves"])
def test_two_owners_removing_each_other_or_leaving_at_once_leave_one_owner(
        targets: str, alice: User, carol: User) -> None:
    from warden.packaging.services import project_create

    demo = project_create(name="demo", owner=alice, origin=acting(alice))
    Role.objects.create(project=demo, user=carol, role_name=RoleName.OWNER)
    # Both requests start together. On SQLite's in-memory test database a second writer
    # fails at once instead of waiting for the first, so there the threads take turns after
    # the barrier; on PostgreSQL they run truly in parallel and the project's row lock is
    # what makes the second one see the first one's removal.
    barrier = threading.Barrier(2, timeout=10)
    turns = threading.Lock()
    state = threading.local()
    outcomes: list[object] = [None, None]

    def run(index: int, actor: User, user: User) -> None:
        try:
            barrier.wait()
            if connection.vendor == "sqlite":
                turns.acquire()
                state.has_turn = True
            role_remove(project=demo, origin=acting(actor), user=user)
            outcomes[index] = "removed"
        except BaseException as exc:  # reported by the assertion, not lost in the thread
            outcomes[index] = exc
        finally:
            connection.close()
            if getattr(state, "has_turn", False):
                turns.release()

    pairs = [(alice, carol), (carol, alice)] if targets == "each other" else \
        [(alice, alice), (carol, carol)]
    threads = [threading.Thread(target=run, args=(i, actor, user))
               for i, (actor, user) in enumerate(pairs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(type(o).__name__ for o in outcomes) == ["ManageError", "str"]
    assert Role.objects.filter(project=demo, role_name=RoleName.OWNER).count() == 1
