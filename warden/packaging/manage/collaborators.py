"""The collaborators page: roles, invitations, changing and removing roles. Owners manage;
a maintainer sees the list and may leave. Every change needs a recent password, and every
page a second factor when policy requires one (see `views`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from warden.accounts.decorators import require_reauth
from warden.accounts.twofactor.policy import require_two_factor
from warden.audit.origin import Origin
from warden.packaging import roles
from warden.packaging.manage.access import project_member, project_owner
from warden.packaging.manage.common import confirm_page, request_user
from warden.packaging.manage.forms import InviteForm, RoleChangeForm
from warden.packaging.models import InvitationStatus, Project, Role, RoleInvitation, RoleName
from warden.packaging.services import ManageError


def _page(request: HttpRequest, project: Project, role: Role, *,
          invite_form: InviteForm | None = None, status: int = 200) -> HttpResponse:
    project_roles = project.roles.select_related("user").order_by("role_name", "user__username")
    rows = [(r, RoleChangeForm(initial={"role_name": r.role_name}, username=r.user.username,
                               prefix=f"role-{r.pk}")) for r in project_roles]
    invitations = (project.invitations.filter(status=InvitationStatus.PENDING)
                   .select_related("invitee").order_by("created"))
    return render(request, "manage/collaborators.html", {
        "project": project, "role": role, "rows": rows, "invitations": invitations,
        "is_owner": role.role_name == RoleName.OWNER,
        "invite_form": invite_form or InviteForm(prefix="invite"),
        "section": "collaborators",
    }, status=status)


def _back(project: Project) -> HttpResponse:
    return redirect("manage-project-collaborators", name=project.normalized_name)


@login_required
@require_two_factor
@project_member
@require_safe
def collaborators(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    return _page(request, project, role)


@login_required
@require_two_factor
@project_owner
@require_POST
@require_reauth
def role_invite_view(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = InviteForm(request.POST, prefix="invite")
    if form.is_valid():
        try:
            invitation = roles.role_invite(
                project=project, invitee_username=form.cleaned_data["username"],
                role_name=form.cleaned_data["role_name"], origin=Origin.from_request(request))
        except ManageError as exc:
            form.add_error("username", exc.message)
        else:
            messages.success(request, _("%(username)s is invited. They can accept on their "
                                        "Your projects page.")
                             % {"username": invitation.invitee.username})
            return _back(project)
    return _page(request, project, role, invite_form=form, status=400)


@login_required
@require_two_factor
@project_owner
@require_POST
@require_reauth
def role_change_view(request: HttpRequest, project: Project, role: Role,
                     username: str) -> HttpResponse:
    target = get_object_or_404(Role.objects.select_related("user"), project=project,
                               user__username=username)
    form = RoleChangeForm(request.POST, prefix=f"role-{target.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return _back(project)
    try:
        roles.role_change(project=project, user=target.user,
                          role_name=form.cleaned_data["role_name"],
                          origin=Origin.from_request(request))
    except ManageError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The role of %(username)s is changed.")
                         % {"username": username})
    return _back(project)


@login_required
@require_two_factor
@project_member
@require_reauth
def role_remove_view(request: HttpRequest, project: Project, role: Role,
                     username: str) -> HttpResponse:
    target = get_object_or_404(Role.objects.select_related("user"), project=project,
                               user__username=username)
    me = request_user(request)
    leaving = target.user_id == me.pk
    if request.method != "POST":
        if leaving:
            title = _("Leave %(project)s") % {"project": project.name}
            text = _("You will no longer be able to upload to or manage this project.")
        else:
            title = _("Remove %(username)s from %(project)s") % {
                "username": username, "project": project.name}
            text = _("They will no longer be able to upload to or manage this project.")
        return confirm_page(request, project=project, title=title, text=text,
                        button=_("Leave project") if leaving else _("Remove"),
                        cancel=reverse("manage-project-collaborators",
                                       args=[project.normalized_name]))
    try:
        roles.role_remove(project=project, user=target.user, origin=Origin.from_request(request))
    except ManageError as exc:
        messages.error(request, exc.message)
        return _back(project)
    if leaving:
        messages.success(request, _("You left %(project)s.") % {"project": project.name})
        return redirect("manage-projects")
    messages.success(request, _("%(username)s is removed.") % {"username": username})
    return _back(project)


@login_required
@require_two_factor
@project_owner
@require_POST
@require_reauth
def invitation_revoke_view(request: HttpRequest, project: Project, role: Role,
                           pk: int) -> HttpResponse:
    invitation = get_object_or_404(RoleInvitation, pk=pk, project=project,
                                   status=InvitationStatus.PENDING)
    try:
        roles.invitation_revoke(invitation=invitation, origin=Origin.from_request(request))
    except ManageError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The invitation is revoked."))
    return _back(project)
