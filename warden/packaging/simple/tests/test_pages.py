"""What the rendered simple pages say (PEP 503, 592, 629, 658/714, 691, 700, 792)."""

import hashlib
import json
import re

from django.core.files.storage import default_storage

from warden.packaging.models import ProjectStatus, SimplePage
from warden.packaging.pages import page_path, project_render


def test_json_page_lists_versions_in_version_order(demo):
    _, body = project_render(project=demo)
    page = json.loads(body)
    assert page["versions"] == ["1.0", "1.1", "2.0rc1"]
    assert page["meta"]["api-version"] == "1.4"


def test_json_files_carry_pep_700_size_and_upload_time(demo):
    page = json.loads(project_render(project=demo)[1])
    sdist = next(f for f in page["files"] if f["filename"].endswith(".tar.gz"))
    assert sdist["size"] == len(b"contents of demo_pkg-1.0.tar.gz")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", sdist["upload-time"])
    assert sdist["hashes"]["sha256"] == hashlib.sha256(
        b"contents of demo_pkg-1.0.tar.gz").hexdigest()


def test_yanked_release_files_carry_the_reason(demo):
    html, body = project_render(project=demo)
    files = {f["filename"]: f for f in json.loads(body)["files"]}
    assert files["demo_pkg-1.1-py3-none-any.whl"]["yanked"] == "broke imports"
    assert files["demo_pkg-1.0-py3-none-any.whl"]["yanked"] is False
    assert html.count(b'data-yanked="broke imports"') == 1


def test_wheels_advertise_core_metadata_and_sdists_do_not(demo):
    html, body = project_render(project=demo)
    files = {f["filename"]: f for f in json.loads(body)["files"]}
    wheel = demo.releases.get(version="1.0").files.get(packagetype="bdist_wheel")
    assert files[wheel.filename]["core-metadata"] == {"sha256": wheel.metadata_sha256}
    assert files[wheel.filename]["dist-info-metadata"] == {"sha256": wheel.metadata_sha256}
    assert files["demo_pkg-1.0.tar.gz"]["core-metadata"] is False
    assert f'data-core-metadata="sha256={wheel.metadata_sha256}"'.encode() in html


def test_requires_python_is_escaped_in_html(demo):
    html, _ = project_render(project=demo)
    assert b'data-requires-python="&gt;=3.9"' in html
    assert b'">=3.9"' not in html


def test_html_links_carry_the_sha256_fragment(demo):
    html, _ = project_render(project=demo)
    for f in demo.releases.get(version="1.0").files.all():
        assert f"{f.path}#sha256={f.sha256}".encode() in html


def test_project_status_is_published(demo):
    demo.status = ProjectStatus.ARCHIVED
    demo.status_reason = "moved to <new>"
    html, body = project_render(project=demo)
    assert json.loads(body)["project-status"] == {"status": "archived",
                                                  "reason": "moved to <new>"}
    assert b'<meta name="pypi:project-status" content="archived">' in html
    assert b"moved to &lt;new&gt;" in html


def test_published_pages_are_stored_under_their_own_digest(demo):
    page = SimplePage.objects.get(key="demo-pkg")
    for digest in (page.html_sha256, page.json_sha256):
        with default_storage.open(page_path(digest), "rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == digest


def test_root_index_links_to_normalized_names(demo):
    page = SimplePage.objects.get(key="")
    with default_storage.open(page_path(page.html_sha256), "rb") as fh:
        assert b'<a href="demo-pkg/">Demo.Pkg</a>' in fh.read()


def test_quarantined_projects_are_left_out_of_the_root_index(demo, make_project, republish):
    make_project("other")
    demo.status = ProjectStatus.QUARANTINED
    demo.save()
    republish(demo)
    page = SimplePage.objects.get(key="")
    with default_storage.open(page_path(page.json_sha256), "rb") as fh:
        assert json.loads(fh.read())["projects"] == [{"name": "other"}]


def test_quarantined_project_page_offers_no_files(demo):
    demo.status = ProjectStatus.QUARANTINED
    html, body = project_render(project=demo)
    page = json.loads(body)
    assert page["files"] == []
    assert page["project-status"]["status"] == "quarantined"
    assert b"<a " not in html
