"""The home page: counts, recently updated projects, a search box."""

import datetime

import pytest
from django.utils import timezone

from warden.accounts.models import User
from warden.packaging.models import Release

pytestmark = pytest.mark.django_db


def test_home_page_counts_projects_releases_files_and_users(client, demo, mallory):
    html = client.get("/").content.decode()
    # demo: 3 releases, 4 files; alice, bob and mallory.
    assert "1 project<" in html
    assert "3 releases<" in html
    assert "4 files<" in html
    assert "3 users<" in html


def test_home_page_counts_leave_out_quarantined_projects_and_inactive_users(
        client, make_project, alice):
    make_project("fine", {"1.0": {}})
    make_project("sick", {"1.0": {}, "2.0": {}}, status="quarantined")
    User.objects.create_user("gone", "gone@example.invalid", is_active=False)
    html = client.get("/").content.decode()
    assert "1 project<" in html
    assert "1 release<" in html
    assert "1 file<" in html
    assert "1 user<" in html


def test_home_page_lists_the_most_recently_released_projects_first(client, make_project):
    old = make_project("old-one", {"1.0": {"summary": "Old summary"}})
    make_project("new-one", {"2.0": {"summary": "New summary"}})
    Release.objects.filter(project=old).update(
        created=timezone.now() - datetime.timedelta(days=3))
    html = client.get("/").content.decode()
    recent = html.split("Recently updated", 1)[1]
    assert recent.index("new-one 2.0") < recent.index("old-one 1.0")
    assert 'href="/project/new-one/2.0/"' in recent
    assert "New summary" in recent


def test_home_page_shows_each_projects_newest_release(client, make_project):
    project = make_project("twice", {"1.0": {}, "1.1": {}})
    Release.objects.filter(project=project, version="1.0").update(
        created=timezone.now() - datetime.timedelta(days=1))
    recent = client.get("/").content.decode().split("Recently updated", 1)[1]
    assert "twice 1.1" in recent
    assert "twice 1.0" not in recent


def test_home_page_leaves_out_quarantined_and_release_less_projects(client, make_project):
    make_project("sick", {"1.0": {}}, status="quarantined")
    make_project("empty")
    recent = client.get("/").content.decode().split("Recently updated", 1)[1]
    assert "sick" not in recent
    assert "empty" not in recent
    assert "Nothing has been published yet." in recent


def test_home_page_has_a_labelled_search_box(client, db):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="home-search-q">' in html
    assert 'id="home-search-q" type="search" name="q"' in html
    assert html.count("<h1") == 1
