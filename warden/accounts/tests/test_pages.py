"""Every allauth page Warden shows is ours: in the site layout, one h1, every field labelled,
errors tied to their fields, and the autocomplete tokens password managers rely on."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from warden.accounts.models import User
from warden.accounts.tests.conftest import PASSWORD, link_in_last_mail, log_in

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """The parts of a page these tests look at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.h1_count = 0
        self.in_main = False
        self.main_count = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self.h1_count += tag == "h1"
        self.main_count += tag == "main"

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.tags if "id" in a}

    def inputs(self) -> list[dict[str, str]]:
        return [a for t, a in self.tags
                if t in ("input", "select", "textarea") and a.get("type") != "hidden"
                and a.get("name") not in ("q", "csrfmiddlewaretoken")]

    def label_targets(self) -> set[str]:
        return {a["for"] for t, a in self.tags if t == "label" and "for" in a}

    def autocomplete(self, name: str) -> str | None:
        for attrs in self.inputs():
            if attrs.get("name") == name:
                return attrs.get("autocomplete")
        raise AssertionError(f"no field {name}")


def check_layout(response) -> Page:
    assert response.status_code == 200
    html = response.content.decode()
    page = Page(html)
    assert page.main_count == 1 and 'class="site-header"' in html, "not in our layout"
    assert page.h1_count == 1
    unlabelled = [a.get("name") for a in page.inputs()
                  if a.get("id") not in page.label_targets()]
    assert unlabelled == [], f"fields without a label: {unlabelled}"
    return page


@pytest.fixture
def carol_confirm_link(db) -> str:
    Client().post("/accounts/signup/", {"email": "carol@example.org", "username": "carol",
                                        "password1": PASSWORD, "password2": PASSWORD})
    return link_in_last_mail("/accounts/confirm-email/")


@pytest.fixture
def reset_form_url(alice) -> tuple[Client, str]:
    client = Client()
    client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    link = link_in_last_mail("/accounts/password/reset/key/")
    return client, client.get(link, follow=True).redirect_chain[-1][0]


ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/",
                   "/accounts/password/reset/done/", "/accounts/confirm-email/",
                   "/accounts/confirm-email/no-such-key/", "/accounts/inactive/",
                   "/accounts/password/reset/key/done/",
                   "/accounts/password/reset/key/1-no-such-key/"]


@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_anonymous_account_pages_are_in_our_layout(url):
    check_layout(Client().get(url, follow=True))


@pytest.mark.parametrize("url", ["/accounts/email/", "/accounts/password/change/",
                                 "/accounts/logout/", "/accounts/reauthenticate/"])
def test_signed_in_account_pages_are_in_our_layout(alice_client, url):
    check_layout(alice_client.get(url))


def test_set_password_page_is_in_our_layout(db):
    user = User.objects.create_user(username="erin", email="erin@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    page = check_layout(client.get("/accounts/password/change/", follow=True))
    assert page.autocomplete("password1") == "new-password"


def test_the_confirm_email_page_is_in_our_layout(carol_confirm_link):
    check_layout(Client().get(carol_confirm_link))


def test_the_password_reset_form_is_in_our_layout(reset_form_url):
    client, url = reset_form_url
    page = check_layout(client.get(url))
    assert page.autocomplete("password1") == "new-password"
    assert page.autocomplete("password2") == "new-password"


def test_closed_sign_up_page_is_in_our_layout(settings):
    settings.WARDEN_SIGNUP_OPEN = False
    check_layout(Client().get("/accounts/signup/"))


def test_signup_fields_carry_autocomplete_tokens():
    page = check_layout(Client().get("/accounts/signup/"))
    assert page.autocomplete("email") == "email"
    assert page.autocomplete("username") == "username"
    assert page.autocomplete("password1") == "new-password"
    assert page.autocomplete("password2") == "new-password"


def test_password_change_fields_carry_autocomplete_tokens(alice_client):
    page = check_layout(alice_client.get("/accounts/password/change/"))
    assert page.autocomplete("oldpassword") == "current-password"
    assert page.autocomplete("password1") == "new-password"


def test_login_password_is_the_current_password():
    page = check_layout(Client().get("/accounts/login/"))
    assert page.autocomplete("password") == "current-password"


def test_login_field_tells_password_managers_it_is_the_username():
    page = check_layout(Client().get("/accounts/login/"))
    assert page.autocomplete("login") == "username"


def test_our_login_form_marks_the_login_field_as_username():
    from warden.accounts.forms import LoginForm
    assert LoginForm().fields["login"].widget.attrs["autocomplete"] == "username"


def test_field_errors_are_tied_to_their_fields():
    response = Client().post("/accounts/signup/", {"email": "not an address", "username": "",
                                                   "password1": "x", "password2": "y"})
    page = check_layout(response)
    invalid = [a for a in page.inputs() if a.get("aria-invalid") == "true"]
    assert {a["name"] for a in invalid} >= {"email", "username", "password1"}
    for attrs in invalid:
        described_by = attrs.get("aria-describedby", "").split()
        assert any(i.endswith("_error") for i in described_by)
        assert set(described_by) <= page.ids(), f"{attrs['name']}: dangling {described_by}"


def test_a_failed_login_shows_the_error_as_an_alert(alice):
    response = Client().post("/accounts/login/", {"login": "alice", "password": "wrong" * 3})
    html = response.content.decode()
    assert 'role="alert"' in html and "not correct" in html


def test_account_pages_follow_the_chosen_language(alice):
    client = Client()
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="de">' in html


def test_the_account_link_in_the_header_leads_to_email_management(alice_client):
    html = alice_client.get("/accounts/email/").content.decode()
    assert "alice@example.org" in html
    assert 'aria-current="page"' in html


def test_logged_in_user_can_reach_password_reset_and_sees_a_note(alice):
    client = Client()
    log_in(client, "alice")
    assert "already logged in" in client.get("/accounts/password/reset/").content.decode()
