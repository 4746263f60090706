"""The staff screening pages (read only): the review queue, the failed results, and one
screening with everything a reviewer needs to decide. The forms on a screening's page post
to `warden.review.actions`; the checks' own pages are in `warden.review.checks`.

Every page: staff only, under `@login_required` (anyone else gets 404, as on the audit
search), with a second factor, never cached (they show other people's uploads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from warden.accounts.twofactor.policy import require_two_factor
from warden.audit.models import Event
from warden.checks.models import CheckResult, Review, Screening
from warden.packaging.models import ProjectStatus
from warden.review import queries
from warden.review.forms import (
    FailedFilterForm,
    QuarantineForm,
    QueueFilterForm,
    RemoveForm,
    ReviewForm,
)
from warden.web.audit.sentences import event_sentence
from warden.web.audit.views import staff_required

PAGE_SIZE = 25


def _page(request: HttpRequest, results: QuerySet[CheckResult]) -> dict[str, Any]:
    page: Page[CheckResult] = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page,
            "page_range": list(page.paginator.get_elided_page_range(page.number,
                                                                    on_each_side=2))}


@login_required
@staff_required
@require_two_factor
@never_cache
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET, checks=queries.check_names())
    if not form.is_valid():
        return render(request, "review/queue.html", {"form": form, "section": "queue"},
                      status=400)
    results = queries.results_flagged(**form.cleaned_data)
    return render(request, "review/queue.html", {
        "form": form, "section": "queue", "pending": queries.screenings_pending(),
        **_page(request, results)})


@login_required
@staff_required
@require_two_factor
@never_cache
@require_safe
def failed(request: HttpRequest) -> HttpResponse:
    form = FailedFilterForm(request.GET, checks=queries.check_names())
    if not form.is_valid():
        return render(request, "review/failed.html", {"form": form, "section": "failed"},
                      status=400)
    return render(request, "review/failed.html", {
        "form": form, "section": "failed", **_page(request, queries.results_failed(
            check=form.cleaned_data["check"]))})


@dataclass(frozen=True)
class ResultView:
    result: CheckResult
    form: Form


@dataclass(frozen=True)
class HistoryRow:
    event: Event
    sentence: str


def history_rows(normalized_name: str) -> list[HistoryRow]:
    return [HistoryRow(e, event_sentence(e)) for e in queries.project_history(normalized_name)]


def screening_get(screening_id: int) -> Screening:
    return get_object_or_404(Screening.objects.select_related(
        "file__release__project", "uploader", "backfill"), pk=screening_id)


# What a reviewer should read first: what was flagged, then what failed, then the rest.
_ORDER = {"malicious": 0, "suspicious": 1, "": 2, "indeterminate": 3, "clean": 4}


def _severity(result: CheckResult) -> tuple[int, float, str]:
    return _ORDER.get(result.classification, 5), -result.confidence, result.check_name


def _review_form(result: CheckResult) -> ReviewForm:
    initial = {"note": result.review_note}
    if result.review != Review.UNREVIEWED:
        initial["review"] = result.review
    return ReviewForm(prefix=f"r{result.pk}", initial=initial)


def screening_page(request: HttpRequest, screening: Screening, *,
                   bound: dict[str, Form] | None = None, status: int = 200) -> HttpResponse:
    """The page of one screening; `bound` holds a posted form that did not validate, under
    its key ("review-<result id>", "project", "release", "remove"), to show its errors."""
    bound = bound or {}
    project = queries.project_of(screening)
    release = queries.release_of(screening, project)
    results = [ResultView(r, bound.get(f"review-{r.pk}") or _review_form(r))
               for r in sorted(screening.results.select_related("reviewer"), key=_severity)]
    remove_form = bound.get("remove")
    if remove_form is None and project is not None:
        remove_form = RemoveForm(prefix="remove", project_name=project.name,
                                 normalized_name=project.normalized_name)
    return render(request, "review/screening.html", {
        "screening": screening, "project": project, "release": release,
        "project_quarantined": project is not None
        and project.status == ProjectStatus.QUARANTINED,
        "results": results, "members": queries.members_of(screening),
        "members_max": queries.MEMBERS_SHOWN,
        "history": history_rows(screening.normalized_name),
        "project_form": bound.get("project") or QuarantineForm(prefix="project"),
        "release_form": bound.get("release") or QuarantineForm(prefix="release"),
        "remove_form": remove_form,
    }, status=status)


@login_required
@staff_required
@require_two_factor
@never_cache
@require_safe
def screening_detail(request: HttpRequest, screening_id: int) -> HttpResponse:
    return screening_page(request, screening_get(screening_id))
