"""Collaborators: inviting people to a project, and changing or removing their roles.

Two roles, as on PyPI. Owners manage collaborators (invite, change roles, remove anyone,
revoke invitations) and may delete the project. Maintainers upload, yank and un-yank
releases and delete files and releases (see `warden.packaging.services`); of the
collaborators they can change only themselves, by leaving the project.

Nobody gets a role without accepting an invitation. A project always keeps at least one
owner: the last owner can be neither removed nor demoted. Every change takes the project's
row lock first and checks its rules under it, so two concurrent changes (two owners each
removing the other) cannot both pass; each records a journal entry and re-renders the
project's simple page in the same transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from warden.accounts.models import User
from warden.audit.origin import Origin
from warden.audit.vocabulary import Tag
from warden.packaging.changes import ProjectChange, project_changed
from warden.packaging.models import (
    InvitationStatus,
    Project,
    Role,
    RoleInvitation,
    RoleName,
)
from warden.packaging.services import ManageError, actor_of, project_lock, role_require

OWNER_ONLY = (RoleName.OWNER,)


def _role_name_check(role_name: str) -> None:
    if role_name not in RoleName.values:
        raise ManageError(_("%(role)s is not a role.") % {"role": role_name})


def role_invite(*, project: Project, invitee_username: str, role_name: str,
                origin: Origin) -> RoleInvitation:
    """An owner invites a user, by username, to take `role_name` on the project."""
    _role_name_check(role_name)
    with transaction.atomic():
        project = project_lock(project=project)
        inviter = actor_of(origin)
        role_require(project=project, user=inviter, role_names=OWNER_ONLY)
        invitee = User.objects.filter(username=invitee_username.strip(), is_active=True).first()
        if invitee is None:
            raise ManageError(_("There is no active user called %(username)s.")
                              % {"username": invitee_username})
        if Role.objects.filter(project=project, user=invitee).exists():
            raise ManageError(_("%(username)s already has a role on %(project)s.")
                              % {"username": invitee.username, "project": project.name})
        if RoleInvitation.objects.filter(project=project, invitee=invitee,
                                         status=InvitationStatus.PENDING).exists():
            raise ManageError(_("%(username)s already has a pending invitation to %(project)s.")
                              % {"username": invitee.username, "project": project.name})
        invitation = RoleInvitation.objects.create(project=project, invitee=invitee,
                                                   inviter=inviter, role_name=role_name)
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_ROLE_INVITED, action=f"invite {role_name} {invitee.username}",
            user=invitee, details={"role": role_name}))
    return invitation


def _invitation_locked(*, invitation: RoleInvitation) -> tuple[Project, RoleInvitation]:
    project = project_lock(project=invitation.project)
    try:
        invitation = RoleInvitation.objects.select_related("invitee", "inviter").get(
            pk=invitation.pk, project=project)
    except RoleInvitation.DoesNotExist as exc:
        raise ManageError(_("This invitation no longer exists.")) from exc
    if invitation.status != InvitationStatus.PENDING:
        raise ManageError(_("This invitation is no longer open: it was accepted, declined or "
                            "revoked."))
    return project, invitation


def _invitee_check(*, invitation: RoleInvitation, user: User) -> None:
    # Only the person invited may answer: an invitation is not a capability that anyone
    # who learns its id (or guesses it) can redeem.
    if invitation.invitee_id != user.pk or not user.is_active:
        raise ManageError(_("This invitation is not addressed to you."))


def invitation_accept(*, invitation: RoleInvitation, origin: Origin) -> Role:
    with transaction.atomic():
        project, invitation = _invitation_locked(invitation=invitation)
        user = actor_of(origin)
        _invitee_check(invitation=invitation, user=user)
        # An invitation speaks for its inviter: if they are no longer an owner (removed,
        # perhaps for abusing the project), what they offered is no longer on offer.
        if not Role.objects.filter(project=project, user_id=invitation.inviter_id,
                                   role_name=RoleName.OWNER).exists():
            raise ManageError(_("This invitation is no longer valid: whoever sent it is no longer "
                                "an owner of %(project)s.")
                              % {"project": project.name})
        if Role.objects.filter(project=project, user=user).exists():
            raise ManageError(_("You already have a role on %(project)s.")
                              % {"project": project.name})
        role = Role.objects.create(project=project, user=user,
                                   role_name=invitation.role_name)
        invitation.status = InvitationStatus.ACCEPTED
        invitation.save(update_fields=["status"])
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_ROLE_ADDED, action=f"accept {invitation.role_name} {user.username}",
            details={"role": invitation.role_name, "invited_by": invitation.inviter.username}))
    return role


def invitation_decline(*, invitation: RoleInvitation, origin: Origin) -> None:
    with transaction.atomic():
        project, invitation = _invitation_locked(invitation=invitation)
        user = actor_of(origin)
        _invitee_check(invitation=invitation, user=user)
        invitation.status = InvitationStatus.DECLINED
        invitation.save(update_fields=["status"])
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_ROLE_INVITATION_DECLINED,
            action=f"decline {invitation.role_name} {user.username}",
            details={"role": invitation.role_name, "invited_by": invitation.inviter.username}))


def invitation_revoke(*, invitation: RoleInvitation, origin: Origin) -> None:
    """An owner withdraws a pending invitation."""
    with transaction.atomic():
        project, invitation = _invitation_locked(invitation=invitation)
        role_require(project=project, user=actor_of(origin), role_names=OWNER_ONLY)
        invitation.status = InvitationStatus.REVOKED
        invitation.save(update_fields=["status"])
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_ROLE_INVITATION_REVOKED,
            action=f"revoke invitation {invitation.role_name} {invitation.invitee.username}",
            user=invitation.invitee, details={"role": invitation.role_name}))


def _target_role(*, project: Project, user: User) -> Role:
    role = Role.objects.filter(project=project, user=user).first()
    if role is None:
        raise ManageError(_("%(username)s has no role on %(project)s.")
                          % {"username": user.username, "project": project.name})
    return role


def _last_owner_check(*, project: Project, role: Role) -> None:
    # A project without an owner could never be managed again (nobody could invite, change
    # roles or delete it). Counted under the project lock, so two owners removing each
    # other at the same moment cannot both succeed.
    if role.role_name == RoleName.OWNER and Role.objects.filter(
            project=project, role_name=RoleName.OWNER).count() <= 1:
        raise ManageError(_("%(username)s is the last owner of %(project)s. Make someone else an "
                            "owner first.")
                          % {"username": role.user.username, "project": project.name})


def role_change(*, project: Project, user: User, role_name: str, origin: Origin) -> Role:
    """An owner changes a collaborator's role (their own included)."""
    _role_name_check(role_name)
    with transaction.atomic():
        project = project_lock(project=project)
        role_require(project=project, user=actor_of(origin), role_names=OWNER_ONLY)
        role = _target_role(project=project, user=user)
        if role.role_name == role_name:
            raise ManageError(_("%(username)s already has this role on %(project)s.")
                              % {"username": user.username, "project": project.name})
        _last_owner_check(project=project, role=role)
        old = role.role_name
        role.role_name = role_name
        role.save(update_fields=["role_name"])
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_ROLE_CHANGED, action=f"change {old} {user.username} to {role_name}",
            user=user, details={"from": old, "to": role_name}))
    return role


def role_remove(*, project: Project, user: User, origin: Origin) -> None:
    """Owners remove anyone; anyone may remove themself (leave the project)."""
    with transaction.atomic():
        project = project_lock(project=project)
        actor = actor_of(origin)
        actor_role = role_require(project=project, user=actor)
        if actor_role.role_name != RoleName.OWNER and actor.pk != user.pk:
            raise ManageError(_("Only an owner can remove other people from %(project)s.")
                              % {"project": project.name})
        role = _target_role(project=project, user=user)
        _last_owner_check(project=project, role=role)
        role.delete()
        project_changed(project=project, origin=origin, change=ProjectChange(
            tag=Tag.PROJECT_ROLE_REMOVED, action=f"remove {role.role_name} {user.username}",
            user=user, details={"role": role.role_name}))
