"""The audit pages: a user's security history, a project's history and the staff search with
its exports. Who sees what is the point: only one's own account, only projects one has a
role on, and the search for staff only."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.http import HttpResponseBase
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.origin import Interface, Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.packaging.models import Project, Role, RoleName
from warden.packaging.services import project_create
from warden.tokens.models import Token
from warden.tokens.services import token_mint
from warden.web.audit.views import EXPORT_COLUMNS, PAGE_SIZE, csv_cell

TWINE = "twine/7.0.0 CPython/3.11.2"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
HISTORY = reverse("audit-user-history")
SEARCH = reverse("audit-staff-search")


def history_of(name: str) -> str:
    return reverse("manage-project-history", args=[name])


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def from_address(address: str, agent: str = FIREFOX, *, actor: User | None = None,
                 token: Token | None = None) -> Origin:
    """What `actor` (with `token`) did in a request from `address` with `agent`."""
    request = RequestFactory().get("/", REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    return Origin.from_request(request, actor=actor, token=token)


def web(actor: User | None = None, **kwargs: str) -> Origin:
    return Origin(interface=Interface.WEB, actor=actor, **kwargs)


def text(response: HttpResponseBase) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def streamed(response: HttpResponseBase) -> str:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


@pytest.fixture
def alice(db: None) -> User:
    # Without the root persona's second factor: these pages need none, and the events in
    # her history are then only the test's own.
    return User.objects.create_user(username="alice", email="alice@example.invalid")


@pytest.fixture
def staff(db: None, with_totp: Callable[[User], str]) -> User:
    user = User.objects.create_user(username="sam", email="sam@example.org", is_staff=True)
    with_totp(user)  # staff always need one, for the search too
    return user


@pytest.fixture
def everyone_with_2fa(alice: User, mallory: User, with_totp: Callable[[User], str]) -> None:
    """For the project history, which like every management page needs a second factor
    (bob has his from the root persona)."""
    with_totp(alice)
    with_totp(mallory)


@pytest.fixture
def demo(alice: User, bob: User) -> Project:
    project = project_create(name="demo", owner=alice, origin=web(alice))
    Role.objects.create(project=project, user=bob, role_name=RoleName.MAINTAINER)
    return project


@pytest.fixture
def secret_project(mallory: User) -> Project:
    return project_create(name="secret-project", owner=mallory, origin=web(mallory))


@pytest.fixture
def ci_token(alice: User, with_totp: Callable[[User], str]) -> Token:
    with_totp(alice)  # no token without a second factor behind it
    return token_mint(user=alice, description="ci", origin=web(alice))[0]


# --- the user's security history --------------------------------------------------------------


def test_security_history_asks_an_anonymous_visitor_to_log_in(db: None) -> None:
    response = Client().get(HISTORY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_security_history_shows_only_the_users_own_events(alice: User, mallory: User) -> None:
    record_event(tag=Tag.ACCOUNT_LOGIN_FAILURE, user=alice,
                 origin=from_address("198.51.100.23"))
    record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS,
                 origin=from_address("192.0.2.50", actor=mallory))
    page = text(client_of(alice).get(HISTORY))
    assert "Failed login from 198.51.100.0/24 with Firefox 140" in page
    assert "mallory" not in page and "192.0.2.0/24" not in page


def test_security_history_leaves_out_project_events_that_name_the_user(
        alice: User, demo: Project) -> None:
    record_event(tag=Tag.PROJECT_ROLE_INVITED, origin=web(alice), user=alice, project=demo)
    page = text(client_of(alice).get(HISTORY))
    assert "invited" not in page


def test_security_history_lists_newest_first(alice: User) -> None:
    record_event(tag=Tag.ACCOUNT_CREATED, origin=Origin(interface=Interface.CLI), user=alice)
    record_event(tag=Tag.ACCOUNT_PASSWORD_CHANGED, origin=web(alice))
    page = text(client_of(alice).get(HISTORY))
    assert page.index("alice changed the password") < page.index("Account alice was created")


def test_security_history_shows_the_time_with_its_zone(alice: User) -> None:
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=web(alice))
    page = text(client_of(alice).get(HISTORY))
    assert f'datetime="{event.created.isoformat()}"' in page
    assert "UTC</time>" in page


def test_security_history_filters_by_kind(alice: User) -> None:
    record_event(tag=Tag.ACCOUNT_LOGIN_FAILURE, origin=web(), user=alice)
    record_event(tag=Tag.ACCOUNT_PASSWORD_CHANGED, origin=web(alice))
    page = text(client_of(alice).get(HISTORY, {"kind": Tag.ACCOUNT_LOGIN_FAILURE.value}))
    assert "Failed login" in page and "changed the password" not in page


def test_security_history_offers_only_the_kinds_that_occur(alice: User) -> None:
    record_event(tag=Tag.ACCOUNT_LOGIN_FAILURE, origin=web(), user=alice)
    response = client_of(alice).get(HISTORY)
    choices = [value for value, _ in response.context["form"].fields["kind"].choices]
    assert choices == ["", Tag.ACCOUNT_LOGIN_FAILURE.value]


def test_security_history_ignores_an_unknown_kind_and_says_so(alice: User) -> None:
    record_event(tag=Tag.ACCOUNT_LOGIN_FAILURE, origin=web(), user=alice)
    response = client_of(alice).get(HISTORY, {"kind": "project:file:uploaded"})
    assert response.context["form"].errors
    assert "Failed login" in text(response)


def test_security_history_is_paginated(alice: User) -> None:
    for _ in range(PAGE_SIZE + 3):
        record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=web(alice))
    first = client_of(alice).get(HISTORY)
    second = client_of(alice).get(HISTORY, {"page": 2})
    assert len(first.context["rows"]) == PAGE_SIZE
    assert len(second.context["rows"]) == 3
    assert 'href="?page=2"' in text(first)


def test_pagination_links_keep_the_filter(alice: User) -> None:
    for _ in range(PAGE_SIZE + 1):
        record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=web(alice))
    page = text(client_of(alice).get(HISTORY, {"kind": Tag.ACCOUNT_LOGIN_SUCCESS.value}))
    assert 'href="?kind=account%3Alogin%3Asuccess&amp;page=2"' in page


def test_security_history_shows_a_token_used_in_the_users_name(
        alice: User, ci_token: Token) -> None:
    record_event(tag=Tag.ACCOUNT_TOKEN_USED, project_name="demo", filename="demo-1.0.tar.gz",
                 origin=from_address("203.0.113.7", TWINE, actor=alice, token=ci_token))
    page = text(client_of(alice).get(HISTORY))
    assert "Token &#x27;ci&#x27; was used to upload demo-1.0.tar.gz from 203.0.113.0/24 " \
           "with twine 7.0.0" in page


def test_markup_in_an_event_is_escaped(alice: User) -> None:
    record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS,
                 origin=web(alice, user_agent="<script>x</script>"))
    page = text(client_of(alice).get(HISTORY))
    assert "<script>x" not in page and "&lt;script&gt;x" in page


def test_the_account_menu_links_to_the_security_history(alice: User) -> None:
    page = text(client_of(alice).get(HISTORY))
    assert f'href="{HISTORY}"' in page


# --- a project's history ------------------------------------------------------------------------


def test_project_history_shows_which_token_uploaded_each_file(
        bob: User, demo: Project, ci_token: Token) -> None:
    record_event(tag=Tag.PROJECT_FILE_UPLOADED, project=demo, version="1.0",
                 filename="demo-1.0.tar.gz",
                 origin=from_address("203.0.113.7", TWINE, actor=ci_token.user, token=ci_token))
    page = text(client_of(bob).get(history_of("demo")))
    assert "Token &#x27;ci&#x27; uploaded demo-1.0.tar.gz from 203.0.113.0/24 with twine " \
           "7.0.0" in page
    assert f"token 'ci' ({str(ci_token.pk)[:8]}…)" in page
    assert "alice" in page


@pytest.mark.usefixtures("everyone_with_2fa")
def test_project_history_is_open_to_owners_and_maintainers(
        alice: User, bob: User, demo: Project) -> None:
    record_event(tag=Tag.PROJECT_RELEASE_CREATED, origin=web(alice), project=demo, version="1.0")
    for person in (alice, bob):
        assert "alice created release 1.0" in text(client_of(person).get(history_of("demo")))


@pytest.mark.usefixtures("everyone_with_2fa")
def test_project_history_is_found_by_any_spelling_of_the_name(alice: User, demo: Project) -> None:
    assert client_of(alice).get(history_of("DEMO")).status_code == 200


def test_a_maintainer_of_one_project_gets_404_for_anothers_history(
        bob: User, demo: Project, secret_project: Project, mallory: User) -> None:
    record_event(tag=Tag.PROJECT_RELEASE_CREATED, origin=web(mallory), project=secret_project,
                 version="9.9")
    assert client_of(bob).get(history_of("secret-project")).status_code == 404


@pytest.mark.usefixtures("everyone_with_2fa")
def test_project_history_is_404_for_a_stranger_and_for_a_missing_project(
        mallory: User, demo: Project) -> None:
    assert client_of(mallory).get(history_of("demo")).status_code == 404
    assert client_of(mallory).get(history_of("no-such-project")).status_code == 404


def test_project_history_asks_an_anonymous_visitor_to_log_in(demo: Project) -> None:
    response = Client().get(history_of("demo"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.usefixtures("everyone_with_2fa")
def test_project_history_shows_only_that_projects_events(
        alice: User, demo: Project, secret_project: Project, mallory: User) -> None:
    record_event(tag=Tag.PROJECT_RELEASE_CREATED, origin=web(mallory), project=secret_project,
                 version="9.9")
    record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=web(alice))
    record_event(tag=Tag.PROJECT_RELEASE_CREATED, origin=web(alice), project=demo, version="1.0")
    response = client_of(alice).get(history_of("demo"))
    assert {row.event.project_name for row in response.context["rows"]} == {"demo"}
    # The sentence, not the bare version: timestamps can contain "9.9" too.
    assert "release 9.9" not in text(response) and "logged in" not in text(response)


@pytest.mark.usefixtures("everyone_with_2fa")
def test_project_history_hides_the_history_of_a_deleted_project_of_the_same_name(
        mallory: User, alice: User) -> None:
    old = project_create(name="reused", owner=mallory, origin=web(mallory))
    record_event(tag=Tag.PROJECT_RELEASE_CREATED, project=old, version="0.1",
                 origin=from_address("192.0.2.50", actor=mallory))
    old.delete()
    new = project_create(name="reused", owner=alice, origin=web(alice))
    record_event(tag=Tag.PROJECT_RELEASE_CREATED, origin=web(alice), project=new, version="1.0")
    page = text(client_of(alice).get(history_of("reused")))
    assert "alice created release 1.0" in page
    assert "release 0.1" not in page and "192.0.2.0/24" not in page


@pytest.mark.usefixtures("everyone_with_2fa")
def test_project_history_filters_by_kind(alice: User, demo: Project) -> None:
    record_event(tag=Tag.PROJECT_RELEASE_CREATED, origin=web(alice), project=demo, version="1.0")
    record_event(tag=Tag.PROJECT_RELEASE_YANKED, origin=web(alice), project=demo, version="1.0")
    response = client_of(alice).get(history_of("demo"),
                                    {"kind": Tag.PROJECT_RELEASE_YANKED.value})
    assert [row.event.tag for row in response.context["rows"]] == [Tag.PROJECT_RELEASE_YANKED]


@pytest.mark.usefixtures("everyone_with_2fa")
def test_project_history_is_paginated(alice: User, demo: Project) -> None:
    for number in range(PAGE_SIZE + 1):
        record_event(tag=Tag.PROJECT_RELEASE_CREATED, origin=web(alice), project=demo,
                     version=f"1.{number}")
    kind = {"kind": Tag.PROJECT_RELEASE_CREATED.value}
    second = client_of(alice).get(history_of("demo"), {**kind, "page": 2})
    assert [row.event.version for row in second.context["rows"]] == ["1.0"]


def test_the_project_management_pages_link_to_the_history(
        alice: User, demo: Project, with_totp: Callable[[User], str]) -> None:
    with_totp(alice)  # which the management pages require
    page = text(client_of(alice).get(reverse("manage-project", args=["demo"])))
    assert f'href="{history_of("demo")}"' in page


# --- the staff search -----------------------------------------------------------------------------


@pytest.fixture
def recorded(alice: User, bob: User, mallory: User, demo: Project, secret_project: Project,
             ci_token: Token) -> dict[str, Event]:
    return {
        "upload": record_event(tag=Tag.PROJECT_FILE_UPLOADED,
                               project=demo, version="1.0", filename="demo-1.0.tar.gz",
                               origin=from_address("203.0.113.7", TWINE, actor=alice,
                                                   token=ci_token)),
        "failure": record_event(tag=Tag.ACCOUNT_LOGIN_FAILURE, user=bob,
                                origin=from_address("198.51.100.23")),
        "mallory": record_event(tag=Tag.PROJECT_RELEASE_CREATED,
                                project=secret_project, version="9.9",
                                origin=from_address("2001:db8:1:2::7", actor=mallory)),
    }


def found(response: HttpResponseBase) -> set[int]:
    assert response.status_code == 200, response.status_code
    return {row.event.pk for row in response.context["rows"]}  # type: ignore[attr-defined]


def test_the_staff_search_is_404_for_everyone_but_staff(alice: User, mallory: User) -> None:
    for person in (alice, mallory):
        assert client_of(person).get(SEARCH).status_code == 404
        assert client_of(person).get(SEARCH, {"format": "csv"}).status_code == 404


def test_the_staff_search_is_404_for_a_superuser_no_longer_staff(db: None) -> None:
    boss = User.objects.create_user(username="boss", is_staff=False, is_superuser=True)
    assert client_of(boss).get(SEARCH).status_code == 404


def test_the_staff_search_asks_an_anonymous_visitor_to_log_in(db: None) -> None:
    response = Client().get(SEARCH)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_staff_search_without_filters_lists_every_event_newest_first(
        staff: User, recorded: dict[str, Event]) -> None:
    response = client_of(staff).get(SEARCH)
    rows = [row.event.pk for row in response.context["rows"]]
    assert rows[:3] == [recorded["mallory"].pk, recorded["failure"].pk, recorded["upload"].pk]


def test_the_staff_search_finds_a_user_as_actor_or_as_subject(
        staff: User, recorded: dict[str, Event], alice: User) -> None:
    about_alice = record_event(tag=Tag.STAFF_USER_DISABLED, origin=web(staff), user=alice)
    assert found(client_of(staff).get(SEARCH, {"username": "ALICE"})) >= {
        recorded["upload"].pk, about_alice.pk}
    assert recorded["failure"].pk not in found(client_of(staff).get(SEARCH, {"username": "alice"}))


def test_the_staff_search_finds_a_project_by_any_spelling(
        staff: User, recorded: dict[str, Event]) -> None:
    response = client_of(staff).get(SEARCH, {"project": "Secret_Project"})
    assert recorded["mallory"].pk in found(response)
    assert {row.event.project_name for row in response.context["rows"]} == {"secret-project"}


def test_the_staff_search_finds_events_of_a_deleted_project(
        staff: User, recorded: dict[str, Event], secret_project: Project) -> None:
    secret_project.delete()
    assert recorded["mallory"].pk in found(
        client_of(staff).get(SEARCH, {"project": "secret-project"}))


def test_the_staff_search_filters_by_tag(staff: User, recorded: dict[str, Event]) -> None:
    assert found(client_of(staff).get(SEARCH, {"tag": Tag.ACCOUNT_LOGIN_FAILURE.value})) == {
        recorded["failure"].pk}


@pytest.mark.parametrize(("query", "event"), [
    ("198.51.100.0/24", "failure"),
    ("198.51.100.200", "failure"),
    ("2001:db8:1:ffff::1", "mallory"),
    ("2001:db8:1::/48", "mallory"),
])
def test_the_staff_search_filters_by_network_or_by_an_address_in_it(
        staff: User, recorded: dict[str, Event], query: str, event: str) -> None:
    assert found(client_of(staff).get(SEARCH, {"ip": query})) == {recorded[event].pk}


def test_the_staff_search_rejects_something_that_is_no_address(
        staff: User, recorded: dict[str, Event]) -> None:
    response = client_of(staff).get(SEARCH, {"ip": "not-an-address"})
    assert response.status_code == 400
    assert "Enter an IP address" in response.content.decode()


def test_the_staff_search_filters_by_date_range_including_the_last_day(
        staff: User, alice: User) -> None:
    set_up = set(Event.objects.values_list("pk", flat=True))  # the staff member's factor
    event = record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=web(alice))
    today = timezone.localdate(event.created)
    day = timedelta(days=1)
    assert found(client_of(staff).get(SEARCH, {"date_from": today, "date_to": today})) \
        - set_up == {event.pk}
    assert found(client_of(staff).get(SEARCH, {"date_from": today + day})) == set()
    assert found(client_of(staff).get(SEARCH, {"date_to": today - day})) == set()


def test_the_staff_search_rejects_a_range_that_ends_before_it_starts(staff: User) -> None:
    response = client_of(staff).get(SEARCH, {"date_from": "2025-02-01", "date_to": "2025-01-01"})
    assert response.status_code == 400


def test_the_staff_search_combines_filters(staff: User, recorded: dict[str, Event]) -> None:
    assert found(client_of(staff).get(SEARCH, {"username": "alice", "ip": "198.51.100.0/24"})) \
        == set()


def test_the_staff_search_is_paginated(staff: User, alice: User) -> None:
    for _ in range(PAGE_SIZE + 2):
        record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=web(alice))
    response = client_of(staff).get(SEARCH, {"username": "alice", "page": 2})
    assert len(response.context["rows"]) == 2
    assert 'href="?username=alice&amp;page=1"' in response.content.decode()


def test_the_export_links_keep_the_filters(staff: User, recorded: dict[str, Event]) -> None:
    page = text(client_of(staff).get(SEARCH, {"username": "alice"}))
    assert 'href="?username=alice&amp;format=csv"' in page
    assert 'href="?username=alice&amp;format=json"' in page


# --- exports ------------------------------------------------------------------------------------


def csv_rows(response: HttpResponseBase) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(streamed(response))))


def test_the_csv_export_has_every_column_of_every_matching_event(
        staff: User, recorded: dict[str, Event], ci_token: Token) -> None:
    response = client_of(staff).get(SEARCH, {"format": "csv", "project": "demo",
                                             "tag": Tag.PROJECT_FILE_UPLOADED.value})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="warden-audit-')
    rows = csv_rows(response)
    upload = recorded["upload"]
    assert rows == [{
        "id": str(upload.pk), "time": upload.created.isoformat(),
        "tag": "project:file:uploaded", "actor": "alice", "token_id": str(ci_token.pk),
        "token_description": "ci", "user": "alice", "project": "demo", "version": "1.0",
        "filename": "demo-1.0.tar.gz", "ip_prefix": "203.0.113.0/24",
        "ip_hash": upload.ip_hash, "user_agent": "twine 7.0.0", "details": "{}",
    }]
    assert list(rows[0]) == EXPORT_COLUMNS


def test_the_csv_export_respects_the_filters(staff: User, recorded: dict[str, Event]) -> None:
    rows = csv_rows(client_of(staff).get(SEARCH, {"format": "csv", "ip": "198.51.100.1"}))
    assert [row["id"] for row in rows] == [str(recorded["failure"].pk)]


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)"])
def test_the_csv_export_defuses_cells_a_spreadsheet_would_run(
        staff: User, alice: User, dangerous: str) -> None:
    record_event(tag=Tag.ACCOUNT_LOGIN_SUCCESS, origin=web(alice, user_agent=dangerous),
                 details={"note": dangerous})
    rows = csv_rows(client_of(staff).get(SEARCH, {"format": "csv"}))
    assert rows[0]["user_agent"] == "'" + dangerous.split(" ")[0]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for row in rows
                   for cell in row.values())


def test_the_json_export_lists_every_matching_event(
        staff: User, recorded: dict[str, Event], alice: User) -> None:
    record_event(tag=Tag.ACCOUNT_EMAIL_ADDED, origin=web(alice), details={"email": "a@example.org"})
    response = client_of(staff).get(SEARCH, {"format": "json", "username": "alice"})
    assert response["Content-Type"] == "application/json"
    records = json.loads(streamed(response))
    mine = [r for r in records if r["id"] in {e.pk for e in Event.objects.filter(
        tag__in=["account:email:added", "project:file:uploaded"])}]
    assert [r["tag"] for r in mine] == ["account:email:added", "project:file:uploaded"]
    assert mine[0]["details"] == {"email": "a@example.org"}
    assert set(mine[1]) == set(EXPORT_COLUMNS)
    assert mine[1]["ip_prefix"] == "203.0.113.0/24"
    assert all("alice" in (r["actor"], r["user"]) for r in records)


def test_the_json_export_of_nothing_is_an_empty_list(staff: User) -> None:
    response = client_of(staff).get(SEARCH, {"format": "json", "username": "nobody"})
    assert json.loads(streamed(response)) == []


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@a", "\tx", "\rx"])
def test_a_csv_cell_that_a_spreadsheet_would_run_is_quoted(value: str) -> None:
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize(("value", "cell"), [
    ("demo", "demo"), (7, "7"), (None, ""), ({"b": 1, "a": "=x"}, '{"a": "=x", "b": 1}')])
def test_a_harmless_csv_cell_is_written_as_it_is(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_an_export_with_an_invalid_filter_exports_nothing(staff: User) -> None:
    response = client_of(staff).get(SEARCH, {"format": "csv", "ip": "nonsense"})
    assert response.status_code == 400
    assert "Content-Disposition" not in response


def test_audit_pages_are_not_cached(staff: User) -> None:
    for url in (HISTORY, SEARCH):
        assert "no-store" in client_of(staff).get(url)["Cache-Control"]
