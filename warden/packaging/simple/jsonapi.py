"""`/pypi/<project>/json` and `/pypi/<project>/<version>/json`, in the shape PyPI serves."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_safe
from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion

from warden.packaging.models import File, Project, Release
from warden.packaging.names import name_normalize
from warden.packaging.versions import release_current, version_key

# PEP 792 and screening: only the files an installer may fetch (a quarantined project's
# releases are listed without files).
_offered = Prefetch("files", queryset=File.objects.offered())


def _file_json(request: HttpRequest, f: File, release: Release) -> dict[str, Any]:
    return {
        "comment_text": "",
        "digests": {"blake2b_256": f.blake2_256, "md5": f.md5, "sha256": f.sha256},
        "downloads": -1,
        "filename": f.filename,
        "has_sig": False,
        "md5_digest": f.md5,
        "packagetype": f.packagetype,
        "python_version": f.python_version,
        "requires_python": f.requires_python or None,
        "size": f.size,
        "upload_time": f.upload_time.strftime("%Y-%m-%dT%H:%M:%S"),
        "upload_time_iso_8601": f.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "url": request.build_absolute_uri(f"/packages/{f.path}"),
        "yanked": release.yanked,
        "yanked_reason": release.yanked_reason or None,
    }


def _info(request: HttpRequest, project: Project, release: Release) -> dict[str, Any]:
    base = request.build_absolute_uri("/")
    return {
        "author": release.author, "author_email": release.author_email,
        "bugtrack_url": None, "classifiers": release.classifiers,
        "description": release.description,
        "description_content_type": release.description_content_type or None,
        "docs_url": None, "download_url": release.download_url or None,
        "downloads": {"last_day": -1, "last_month": -1, "last_week": -1},
        "dynamic": None, "home_page": release.home_page or None,
        "keywords": release.keywords, "license": release.license or None,
        "license_expression": release.license_expression or None,
        "maintainer": release.maintainer, "maintainer_email": release.maintainer_email,
        "name": project.name,
        "package_url": f"{base}project/{project.normalized_name}/",
        "platform": ", ".join(release.platform) or None,
        "project_url": f"{base}project/{project.normalized_name}/",
        "project_urls": release.project_urls or None,
        "provides_extra": release.provides_extra or None,
        "release_url": f"{base}project/{project.normalized_name}/{release.version}/",
        "requires_dist": release.requires_dist or None,
        "requires_python": release.requires_python or None,
        "summary": release.summary, "version": release.version,
        "yanked": release.yanked, "yanked_reason": release.yanked_reason or None,
    }


def _project_or_redirect(request: HttpRequest, name: str) -> Project | HttpResponse:
    normalized = name_normalize(name)
    project = Project.objects.filter(normalized_name=normalized).first()
    if project is None:
        return HttpResponseNotFound('{"message": "Not Found"}', content_type="application/json")
    if name != project.name and name != normalized:
        return redirect(request.path.replace(f"/pypi/{name}/", f"/pypi/{project.name}/", 1),
                        permanent=True)
    return project


def _response(payload: dict[str, Any], project: Project) -> HttpResponse:
    response = JsonResponse(payload, json_dumps_params={"separators": (",", ":")})
    response["X-PyPI-Last-Serial"] = str(project.last_serial)
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    return response


@require_safe
def project_json(request: HttpRequest, name: str) -> HttpResponse:
    found = _project_or_redirect(request, name)
    if isinstance(found, HttpResponse):
        return found
    releases = list(found.releases.prefetch_related(_offered).select_related("project"))
    if not releases:
        return HttpResponseNotFound('{"message": "Not Found"}', content_type="application/json")
    latest = release_current(releases)
    assert latest is not None  # releases is not empty
    payload = {
        "info": _info(request, found, latest),
        "last_serial": found.last_serial,
        "releases": {r.version: [_file_json(request, f, r) for f in r.files.all()]
                     for r in sorted(releases, key=lambda r: version_key(r.version))},
        "urls": [_file_json(request, f, latest) for f in latest.files.all()],
        "vulnerabilities": [],
    }
    return _response(payload, found)


@require_safe
def release_json(request: HttpRequest, name: str, version: str) -> HttpResponse:
    found = _project_or_redirect(request, name)
    if isinstance(found, HttpResponse):
        return found
    try:
        canonical = canonicalize_version(version)
    except InvalidVersion:
        canonical = version
    release = found.releases.filter(canonical_version=canonical).select_related(
        "project").prefetch_related(_offered).first()
    if release is None:
        return HttpResponseNotFound('{"message": "Not Found"}', content_type="application/json")
    payload = {
        "info": _info(request, found, release),
        "last_serial": found.last_serial,
        "urls": [_file_json(request, f, release) for f in release.files.all()],
        "vulnerabilities": [],
    }
    return _response(payload, found)
