"""PEP 792 on every read path: once staff (or the screening policy) quarantine a project or
a release through the status service, none of its files is offered or served anywhere: the
simple pages (HTML and JSON), the JSON API (project and release), the web pages and the file
URLs themselves, plain, hash-prefixed and PEP 658 metadata, whole, by range or HEAD. A lock
file or a cache that kept the URL installs nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from django.test import Client

from warden.audit.origin import Origin
from warden.packaging.models import File, Project, ProjectStatus
from warden.packaging.quarantine import project_status_set, release_quarantine
from warden.packaging.simple.tests.test_files_published import _not_served
from warden.tuf.signer import publish_all, publisher_for

JSON = "application/vnd.pypi.simple.v1+json"
OPERATOR = Origin.command("tests")


def _published() -> None:
    publish_all(publisher_for("tests", None))


def _urls(file: File) -> Iterator[str]:
    yield f"/packages/{file.path}"
    head, _, last = file.path.rpartition("/")
    yield f"/packages/{head}/{file.sha256}.{last}"  # the hash-prefixed name TUF clients use
    if file.metadata_sha256:
        yield f"/packages/{file.path}.metadata"


def _offered(client: Client, project: Project) -> set[str]:
    """Every filename any listing offers for `project`."""
    name = project.normalized_name
    html = client.get(f"/simple/{name}/").content.decode()
    simple = client.get(f"/simple/{name}/", HTTP_ACCEPT=JSON).json()
    api = client.get(f"/pypi/{name}/json")
    web = client.get(f"/project/{name}/").content.decode()
    filenames = set(File.objects.filter(release__project=project)
                    .values_list("filename", flat=True))
    offered = {f["filename"] for f in simple["files"]}
    offered |= {n for n in filenames if n in html or n in web}
    if api.status_code == 200:
        body = api.json()
        offered |= {u["filename"] for u in body["urls"]}
        offered |= {u["filename"] for files in body["releases"].values() for u in files}
    for release in project.releases.all():
        one = client.get(f"/pypi/{name}/{release.version}/json")
        if one.status_code == 200:
            offered |= {u["filename"] for u in one.json()["urls"]}
    return offered


def _served(client: Client, file: File) -> bool:
    response = client.get(f"/packages/{file.path}")
    return response.status_code == 200 and hashlib.sha256(
        b"".join(response.streaming_content)).hexdigest() == file.sha256


def test_a_quarantined_project_offers_and_serves_nothing(client: Client, demo: Project) -> None:
    files = list(File.objects.filter(release__project=demo))
    assert _offered(client, demo) == {f.filename for f in files}

    project_status_set(project=demo, status=ProjectStatus.QUARANTINED, reason="malware",
                       origin=OPERATOR)
    _published()

    assert _offered(client, demo) == set()
    for file in files:
        for url in _urls(file):
            _not_served(client, url)
            assert client.head(url).status_code == 404
            assert client.get(url, HTTP_RANGE="bytes=0-9").status_code == 404
    assert client.get(f"/simple/{demo.normalized_name}/",
                      HTTP_ACCEPT=JSON).json()["project-status"]["status"] == "quarantined"


def test_making_the_project_active_again_offers_everything_again(
        client: Client, demo: Project) -> None:
    files = list(File.objects.filter(release__project=demo))
    project_status_set(project=demo, status=ProjectStatus.QUARANTINED, reason="malware",
                       origin=OPERATOR)
    project_status_set(project=demo, status=ProjectStatus.ACTIVE, reason="", origin=OPERATOR)
    _published()

    assert _offered(client, demo) == {f.filename for f in files}
    assert all(_served(client, file) for file in files)


def test_a_quarantined_release_withdraws_its_own_files_only(
        client: Client, demo: Project) -> None:
    release = demo.releases.get(version="1.0")
    withdrawn = list(release.files.all())
    kept = list(File.objects.filter(release__project=demo).exclude(release=release))

    release_quarantine(release=release, reason="this version only", origin=OPERATOR)
    _published()

    assert _offered(client, demo) == {f.filename for f in kept}
    for file in withdrawn:
        for url in _urls(file):
            _not_served(client, url)
    assert all(_served(client, file) for file in kept)


@pytest.mark.parametrize("status", [ProjectStatus.ARCHIVED, ProjectStatus.DEPRECATED])
def test_archived_and_deprecated_projects_still_offer_their_files(
        client: Client, demo: Project, status: ProjectStatus) -> None:
    files = list(File.objects.filter(release__project=demo))

    project_status_set(project=demo, status=status, reason="use new-thing", origin=OPERATOR)
    _published()

    assert _offered(client, demo) == {f.filename for f in files}
    assert all(_served(client, file) for file in files)
    simple = client.get(f"/simple/{demo.normalized_name}/", HTTP_ACCEPT=JSON).json()
    assert simple["project-status"] == {"status": status.value, "reason": "use new-thing"}
