"""The user page: projects where the user holds a role, and when they joined."""

import pytest

from warden.accounts.models import User

pytestmark = pytest.mark.django_db


def test_user_page_lists_projects_where_they_hold_a_role(client, demo, make_project, bob):
    make_project("bobs-own", {"1.0": {"summary": "Bob's thing"}}, owner=bob)
    make_project("not-bobs", {"1.0": {}})
    response = client.get("/user/bob/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1>bob</h1>' in html
    assert 'href="/project/demo-pkg/"' in html
    assert 'href="/project/bobs-own/"' in html
    assert "Bob&#x27;s thing" in html
    assert "not-bobs" not in html
    assert "Joined" in html


def test_user_page_shows_the_role(client, demo):
    html = client.get("/user/bob/").content.decode()
    item = html.split('href="/project/demo-pkg/"', 1)[1].split("</li>", 1)[0]
    assert "Maintainer" in item
    html = client.get("/user/alice/").content.decode()
    item = html.split('href="/project/demo-pkg/"', 1)[1].split("</li>", 1)[0]
    assert "Owner" in item


def test_user_without_projects_has_a_page_that_says_so(client, mallory):
    response = client.get("/user/mallory/")
    assert response.status_code == 200
    assert "mallory has no projects yet." in response.content.decode()


def test_user_page_leaves_out_quarantined_projects(client, make_project, alice):
    make_project("sick", {"1.0": {}}, status="quarantined")
    assert "sick" not in client.get("/user/alice/").content.decode()


def test_inactive_user_has_no_page(client, db):
    User.objects.create_user("disabled", "d@example.invalid", is_active=False)
    response = client.get("/user/disabled/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_unknown_user_is_our_404_page(client, db):
    response = client.get("/user/nobody/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_user_page_does_not_show_the_email_address(client, alice):
    assert "alice@example.invalid" not in client.get("/user/alice/").content.decode()
