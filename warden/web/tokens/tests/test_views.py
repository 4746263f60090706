"""The API token pages: list, create (shown once), revoke, and the attacks on them.

Personas (see conftest): alice owns `demo` and maintains `other`; mallory is a stranger who
owns `secret` here."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from warden.accounts.models import User
from warden.audit.origin import Interface, Origin
from warden.packaging.authorize import upload_token_mint
from warden.packaging.models import Project, Role, RoleName
from warden.tokens.models import Token
from warden.tokens.services import TokenError, token_authenticate, token_mint
from warden.tokens.tests.conftest import project_create

PASSWORD = "correct horse battery staple"
LIST_URL = reverse("manage-tokens")
CREATE_URL = reverse("manage-token-create")
TOKEN_IN_PAGE = re.compile(r'id="token-value">(wdn_[^<\s]+)<')


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db: None) -> None:
    # allauth keeps its re-authentication rate limit in the cache, which may outlive a test.
    cache.clear()


def logged_in(user: User, *, reauthenticated: bool = True, enforce_csrf: bool = False) -> Client:
    """A client logged in as `user`, who has a password; by default they have also just
    entered it again on the real re-authentication page."""
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    client.force_login(user)
    if reauthenticated:
        response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert response.status_code == 302, response.content.decode()
    if enforce_csrf:  # the same session, in a client that sends no CSRF token
        strict = Client(enforce_csrf_checks=True)
        strict.cookies = client.cookies
        return strict
    return client


def by(user: User) -> Origin:
    """The origin of something `user` did on a page."""
    return Origin(interface=Interface.WEB, actor=user)


def token_from(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    match = TOKEN_IN_PAGE.search(html)
    assert match, html
    return match.group(1)


def create_form(**overrides: str) -> dict[str, str]:
    return {"description": "CI", "project": "", "expiry": "30d", "expiry_date": "",
            **overrides}


@pytest.fixture
def secret(mallory: User) -> Project:
    project = project_create("secret")
    Role.objects.create(project=project, user=mallory, role_name=RoleName.OWNER)
    return project


def test_anonymous_visitors_are_sent_to_log_in(db: None) -> None:
    for url in (LIST_URL, CREATE_URL):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_token_page_lists_only_your_own_tokens(alice: User, mallory: User, demo: Project) -> None:
    upload_token_mint(user=alice, description="alice laptop", projects=[demo], origin=by(alice))
    token_mint(user=mallory, description="mallory secret plan", origin=by(mallory))
    revoked, _ = token_mint(user=alice, description="old one", origin=by(alice))
    revoked.revoked = timezone.now()
    revoked.save()

    html = logged_in(alice, reauthenticated=False).get(LIST_URL).content.decode()

    assert "alice laptop" in html and "old one" in html
    assert "mallory secret plan" not in html
    assert ">demo</a>" in html  # the scoped token names its project
    assert "Revoked" in html


def test_creating_a_token_needs_the_password_again(alice: User) -> None:
    client = logged_in(alice, reauthenticated=False)

    page = client.get(CREATE_URL)
    posted = client.post(CREATE_URL, create_form())

    for response in (page, posted):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not Token.objects.exists()


def test_a_created_token_is_shown_once_and_works(alice: User) -> None:
    client = logged_in(alice)

    response = client.post(CREATE_URL, create_form(description="laptop"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = token_from(response)
    context = token_authenticate(raw=raw)
    assert context.user == alice and not context.scoped
    html = response.content.decode()
    assert "[warden]\nrepository = http://testserver/legacy/\nusername = __token__\n" \
           f"password = {raw}\n" in html
    assert "twine upload --repository warden dist/*" in html
    # Never kept anywhere it could be shown again.
    assert raw not in str(dict(client.session.items()))
    listing = client.get(LIST_URL).content.decode()
    assert "laptop" in listing and raw not in listing
    assert raw.removeprefix("wdn_")[:40] not in listing


def test_expiry_choices_set_the_expiry(alice: User) -> None:
    client = logged_in(alice)
    now = timezone.now()

    token_from(client.post(CREATE_URL, create_form(description="month", expiry="30d")))
    token_from(client.post(CREATE_URL, create_form(description="forever", expiry="never")))
    day = (now + timedelta(days=10)).date()
    token_from(client.post(CREATE_URL, create_form(description="dated", expiry="date",
                                                   expiry_date=day.isoformat())))

    month = Token.objects.get(description="month")
    assert month.expires is not None
    assert timedelta(days=29) < month.expires - now <= timedelta(days=30, minutes=1)
    assert Token.objects.get(description="forever").expires is None
    dated = Token.objects.get(description="dated").expires
    assert dated is not None and dated.date() == day + timedelta(days=1)


def test_an_expiry_date_in_the_past_is_refused(alice: User) -> None:
    client = logged_in(alice)
    yesterday = (timezone.now() - timedelta(days=1)).date().isoformat()

    response = client.post(CREATE_URL, create_form(expiry="date", expiry_date=yesterday))

    assert response.status_code == 200
    assert "must not be in the past" in response.content.decode()
    assert not Token.objects.exists()


def test_a_second_live_token_with_the_same_description_is_refused(alice: User) -> None:
    token_mint(user=alice, description="CI", origin=by(alice))
    client = logged_in(alice)

    response = client.post(CREATE_URL, create_form(description="CI"))

    assert response.status_code == 200
    assert "already have a live token" in response.content.decode()
    assert Token.objects.filter(user=alice).count() == 1


def test_scope_offers_only_projects_where_you_can_upload(alice: User, demo: Project,
                                                         other: Project,
                                                         secret: Project) -> None:
    html = logged_in(alice).get(CREATE_URL).content.decode()

    assert f'<option value="{demo.pk}">demo</option>' in html
    assert f'<option value="{other.pk}">other</option>' in html
    assert "secret" not in html


def test_a_project_scoped_token_is_scoped_to_that_project(alice: User, demo: Project,
                                                          other: Project) -> None:
    client = logged_in(alice)

    raw = token_from(client.post(CREATE_URL, create_form(project=str(demo.pk))))

    context = token_authenticate(raw=raw)
    assert context.project_names == frozenset({"demo"})
    assert context.project_ids == frozenset({str(demo.pk)})


def test_a_posted_project_you_have_no_role_on_is_refused(alice: User, demo: Project,
                                                         secret: Project) -> None:
    client = logged_in(alice)

    response = client.post(CREATE_URL, create_form(project=str(secret.pk)))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Token.objects.exists()


def test_revoking_asks_first(alice: User) -> None:
    token, _ = token_mint(user=alice, description="CI", origin=by(alice))
    client = logged_in(alice, reauthenticated=False)

    response = client.get(reverse("manage-token-revoke", args=[token.id]))

    assert response.status_code == 200
    assert "Revoke token" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked is None


def test_a_revoked_token_stops_working_at_once(alice: User) -> None:
    token, raw = token_mint(user=alice, description="CI", origin=by(alice))
    client = logged_in(alice, reauthenticated=False)

    response = client.post(reverse("manage-token-revoke", args=[token.id]))

    assert response.status_code == 302 and response["Location"] == LIST_URL
    with pytest.raises(TokenError, match="revoked"):
        token_authenticate(raw=raw)
    credentials = base64.b64encode(f"__token__:{raw}".encode()).decode()
    upload = Client().post(reverse("upload"), {":action": "file_upload"},
                           HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert upload.status_code == 403


def test_revoking_someone_elses_token_is_not_found(alice: User, mallory: User) -> None:
    token, raw = token_mint(user=alice, description="CI", origin=by(alice))
    client = logged_in(mallory, reauthenticated=False)
    url = reverse("manage-token-revoke", args=[token.id])

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404

    token.refresh_from_db()
    assert token.revoked is None
    token_authenticate(raw=raw)


def test_creating_a_token_enforces_csrf(alice: User) -> None:
    client = logged_in(alice, enforce_csrf=True)

    response = client.post(CREATE_URL, create_form())

    assert response.status_code == 403
    assert not Token.objects.exists()


def test_revoking_a_token_enforces_csrf(alice: User) -> None:
    token, raw = token_mint(user=alice, description="CI", origin=by(alice))
    client = logged_in(alice, enforce_csrf=True, reauthenticated=False)

    response = client.post(reverse("manage-token-revoke", args=[token.id]))

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked is None
    token_authenticate(raw=raw)
