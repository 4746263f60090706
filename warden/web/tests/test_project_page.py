"""The project page and the release page."""

import re

import pytest

from warden.web.tests.conftest import add_release

pytestmark = pytest.mark.django_db


def main_of(response):
    return response.content.decode().split('<main id="main"', 1)[1]


def test_project_page_shows_the_current_release(client, demo):
    response = client.get("/project/demo-pkg/")
    assert response.status_code == 200
    html = main_of(response)
    # 2.0rc1 is a pre-release and 1.1 is yanked: the current release is 1.0.
    assert re.search(r"<h1>\s*Demo.Pkg 1.0\s*</h1>", html)
    assert html.count("<h1") == 1
    assert "A demonstration package" in html
    assert "<strong>first</strong>" in html


def test_project_page_offers_the_install_command_with_a_copy_button(client, demo):
    html = main_of(client.get("/project/demo-pkg/"))
    assert '<code id="install-command">pip install Demo.Pkg</code>' in html
    assert 'data-copy-target="install-command"' in html
    assert 'id="install-status"' in html


def test_release_history_lists_every_version_newest_first(client, demo):
    html = main_of(client.get("/project/demo-pkg/"))
    history = html.split("Release history", 1)[1].split("</ol>", 1)[0]
    versions = re.findall(r'/project/demo-pkg/([^/]+)/"', history)
    assert versions == ["2.0rc1", "1.1", "1.0"]


def test_yanked_release_is_marked_with_its_reason(client, demo):
    html = main_of(client.get("/project/demo-pkg/"))
    history = html.split("Release history", 1)[1].split("</ol>", 1)[0]
    item = history.split("/project/demo-pkg/1.1/", 1)[1].split("</li>", 1)[0]
    assert "yanked" in item
    assert "broke imports" in item


def test_pre_release_is_marked(client, demo):
    html = main_of(client.get("/project/demo-pkg/"))
    item = html.split("/project/demo-pkg/2.0rc1/", 1)[1].split("</li>", 1)[0]
    assert "pre-release" in item
    one = html.split('/project/demo-pkg/1.0/"', 1)[1].split("</li>", 1)[0]
    assert "pre-release" not in one


def test_files_table_links_each_file_with_size_and_sha256(client, demo):
    html = main_of(client.get("/project/demo-pkg/"))
    file = demo.releases.get(version="1.0").files.get(filename="demo_pkg-1.0.tar.gz")
    assert f'href="/packages/{file.path}"' in html
    assert f'<code class="hash">{file.sha256}</code>' in html
    assert "1.5\xa0KB" in html
    assert '<th scope="col">' in html
    # Only the shown release's files.
    assert "demo_pkg-1.1" not in html.split("Files for version", 1)[1]


def test_sidebar_shows_links_license_python_classifiers_and_maintainers(client, demo):
    html = main_of(client.get("/project/demo-pkg/"))
    sidebar = html.split("Project details", 1)[1]
    assert 'href="https://example.invalid/demo"' in sidebar
    assert 'href="https://example.invalid/home"' in sidebar
    assert "MIT" in sidebar
    assert "&gt;=3.9" in sidebar
    assert "<strong>Programming Language</strong>" in sidebar
    assert "<li>Python :: 3.12</li>" in sidebar
    assert 'href="/user/alice/"' in sidebar
    assert 'href="/user/bob/"' in sidebar
    # Owners first.
    assert sidebar.index("/user/alice/") < sidebar.index("/user/bob/")


def test_project_urls_that_are_not_http_never_become_links(client, demo):
    html = client.get("/project/demo-pkg/").content.decode()
    assert "javascript:" not in html


def test_readme_script_and_javascript_links_do_not_come_through(client, make_project):
    make_project("evil", {"1.0": {
        "description": "Hi <script>alert(1)</script> [x](javascript:alert(2))\n\n"
                       '<a href="javascript:alert(3)">y</a> <img src=x onerror=alert(4)>',
        "description_content_type": "text/markdown"}})
    html = client.get("/project/evil/").content.decode()
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_plain_text_description_is_escaped(client, make_project):
    make_project("plain", {"1.0": {"description": "<b>not bold</b>",
                                   "description_content_type": "text/plain"}})
    html = client.get("/project/plain/").content.decode()
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html


def test_non_normalized_name_redirects_permanently_to_the_canonical_url(client, demo):
    for spelling in ("Demo.Pkg", "demo_pkg", "DEMO--PKG"):
        response = client.get(f"/project/{spelling}/")
        assert response.status_code == 301
        assert response["Location"] == "/project/demo-pkg/"


def test_unknown_project_is_our_404_page(client, db):
    response = client.get("/project/nothing-here/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert '<main id="main"' in response.content.decode()


def test_project_without_releases_still_has_a_page(client, make_project):
    make_project("empty")
    response = client.get("/project/empty/")
    assert response.status_code == 200
    assert "Nothing has been released" in response.content.decode()
    assert "install-command" not in response.content.decode()


def test_only_yanked_releases_show_the_newest_with_a_pinned_install(client, make_project):
    make_project("gone", {"1.0": {"yanked": True}, "2.0": {"yanked": True,
                                                           "yanked_reason": "bad"}})
    html = main_of(client.get("/project/gone/"))
    assert re.search(r"<h1>\s*gone 2.0\s*</h1>", html)
    assert "This release is yanked." in html
    assert "pip install gone==2.0" in html


@pytest.mark.parametrize(("status", "text"), [
    ("archived", "This project is archived."),
    ("deprecated", "This project is deprecated."),
])
def test_project_status_is_shown_as_a_notice(client, make_project, status, text):
    make_project("marked", {"1.0": {}}, status=status, status_reason="use other instead")
    html = main_of(client.get("/project/marked/"))
    assert text in html
    assert "use other instead" in html
    assert "marked-1.0.tar.gz" in html


def test_quarantined_project_page_has_the_notice_and_no_files(client, make_project):
    make_project("sick", {"1.0": {}}, status="quarantined", status_reason="malware")
    response = client.get("/project/sick/")
    assert response.status_code == 200
    html = main_of(response)
    assert "This project is quarantined." in html
    assert "sick-1.0.tar.gz" not in html
    assert "/packages/" not in html
    assert "install-command" not in html


def test_release_page_shows_that_version(client, demo):
    response = client.get("/project/demo-pkg/1.1/")
    assert response.status_code == 200
    html = main_of(response)
    assert re.search(r"<h1>\s*Demo.Pkg 1.1\s*</h1>", html)
    assert "This release is yanked." in html
    assert "broke imports" in html
    assert "pip install Demo.Pkg==1.1" in html
    assert 'href="/project/demo-pkg/1.0/"' in html.split("not the current release", 1)[1]
    assert 'href="/project/demo-pkg/1.1/" aria-current="page"' in html


def test_release_page_of_the_current_release_has_no_outdated_notice(client, demo):
    html = main_of(client.get("/project/demo-pkg/1.0/"))
    assert "not the current release" not in html
    assert "pip install Demo.Pkg</code>" in html


def test_release_page_for_a_pre_release_pins_the_version(client, demo):
    html = main_of(client.get("/project/demo-pkg/2.0rc1/"))
    assert "pip install Demo.Pkg==2.0rc1" in html
    assert "demo_pkg-2.0rc1.tar.gz" in html


def test_release_page_finds_a_pep440_equal_spelling_and_redirects_to_it(client, demo):
    response = client.get("/project/demo-pkg/1.0.0/")
    assert response.status_code == 301
    assert response["Location"] == "/project/demo-pkg/1.0/"
    response = client.get("/project/Demo_Pkg/2.0.0-RC1/")
    assert response.status_code == 301
    assert response["Location"] == "/project/demo-pkg/2.0rc1/"


def test_unknown_version_is_our_404_page(client, demo):
    response = client.get("/project/demo-pkg/9.9/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_version_of_another_project_is_not_found(client, demo, make_project):
    make_project("other", {"3.0": {}})
    assert client.get("/project/demo-pkg/3.0/").status_code == 404


def test_pages_only_answer_safe_methods(client, demo):
    assert client.post("/project/demo-pkg/").status_code == 405
    assert client.head("/project/demo-pkg/").status_code == 200


def test_readme_of_the_shown_release_is_rendered(client, demo):
    html = main_of(client.get("/project/demo-pkg/1.1/"))
    assert "One point one" in html
    assert "<strong>first</strong>" not in html


def test_files_are_listed_sdist_then_wheels(client, make_project):
    project = make_project("many", {"1.0": {"files": ("many-1.0-py3-none-any.whl",
                                                      "many-1.0.tar.gz")}})
    add_release(project, "1.1", files=())
    html = main_of(client.get("/project/many/1.0/"))
    assert html.index("many-1.0.tar.gz") < html.index("many-1.0-py3-none-any.whl")
    assert "This release has no files." in main_of(client.get("/project/many/1.1/"))
