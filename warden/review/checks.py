"""The staff pages of the installed checks: the list with each check's state and how often
reviewers found it right, and one check's page where staff set its state and re-scan every
stored file with it (a backfill), to measure a new check or version before enabling it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from warden.accounts.decorators import require_reauth
from warden.accounts.twofactor.policy import require_two_factor
from warden.audit.origin import Origin
from warden.checks.base import Check, State
from warden.checks.models import Backfill
from warden.checks.registry import installed
from warden.checks.services import (
    backfill_progress,
    check_backfill,
    check_state_set,
    check_states,
    check_statistics,
)
from warden.review.forms import CheckStateForm
from warden.review.labels import STATES
from warden.web.audit.views import staff_required

BACKFILLS_SHOWN = 10


@dataclass(frozen=True)
class CheckRow:
    cls: type[Check]
    state: State
    stats: dict[str, Any]


@dataclass(frozen=True)
class BackfillRow:
    backfill: Backfill
    done: int
    total: int


def _check(name: str) -> type[Check]:
    cls = installed().get(name)
    if cls is None:
        raise Http404("No such check is installed.")
    return cls


@login_required
@staff_required
@require_two_factor
@never_cache
@require_safe
def check_list(request: HttpRequest) -> HttpResponse:
    states = check_states()
    rows = [CheckRow(cls, states[name], check_statistics(name=name, version=cls.version))
            for name, cls in installed().items()]
    return render(request, "review/checks.html", {"rows": rows, "section": "checks"})


def check_page(request: HttpRequest, cls: type[Check], *, form: CheckStateForm | None = None,
               status: int = 200) -> HttpResponse:
    state = check_states()[cls.name]
    backfills = Backfill.objects.filter(check_name=cls.name).select_related(
        "started_by").order_by("-created", "-pk")[:BACKFILLS_SHOWN]
    return render(request, "review/check.html", {
        "check": cls, "state": state, "section": "checks",
        "hooks": sorted(h.value for h in cls.hooks),
        "stats": check_statistics(name=cls.name, version=cls.version),
        "form": form or CheckStateForm(initial={"state": state.value}),
        "backfills": [BackfillRow(b, *backfill_progress(b)) for b in backfills],
    }, status=status)


@login_required
@staff_required
@require_two_factor
@never_cache
@require_safe
def check_detail(request: HttpRequest, name: str) -> HttpResponse:
    return check_page(request, _check(name))


# Enabling a check lets it quarantine projects on its own; disabling one stops screening
# with it: either is a change of the index's defences, so it needs a recent password.
@login_required
@staff_required
@require_two_factor
@require_POST
@require_reauth
def check_state(request: HttpRequest, name: str) -> HttpResponse:
    cls = _check(name)
    form = CheckStateForm(request.POST)
    if not form.is_valid():
        return check_page(request, cls, form=form, status=400)
    state = State(form.cleaned_data["state"])
    check_state_set(name=cls.name, state=state, origin=Origin.from_request(request))
    messages.success(request, _("The check %(check)s is now in the %(state)s state.")
                     % {"check": cls.name, "state": STATES[state.value]})
    return redirect("review-check", name=cls.name)


@login_required
@staff_required
@require_two_factor
@require_POST
def check_backfill_view(request: HttpRequest, name: str) -> HttpResponse:
    cls = _check(name)
    backfill = check_backfill(name=cls.name, origin=Origin.from_request(request))
    messages.success(request, ngettext(
        "Re-scanning %(count)d file with %(check)s. The results go to the review queue; a "
        "re-scan never quarantines.",
        "Re-scanning %(count)d files with %(check)s. The results go to the review queue; a "
        "re-scan never quarantines.", backfill.total)
        % {"count": backfill.total, "check": cls.name})
    return redirect("review-check", name=cls.name)
