"""Read-side queries for the public pages. Nothing here writes.

Quarantined projects (PEP 792: staff stopped them, typically for malware) are left out of
every listing: the home page, search and user pages. Their own page still answers, with
the notice and without files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from warden.accounts.models import User
from warden.packaging.models import File, Project, ProjectStatus, Release, Role, RoleName
from warden.packaging.names import name_normalize
from warden.packaging.versions import version_key

SEARCH_QUERY_MAX_LENGTH = 200


def projects_listed() -> QuerySet[Project]:
    """Projects that may appear in listings."""
    return Project.objects.exclude(status=ProjectStatus.QUARANTINED)


@dataclass(frozen=True)
class SiteCounts:
    projects: int
    releases: int
    files: int
    users: int


def site_counts() -> SiteCounts:
    listed = projects_listed()
    return SiteCounts(
        projects=listed.count(),
        releases=Release.objects.filter(project__in=listed).count(),
        files=File.objects.filter(release__project__in=listed).count(),
        users=User.objects.filter(is_active=True).count(),
    )


def _newest_release(field: str) -> Subquery:
    """A subquery for `field` of the project's most recently created release."""
    return Subquery(Release.objects.filter(project=OuterRef("pk"))
                    .order_by("-created", "-pk").values(field)[:1])


def projects_recently_updated(*, limit: int = 10) -> list[Project]:
    """The projects with the newest releases, each annotated with that release's
    `latest_version`, `latest_summary` and `latest_created`."""
    return list(
        projects_listed()
        .annotate(latest_version=_newest_release("version"),
                  latest_summary=_newest_release("summary"),
                  latest_created=_newest_release("created"))
        .filter(latest_created__isnull=False)
        .order_by("-latest_created", "name")[:limit]
    )


def project_search(*, query: str) -> QuerySet[Project]:
    """Listed projects matching `query` by name or by the summary of their newest release,
    the project named exactly `query` first. Full-text search on PostgreSQL, a substring
    match elsewhere. Each result is annotated with `latest_version` and `latest_summary`."""
    query = query.strip()[:SEARCH_QUERY_MAX_LENGTH]
    normalized = name_normalize(query)
    projects = projects_listed().annotate(
        latest_version=_newest_release("version"),
        latest_summary=_newest_release("summary"),
        exact=Case(When(normalized_name=normalized, then=Value(1)), default=Value(0),
                   output_field=IntegerField()),
    )
    by_name = Q(name__icontains=query) | Q(normalized_name__contains=normalized)
    if connection.vendor != "postgresql":
        return (projects.filter(by_name | Q(latest_summary__icontains=query))
                .order_by("-exact", "name"))
    # Only expressions from contrib.postgres, not its app: importing the module registers
    # the `vector = query` lookup, so nothing needs adding to INSTALLED_APPS.
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    # Words in the name weigh more than words in the summary; the substring match on the
    # name stays, so that part of a name ("frobni") still finds the project.
    vector = (SearchVector("name", weight="A", config="english")
              + SearchVector("latest_summary", weight="B", config="english"))
    search = SearchQuery(query, search_type="websearch", config="english")
    return (projects.annotate(document=vector, rank=SearchRank(vector, search))
            .filter(Q(document=search) | by_name)
            .order_by("-exact", "-rank", "name"))


def releases_newest_first(*, project: Project) -> list[Release]:
    releases = list(project.releases.all())
    releases.sort(key=lambda r: version_key(r.version), reverse=True)
    return releases


def project_maintainers(*, project: Project) -> list[User]:
    """Active users with a role on the project, owners first."""
    return list(
        User.objects.filter(is_active=True, roles__project=project)
        .annotate(owner=Count("roles", filter=Q(roles__project=project,
                                                 roles__role_name=RoleName.OWNER)))
        .order_by("-owner", "username")
    )


def classifiers_grouped(classifiers: Iterable[str]) -> list[tuple[str, list[str]]]:
    """`["Topic :: A", "Topic :: B :: C", "License :: X"]` as
    `[("License", ["X"]), ("Topic", ["A", "B :: C"])]`."""
    groups: dict[str, list[str]] = {}
    for classifier in classifiers:
        group, _, rest = str(classifier).partition(" :: ")
        groups.setdefault(group, [])
        if rest:
            groups[group].append(rest)
    return sorted((group, sorted(items)) for group, items in groups.items())


def project_urls_listed(release: Release) -> list[tuple[str, str]]:
    """The release's links, home page first; only http(s) URLs, as anything else (a
    `javascript:` URL) must never become a link."""
    links: list[tuple[str, str]] = []
    if release.home_page:
        links.append((str(_("Homepage")), release.home_page))
    urls: Any = release.project_urls
    if isinstance(urls, dict):
        links.extend((str(label), str(url)) for label, url in urls.items())
    seen: set[str] = set()
    listed = []
    for label, url in links:
        if url.lower().startswith(("https://", "http://")) and url not in seen:
            seen.add(url)
            listed.append((label, url))
    return listed


def user_projects(*, user: User) -> list[Project]:
    """Listed projects on which `user` holds a role, by name, each annotated with
    `role_name`, `latest_version` and `latest_summary`."""
    return list(
        projects_listed().filter(roles__user=user)
        .annotate(role_name=Subquery(Role.objects.filter(project=OuterRef("pk"), user=user)
                                     .values("role_name")[:1]),
                  latest_version=_newest_release("version"),
                  latest_summary=_newest_release("summary"))
        .order_by("normalized_name")
    )
