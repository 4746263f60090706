"""What staff do from a screening's page: record a verdict on a check's result, quarantine
or release the project or the release, remove the project and prohibit its name. Each posts,
calls a service (which records the audit event), says what happened in a message and goes
back to the screening's page (POST-redirect-GET); a form that does not validate is shown
again with its errors.

Quarantine, release and removal take a project from its owners, or give it back: like
every other change of that weight, they need the password entered within the last minutes
(`@require_reauth`), so a stolen session or an unattended browser is not enough."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warden.accounts.decorators import require_reauth
from warden.accounts.twofactor.policy import require_two_factor
from warden.audit.origin import Origin
from warden.checks.models import CheckResult, Review
from warden.checks.services import result_review
from warden.packaging.models import Project, Release
from warden.packaging.quarantine import (
    project_quarantine,
    project_unquarantine,
    release_quarantine,
    release_unquarantine,
)
from warden.packaging.services import ManageError
from warden.packaging.staff import project_remove_and_prohibit
from warden.review import queries
from warden.review.forms import QuarantineForm, RemoveForm, ReviewForm
from warden.review.views import screening_get, screening_page
from warden.web.audit.views import staff_required


def _back(screening_id: int) -> HttpResponse:
    return redirect("review-screening", screening_id=screening_id)


def _done(request: HttpRequest, screening_id: int, act: Callable[[], object],
          message: str) -> HttpResponse:
    """Run the service `act`; say `message`, or the service's reason for refusing (already
    quarantined, not quarantined), and go back to the screening."""
    try:
        act()
    except ManageError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return _back(screening_id)


def _project(screening_id: int) -> Project:
    project = queries.project_of(screening_get(screening_id))
    if project is None:
        raise Http404("The screened file's project is gone.")
    return project


def _release(screening_id: int) -> Release:
    screening = screening_get(screening_id)
    release = queries.release_of(screening, queries.project_of(screening))
    if release is None:
        raise Http404("The screened file's release is gone.")
    return release


@login_required
@staff_required
@require_two_factor
@require_POST
def review(request: HttpRequest, screening_id: int, result_id: int) -> HttpResponse:
    result = get_object_or_404(CheckResult, pk=result_id, screening_id=screening_id)
    form = ReviewForm(request.POST, prefix=f"r{result.pk}")
    if not form.is_valid():
        return screening_page(request, screening_get(screening_id),
                              bound={f"review-{result.pk}": form}, status=400)
    result_review(result=result, review=Review(form.cleaned_data["review"]),
                  note=form.cleaned_data["note"], origin=Origin.from_request(request))
    messages.success(request, _("Your review of the %(check)s result is saved.")
                     % {"check": result.check_name})
    return _back(screening_id)


@login_required
@staff_required
@require_two_factor
@require_POST
@require_reauth
def project_quarantine_view(request: HttpRequest, screening_id: int) -> HttpResponse:
    project = _project(screening_id)
    form = QuarantineForm(request.POST, prefix="project")
    if not form.is_valid():
        return screening_page(request, screening_get(screening_id), bound={"project": form},
                              status=400)
    origin, reason = Origin.from_request(request), form.cleaned_data["reason"]
    return _done(request, screening_id,
                 lambda: project_quarantine(project=project, reason=reason, origin=origin),
                 _("%(project)s is quarantined: none of its files can be installed.")
                 % {"project": project.name})


@login_required
@staff_required
@require_two_factor
@require_POST
@require_reauth
def project_unquarantine_view(request: HttpRequest, screening_id: int) -> HttpResponse:
    project = _project(screening_id)
    origin = Origin.from_request(request)
    return _done(request, screening_id,
                 lambda: project_unquarantine(project=project, origin=origin),
                 _("%(project)s is released from quarantine: its files can be installed "
                   "again.") % {"project": project.name})


@login_required
@staff_required
@require_two_factor
@require_POST
@require_reauth
def release_quarantine_view(request: HttpRequest, screening_id: int) -> HttpResponse:
    release = _release(screening_id)
    form = QuarantineForm(request.POST, prefix="release")
    if not form.is_valid():
        return screening_page(request, screening_get(screening_id), bound={"release": form},
                              status=400)
    origin, reason = Origin.from_request(request), form.cleaned_data["reason"]
    return _done(request, screening_id,
                 lambda: release_quarantine(release=release, reason=reason, origin=origin),
                 _("Release %(version)s is quarantined: none of its files can be installed.")
                 % {"version": release.version})


@login_required
@staff_required
@require_two_factor
@require_POST
@require_reauth
def release_unquarantine_view(request: HttpRequest, screening_id: int) -> HttpResponse:
    release = _release(screening_id)
    origin = Origin.from_request(request)
    return _done(request, screening_id,
                 lambda: release_unquarantine(release=release, origin=origin),
                 _("Release %(version)s is released from quarantine: its files can be "
                   "installed again.") % {"version": release.version})


@login_required
@staff_required
@require_two_factor
@require_POST
@require_reauth
def project_remove_view(request: HttpRequest, screening_id: int) -> HttpResponse:
    project = _project(screening_id)
    form = RemoveForm(request.POST, prefix="remove", project_name=project.name,
                      normalized_name=project.normalized_name)
    if not form.is_valid():
        return screening_page(request, screening_get(screening_id), bound={"remove": form},
                              status=400)
    origin = Origin.from_request(request)
    reason = form.cleaned_data["reason"].strip() or (
        f"removed by staff after screening {screening_id}")
    project_remove_and_prohibit(project=project, reason=reason, origin=origin)
    messages.success(request, _("%(project)s is removed and its name is prohibited: nobody "
                                "can register it (or a look-alike) again.")
                     % {"project": project.name})
    return _back(screening_id)
