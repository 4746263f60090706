"""The public pages: home, search, project, release and user. Read only; the queries live in
`warden.web.queries`, README rendering in `warden.web.readme`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from warden.accounts.models import User
from warden.packaging.models import File, Project, ProjectStatus, Release
from warden.packaging.names import name_normalize
from warden.packaging.services import release_get
from warden.packaging.versions import is_prerelease, release_current
from warden.web import queries
from warden.web.readme import readme_render

SEARCH_PAGE_SIZE = 20


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {
        "counts": queries.site_counts(),
        "recent": queries.projects_recently_updated(),
    })


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = None
    if query:
        paginator = Paginator(queries.project_search(query=query), SEARCH_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
    return render(request, "web/search.html", {
        "query": query,
        "page": page,
        "page_range": (page.paginator.get_elided_page_range(page.number, on_each_side=2)
                       if page else []),
    })


@dataclass(frozen=True)
class ReleaseRow:
    release: Release
    prerelease: bool


def _project_or_404(name: str) -> Project:
    return get_object_or_404(Project, normalized_name=name_normalize(name))


def _project_page(request: HttpRequest, project: Project, release: Release | None,
                  releases: list[Release], *, current: Release | None) -> HttpResponse:
    quarantined = project.status == ProjectStatus.QUARANTINED
    files: list[File] = []
    if release is not None and not quarantined:  # PEP 792: no files while quarantined
        # The sdist first ("sdist" > "bdist_wheel"), then the wheels by name.
        files = list(File.objects.offered().filter(release=release).order_by(
            "-packagetype", "filename"))
    context: dict[str, Any] = {
        "project": project,
        "release": release,
        "current": current,
        "releases": [ReleaseRow(r, is_prerelease(r.version)) for r in releases],
        "files": files,
        "quarantined": quarantined,
        "maintainers": queries.project_maintainers(project=project),
    }
    if release is not None:
        context.update(
            readme=readme_render(description=release.description,
                                 content_type=release.description_content_type),
            links=queries.project_urls_listed(release),
            classifiers=queries.classifiers_grouped(release.classifiers or []),
            prerelease=is_prerelease(release.version),
        )
    return render(request, "web/project.html", context)


@require_safe
def project_detail(request: HttpRequest, name: str) -> HttpResponse:
    project = _project_or_404(name)
    if name != project.normalized_name:
        return redirect("project", name=project.normalized_name, permanent=True)
    releases = queries.releases_newest_first(project=project)
    current = release_current(releases)
    return _project_page(request, project, current, releases, current=current)


@require_safe
def release_detail(request: HttpRequest, name: str, version: str) -> HttpResponse:
    project = _project_or_404(name)
    release = release_get(project=project, version=version)  # any PEP 440-equal spelling
    if release is None:
        raise Http404
    if name != project.normalized_name or version != release.version:
        return redirect("release", name=project.normalized_name, version=release.version,
                        permanent=True)
    releases = queries.releases_newest_first(project=project)
    return _project_page(request, project, release, releases,
                         current=release_current(releases))


@require_safe
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    # A disabled account has no public page: 404, as if it never existed.
    person = get_object_or_404(User, username=username, is_active=True)
    return render(request, "web/user.html", {
        "person": person,
        "projects": queries.user_projects(user=person),
    })
