"""Staff pages for any project's PEP 792 status (not only one reached from a screening):
a list to find projects by name or status, and a project's page with its status form.

The list and page are read only; the change posts to `project_status_post`, which needs the
password entered within the last minutes, like every change that takes a project from its
owners or gives it back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from warden.accounts.decorators import require_reauth
from warden.accounts.twofactor.policy import require_two_factor
from warden.audit.origin import Origin
from warden.packaging.models import Project, ProjectStatus
from warden.packaging.names import name_normalize
from warden.packaging.quarantine import project_status_set
from warden.packaging.services import ManageError
from warden.review import labels
from warden.review.forms import ProjectFilterForm, ProjectStatusForm
from warden.review.views import history_rows
from warden.web.audit.views import staff_required

PAGE_SIZE = 50


@login_required
@staff_required
@require_two_factor
@never_cache
@require_safe
def project_list(request: HttpRequest) -> HttpResponse:
    form = ProjectFilterForm(request.GET)
    projects = Project.objects.order_by("normalized_name")
    if form.is_valid():
        if form.cleaned_data["q"]:
            projects = projects.filter(
                normalized_name__contains=name_normalize(form.cleaned_data["q"]))
        if form.cleaned_data["status"]:
            projects = projects.filter(status=form.cleaned_data["status"])
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "review/projects.html", {
        "form": form, "page": page, "section": "projects",
        "statuses": labels.PROJECT_STATUSES}, status=200 if form.is_valid() else 400)


def _project_page(request: HttpRequest, project: Project, form: ProjectStatusForm,
                  status: int = 200) -> HttpResponse:
    return render(request, "review/project.html", {
        "project": project, "form": form, "section": "projects",
        "status_label": labels.label(labels.PROJECT_STATUSES, project.status),
        "history": history_rows(project.normalized_name)}, status=status)


@login_required
@staff_required
@require_two_factor
@never_cache
@require_safe
def project_status(request: HttpRequest, name: str) -> HttpResponse:
    project = get_object_or_404(Project, normalized_name=name_normalize(name))
    form = ProjectStatusForm(initial={"status": project.status,
                                      "reason": project.status_reason})
    return _project_page(request, project, form)


@login_required
@staff_required
@require_two_factor
@require_POST
@require_reauth
def project_status_post(request: HttpRequest, name: str) -> HttpResponse:
    project = get_object_or_404(Project, normalized_name=name_normalize(name))
    form = ProjectStatusForm(request.POST)
    if not form.is_valid():
        return _project_page(request, project, form, status=400)
    status = ProjectStatus(form.cleaned_data["status"])
    try:
        project_status_set(project=project, status=status, reason=form.cleaned_data["reason"],
                           origin=Origin.from_request(request))
    except ManageError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(project)s is now %(status)s.") % {
            "project": project.name,
            "status": labels.label(labels.PROJECT_STATUSES, status.value)})
    return redirect("review-project", name=project.normalized_name)
