"""Read-only queries behind the staff review pages: the queue of flagged results, the
results that failed, and what a screening's page shows about its file (the project and
release it came from, the archive's members, the project's history)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.storage import default_storage
from django.db.models import Case, IntegerField, QuerySet, Value, When

from warden.audit.models import Event
from warden.checks.archive import Archive, Member
from warden.checks.base import Classification
from warden.checks.models import CheckResult, Screening
from warden.packaging.models import Project, Release
from warden.packaging.names import name_normalize
from warden.web.audit.queries import events_search

FLAGGED = (Classification.SUSPICIOUS.value, Classification.MALICIOUS.value)
# Reading an archive to list its members costs its size in memory: bigger files are not
# listed on the page (the checks read them in the worker, where memory is limited).
MEMBERS_READ_MAX = 100_000_000
MEMBERS_SHOWN = 500
HISTORY_SHOWN = 20


def results_flagged(*, review: str = "", check: str = "", classification: str = "",
                    project: str = "", state: str = "") -> QuerySet[CheckResult]:
    """Suspicious and malicious results, of evaluation and enabled checks alike, the most
    severe first: malicious before suspicious, then the most confident, then the oldest
    (the one waiting longest)."""
    results = CheckResult.objects.filter(classification__in=FLAGGED)
    if review:
        results = results.filter(review=review)
    if check:
        results = results.filter(check_name=check)
    if classification:
        results = results.filter(classification=classification)
    if project:
        results = results.filter(screening__normalized_name=name_normalize(project))
    if state:
        results = results.filter(state=state)
    severity = Case(*(When(classification=c.value, then=Value(c.rank)) for c in Classification),
                    default=Value(0), output_field=IntegerField())
    return results.select_related("screening").annotate(severity=severity).order_by(
        "-severity", "-confidence", "created", "pk")


def results_failed(*, check: str = "") -> QuerySet[CheckResult]:
    """Results of checks that raised or overran (no classification), newest first."""
    results = CheckResult.objects.filter(classification="")
    if check:
        results = results.filter(check_name=check)
    return results.select_related("screening").order_by("-created", "-pk")


def check_names() -> list[str]:
    """Every check that ever left a result (installed now or not)."""
    return sorted(CheckResult.objects.values_list("check_name", flat=True).distinct())


def screenings_pending() -> int:
    return Screening.objects.filter(state="pending").count()


def project_of(screening: Screening) -> Project | None:
    """The project the screened file belongs to, while it exists. Once the file is deleted,
    the project of that name if it already existed when the file was screened: one
    registered later under the name is someone else's."""
    if screening.file is not None:
        return screening.file.release.project
    return Project.objects.filter(
        normalized_name=screening.normalized_name,
        created__lte=screening.created + timedelta(seconds=1)).first()


def release_of(screening: Screening, project: Project | None) -> Release | None:
    if screening.file is not None:
        return screening.file.release
    if project is None:
        return None
    return Release.objects.filter(project=project, version=screening.version,
                                  created__lte=screening.created + timedelta(seconds=1)).first()


@dataclass
class Members:
    """What the page lists of an archive: its first members, how many it has, and why
    nothing is listed when nothing is (too big to read here, missing from storage)."""

    shown: list[Member] = field(default_factory=list)
    total: int = 0
    broken: bool = False
    unreadable: bool = False
    too_big: bool = False


def members_of(screening: Screening) -> Members | None:
    """The first MEMBERS_SHOWN members of the screened file, read from storage in memory
    (never extracted). None once the file is deleted."""
    file = screening.file
    if file is None:
        return None
    if file.size > MEMBERS_READ_MAX:
        return Members(too_big=True)
    try:
        with default_storage.open(f"packages/{file.path}", "rb") as stored:
            data = stored.read(MEMBERS_READ_MAX + 1)
    except OSError:
        return Members(unreadable=True)
    archive = Archive(file.filename, data)
    return Members(shown=archive.members[:MEMBERS_SHOWN], total=len(archive.members),
                   broken=archive.broken)


def project_history(normalized_name: str) -> list[Event]:
    """The latest events recorded under a project's name, staff's own included (reviews,
    removals), also those of a deleted project of that name."""
    return list(events_search(project=normalized_name)[:HISTORY_SHOWN])
