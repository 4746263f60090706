"""The three audit pages: a user's security history, a project's history for its people, and
the staff search with its CSV and JSON exports. Read only; the queries are in
`warden.web.audit.queries`, the words in `warden.web.audit.sentences`."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from warden.accounts.twofactor.policy import require_two_factor
from warden.audit.models import Event
from warden.packaging.manage.access import project_member
from warden.packaging.manage.common import request_user
from warden.packaging.models import Project, Role
from warden.web.audit import queries
from warden.web.audit.forms import KindFilterForm, StaffSearchForm
from warden.web.audit.sentences import event_sentence, tag_label

PAGE_SIZE = 25
EXPORT_COLUMNS = [
    "id", "time", "tag", "actor", "token_id", "token_description", "user", "project",
    "version", "filename", "ip_prefix", "ip_hash", "user_agent", "details",
]
# A spreadsheet runs a cell that starts with one of these as a formula ("CSV injection"):
# usernames, filenames and user agents are chosen by whoever acted, so every cell is guarded.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

View = Callable[..., HttpResponseBase]


@dataclass(frozen=True)
class Row:
    event: Event
    sentence: str
    label: str


def _rows(page: Page[Event]) -> list[Row]:
    return [Row(e, event_sentence(e), tag_label(e.tag)) for e in page.object_list]


def _page(request: HttpRequest, events: QuerySet[Event]) -> tuple[Page[Event], list[Any]]:
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return page, list(page.paginator.get_elided_page_range(page.number, on_each_side=2))


def staff_required(view: View) -> View:
    """Staff only, under `@login_required`. Anyone else gets 404: the page is not theirs
    to know about, like a management page of a project they have no role on."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not (request.user.is_active and request.user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)
    return wrapper


@login_required
@never_cache
@require_safe
def user_history(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = KindFilterForm(request.GET or None,
                          tags=queries.tags_of_chain(queries.user_chain(user.pk)))
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    page, page_range = _page(request, queries.events_of_user(user_id=user.pk, tag=kind))
    return render(request, "audit/user_history.html", {
        "form": form, "kind": kind, "page": page, "page_range": page_range,
        "rows": _rows(page),
    })


@login_required
@require_two_factor  # like every other page under /manage/project/
@project_member
@never_cache
@require_safe
def project_history(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = KindFilterForm(request.GET or None,
                          tags=queries.tags_of_chain(queries.project_chain(
                              project.normalized_name)))
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    page, page_range = _page(request, queries.events_of_project(project=project, tag=kind))
    return render(request, "audit/project_history.html", {
        "project": project, "role": role, "section": "history", "form": form, "kind": kind,
        "page": page, "page_range": page_range, "rows": _rows(page),
    })


# Staff always need a second factor (whatever WARDEN_REQUIRE_2FA says): this page shows
# everyone's history. Checked after `staff_required`, so to anyone else it stays a 404.
@login_required
@staff_required
@require_two_factor
@never_cache
@require_safe
def staff_search(request: HttpRequest) -> HttpResponseBase:
    form = StaffSearchForm(request.GET)
    export = request.GET.get("format", "")
    if not form.is_valid():
        return render(request, "audit/staff_search.html", {"form": form, "rows": []},
                      status=400)
    events = queries.events_search(
        username=form.cleaned_data["username"], project=form.cleaned_data["project"],
        tag=form.cleaned_data["tag"], ip_prefix=form.cleaned_data["ip"],
        date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"])
    if export == "csv":
        return _export(_csv_lines(events), "csv", "text/csv; charset=utf-8")
    if export == "json":
        return _export(_json_chunks(events), "json", "application/json")
    page, page_range = _page(request, events)
    return render(request, "audit/staff_search.html", {
        "form": form, "page": page, "page_range": page_range, "rows": _rows(page),
    })


# --- exports ----------------------------------------------------------------------------------


def export_record(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk, "time": event.created.isoformat(), "tag": event.tag,
        "actor": event.actor_username, "token_id": event.token_id,
        "token_description": event.token_description, "user": event.username,
        "project": event.project_name, "version": event.version, "filename": event.filename,
        "ip_prefix": event.ip_prefix,
        # A keyed hash: it matches events from one address without revealing the address.
        "ip_hash": event.ip_hash, "user_agent": event.user_agent, "details": event.details,
    }


def csv_cell(value: Any) -> str:
    if isinstance(value, dict | list):
        text = json.dumps(value, sort_keys=True)
    else:
        text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object for `csv.writer` that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _each(events: QuerySet[Event]) -> Iterable[Event]:
    return events.iterator(chunk_size=1000)


def _csv_lines(events: QuerySet[Event]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for event in _each(events):
        record = export_record(event)
        yield writer.writerow([csv_cell(record[column]) for column in EXPORT_COLUMNS])


def _json_chunks(events: QuerySet[Event]) -> Iterator[str]:
    yield "["
    separator = ""
    for event in _each(events):
        yield separator + json.dumps(export_record(event), sort_keys=True)
        separator = ",\n"
    yield "]\n"


def _export(chunks: Iterator[str], extension: str, content_type: str) -> StreamingHttpResponse:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="warden-audit-{stamp}.{extension}"'
    return response
