"""Management pages: your projects and invitations, a project's releases and files, and
deleting things. Thin: each view checks access (decorators), validates a form and calls a
service; the services enforce the rules again, under the project's lock.

Every view needs a second factor when policy requires one (`require_two_factor`, right under
`login_required`): a stolen password alone must not change a project. It comes before the
project is looked up, so the answer to a user without one says nothing about the project."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
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
from warden.packaging.manage.forms import ProjectDeleteForm, YankForm
from warden.packaging.models import (
    File,
    InvitationStatus,
    Project,
    Release,
    Role,
    RoleInvitation,
)
from warden.packaging.services import (
    ManageError,
    file_delete,
    project_delete,
    release_delete,
    release_get,
    release_unyank,
    release_yank,
)


def _release(project: Project, version: str) -> Release:
    release = release_get(project=project, version=version)
    if release is None:
        raise Http404
    return release


@login_required
@require_two_factor
@require_safe
def projects(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    my_roles = (Role.objects.filter(user=user).select_related("project")
                .order_by("project__normalized_name"))
    invitations = (RoleInvitation.objects.filter(invitee=user, status=InvitationStatus.PENDING)
                   .select_related("project", "inviter").order_by("created"))
    return render(request, "manage/projects.html",
                  {"roles": my_roles, "invitations": invitations})


def _my_invitation(request: HttpRequest, pk: int) -> RoleInvitation:
    # Someone else's invitation is as invisible as one that doesn't exist.
    return get_object_or_404(RoleInvitation, pk=pk, invitee=request_user(request),
                             status=InvitationStatus.PENDING)


@login_required
@require_two_factor
@require_POST
def invitation_accept(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _my_invitation(request, pk)
    try:
        roles.invitation_accept(invitation=invitation,
                                origin=Origin.from_request(request))
    except ManageError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You joined %(project)s.")
                         % {"project": invitation.project.name})
    return redirect("manage-projects")


@login_required
@require_two_factor
@require_POST
def invitation_decline(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _my_invitation(request, pk)
    try:
        roles.invitation_decline(invitation=invitation,
                                 origin=Origin.from_request(request))
    except ManageError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You declined the invitation to %(project)s.")
                         % {"project": invitation.project.name})
    return redirect("manage-projects")


@login_required
@require_two_factor
@project_member
@require_safe
def project_overview(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    releases = list(project.releases.order_by("-created").prefetch_related("files"))
    rows = [(release, YankForm(version=release.version, prefix=f"yank-{release.pk}"))
            for release in releases]
    return render(request, "manage/project.html",
                  {"project": project, "role": role, "rows": rows, "section": "overview"})


@login_required
@require_two_factor
@project_member
@require_POST
def release_yank_view(request: HttpRequest, project: Project, role: Role,
                      version: str) -> HttpResponse:
    release = _release(project, version)
    form = YankForm(request.POST, version=release.version, prefix=f"yank-{release.pk}")
    if not form.is_valid():
        messages.error(request, _("The reason is too long."))
        return redirect("manage-project", name=project.normalized_name)
    try:
        release_yank(release=release, reason=form.cleaned_data["reason"],
                     origin=Origin.from_request(request))
    except ManageError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Release %(version)s is yanked.")
                         % {"version": release.version})
    return redirect("manage-project", name=project.normalized_name)


@login_required
@require_two_factor
@project_member
@require_POST
def release_unyank_view(request: HttpRequest, project: Project, role: Role,
                        version: str) -> HttpResponse:
    release = _release(project, version)
    try:
        release_unyank(release=release, origin=Origin.from_request(request))
    except ManageError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Release %(version)s is no longer yanked.")
                         % {"version": release.version})
    return redirect("manage-project", name=project.normalized_name)


@login_required
@require_two_factor
@project_member
@require_safe
def release_detail(request: HttpRequest, project: Project, role: Role,
                   version: str) -> HttpResponse:
    release = _release(project, version)
    return render(request, "manage/release.html",
                  {"project": project, "role": role, "release": release,
                   "files": release.files.order_by("filename"), "section": "overview"})


@login_required
@require_two_factor
@project_member
@require_reauth
def file_delete_view(request: HttpRequest, project: Project, role: Role, version: str,
                     filename: str) -> HttpResponse:
    release = _release(project, version)
    file = get_object_or_404(File, release=release, filename=filename)
    back = reverse("manage-project-release", args=[project.normalized_name, release.version])
    if request.method != "POST":
        return confirm_page(
            request, project=project, title=_("Delete %(filename)s") % {"filename": filename},
            text=_("The file is removed from the index for good. Its name can never be "
                   "used again, not even for the same bytes."),
            button=_("Delete file"), cancel=back)
    try:
        file_delete(file=file, origin=Origin.from_request(request))
    except ManageError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(filename)s is deleted.") % {"filename": filename})
    return redirect(back)


@login_required
@require_two_factor
@project_member
@require_reauth
def release_delete_view(request: HttpRequest, project: Project, role: Role,
                        version: str) -> HttpResponse:
    release = _release(project, version)
    back = reverse("manage-project-release", args=[project.normalized_name, release.version])
    if request.method != "POST":
        return confirm_page(
            request, project=project,
            title=_("Delete release %(version)s") % {"version": release.version},
            text=_("The release and all its files are removed for good. Their file names "
                   "can never be used again. To stop people installing it while keeping "
                   "it for those who pinned it, yank it instead."),
            button=_("Delete release"), cancel=back)
    try:
        release_delete(release=release, origin=Origin.from_request(request))
    except ManageError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("Release %(version)s is deleted.") % {"version": release.version})
    return redirect("manage-project", name=project.normalized_name)


@login_required
@require_two_factor
@project_owner
@require_safe
def project_settings(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    return render(request, "manage/settings.html",
                  {"project": project, "role": role, "form": ProjectDeleteForm(),
                   "section": "settings"})


@login_required
@require_two_factor
@project_owner
@require_reauth
def project_delete_view(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    cancel = reverse("manage-project-settings", args=[project.normalized_name])
    title = _("Delete %(project)s") % {"project": project.name}
    text = _("The project, its releases, files and collaborators are removed for good. "
             "The file names can never be used again.")
    if request.method != "POST":
        return confirm_page(request, project=project, title=title, text=text,
                        button=_("Delete project"), cancel=cancel, form=ProjectDeleteForm())
    form = ProjectDeleteForm(request.POST)
    if form.is_valid():
        try:
            project_delete(project=project, confirm_name=form.cleaned_data["confirm_name"],
                           origin=Origin.from_request(request))
        except ManageError as exc:
            form.add_error("confirm_name", exc.message)
        else:
            messages.success(request, _("%(project)s is deleted.") % {"project": project.name})
            return redirect("manage-projects")
    return confirm_page(request, project=project, title=title, text=text,
                    button=_("Delete project"), cancel=cancel, form=form, status=400)
