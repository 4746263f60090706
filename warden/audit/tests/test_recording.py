"""Every action records its event: one test per tag, each driving the action the way a person
or a tool does it (the web pages, the admin, the upload endpoint, the `warden` commands) and
checking who did what to whom, with which token, from where.

Personas: alice (owns `demo`, publishes with her token "ci"), bob (a second user, invited to
`demo` in the role tests), staff (a superuser in the admin). Browsers send a Firefox
User-Agent and twine its own; Django's test client comes from 127.0.0.1.

`records(tag)` registers a test as the one that proves `tag` is recorded, and checks after
the test that an event with the tag exists; `test_every_tag_has_a_test_of_its_action` fails
when a tag is added without one.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from warden.accounts.models import User
from warden.audit.models import Event
from warden.audit.origin import Interface, Origin
from warden.audit.vocabulary import Tag
from warden.checks.models import CheckResult, Screening
from warden.checks.tests.conftest import install_checks, test_checks
from warden.packaging import roles
from warden.packaging.manage.tests.conftest import reauthenticated
from warden.packaging.models import File, Project, Release, Role, RoleInvitation, RoleName
from warden.packaging.services import release_yank
from warden.packaging.tests import conftest as packaging
from warden.packaging.tests.conftest import MakeDist, Upload
from warden.tokens.models import Token
from warden.tokens.services import token_mint

pytestmark = pytest.mark.django_db

# The packaging tests' storage isolation, distributions and upload client.
storage_dir, upload_temp_dir = packaging.storage_dir, packaging.upload_temp_dir
dist_dir, make_wheel, make_sdist = packaging.dist_dir, packaging.make_wheel, packaging.make_sdist
upload = packaging.upload
# Screening's test checks, installed as a third-party package would be.
install_checks, test_checks = install_checks, test_checks

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 42"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
TWINE = "twine/6.1.0 pkginfo/1.12.0 requests/2.32.3 CPython/3.11.2"
TEST_CLIENT_PREFIX = "127.0.0.0/24"  # Django's test client is 127.0.0.1

# Tags whose action does not exist yet, with what brings it. Each must get its test (and
# leave this list) when its feature lands.
AWAITING: dict[Tag, str] = {}

RECORDED: set[Tag] = set()
Test = TypeVar("Test", bound=Callable[..., None])


def records(tag: Tag) -> Callable[[Test], Test]:
    """Mark the test that proves `tag` is recorded by its action."""
    def mark(test: Test) -> Test:
        RECORDED.add(tag)

        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> None:
            test(*args, **kwargs)
            assert Event.objects.filter(tag=tag).exists(), f"the test recorded no {tag}"
        return run  # type: ignore[return-value]
    return mark


# --- personas and clients -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_hashing_and_fresh_rate_limits(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # allauth counts failed logins in the (database) cache, which may outlive a test.
    cache.clear()


def person(username: str, **extra: Any) -> User:
    email = f"{username}@example.org"
    user = User.objects.create_user(username=username, email=email, password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


# alice and bob get a second factor (`with_totp`) where they need one: to mint a token
# (alice_token), to manage projects (`demo` needs the token), to answer an invitation. The
# account tests keep them without, so their logins are one step and their histories the
# test's own. Staff always need one for the admin.
@pytest.fixture
def alice(db: None) -> User:
    return person("alice")


@pytest.fixture
def bob(db: None) -> User:
    return person("bob")


@pytest.fixture
def staff(db: None, with_totp: Callable[[User], str]) -> User:
    user = person("staff", is_staff=True, is_superuser=True)
    with_totp(user)
    return user


def browser(user: User | None = None, *, reauth: bool = True) -> Client:
    """Firefox; signed in as `user` (who has just typed their password, unless not `reauth`)."""
    client = Client(HTTP_USER_AGENT=FIREFOX)
    if user is not None:
        client.force_login(user)
        if reauth:
            reauthenticated(client, user)
    return client


def twine() -> Client:
    return Client(HTTP_USER_AGENT=TWINE)


@pytest.fixture
def alice_token(alice: User, with_totp: Callable[[User], str]) -> str:
    with_totp(alice)
    return token_mint(user=alice, description="ci",
                      origin=Origin(interface=Interface.WEB, actor=alice))[1]


@pytest.fixture
def demo(alice: User, alice_token: str, make_wheel: MakeDist, make_sdist: MakeDist,
         upload: Upload) -> Project:
    """demo 1.0 (a wheel and an sdist), published by alice through the upload endpoint."""
    for path in (make_wheel("demo", "1.0"), make_sdist("demo", "1.0")):
        response = upload(twine(), alice_token, path)
        assert response.status_code == 200, response.content
    return Project.objects.get(normalized_name="demo")


@pytest.fixture
def release(demo: Project) -> Release:
    return Release.objects.get(project=demo, version="1.0")


# --- reading events -------------------------------------------------------------------------


def event(tag: Tag, **filters: Any) -> Event:
    """The one event with `tag` (and `filters`)."""
    found = list(Event.objects.filter(tag=tag, **filters))
    assert len(found) == 1, f"{len(found)} {tag} events: {found}"
    return found[0]


def by(found: Event, actor: User | None, *, about: User | None = None) -> None:
    if actor is None:
        assert (found.actor_id, found.actor_username) == (None, "")
    else:
        assert (found.actor_id, found.actor_username) == (actor.pk, actor.username)
    subject = about or actor
    if subject is not None:
        assert (found.user_id, found.username) == (subject.pk, subject.username)


def from_client(found: Event, user_agent: str = "Firefox 140") -> None:
    assert found.ip_prefix == TEST_CLIENT_PREFIX
    assert re.fullmatch(r"[0-9a-f]{64}", found.ip_hash)
    assert found.user_agent == user_agent


def with_token(found: Event, token: Token) -> None:
    assert (found.token_id, found.token_description) == (str(token.pk), token.description)


def on_project(found: Event, name: str, *, version: str = "", filename: str = "") -> None:
    assert found.chain == f"project:{name}"
    assert (found.project_name, found.version, found.filename) == (name, version, filename)


# --- the vocabulary's coverage --------------------------------------------------------------


def test_every_tag_has_a_test_of_its_action() -> None:
    missing = set(Tag) - RECORDED - set(AWAITING)
    assert not missing, f"write a recording test (with @records) for: {sorted(missing)}"
    assert not RECORDED & set(AWAITING), "a tag with a test is no longer awaiting its feature"


def test_tags_awaiting_their_feature_are_recorded_nowhere_yet() -> None:
    # When the feature lands and records its tag, its test here must come with it.
    root = Path(__file__).resolve().parents[2]
    sources = [p for p in root.rglob("*.py")
               if "audit" not in p.relative_to(root).parts[:1] and "tests" not in p.parts]
    for tag in AWAITING:
        users = [str(p) for p in sources if f"Tag.{tag.name}" in p.read_text()]
        assert not users, f"{tag} is recorded by {users}: write its test, drop it from AWAITING"


# --- accounts -------------------------------------------------------------------------------


@records(Tag.ACCOUNT_CREATED)
def test_signing_up_records_the_new_account(settings: Any) -> None:
    settings.WARDEN_SIGNUP_OPEN = True
    response = browser().post("/accounts/signup/", {
        "email": "carol@example.org", "username": "carol",
        "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302

    carol = User.objects.get(username="carol")
    created = event(Tag.ACCOUNT_CREATED)
    by(created, carol)
    from_client(created)
    assert created.chain == f"user:{carol.pk}"


def test_warden_user_create_records_the_account_it_creates() -> None:
    call_command("user", "create", "dave", "--email", "dave@example.org", "--no-password")

    created = event(Tag.ACCOUNT_CREATED)
    assert created.username == "dave"
    assert created.details == {"via": "warden user create"}
    assert created.ip_prefix == ""


@records(Tag.ACCOUNT_LOGIN_SUCCESS)
def test_logging_in_records_a_successful_login(alice: User) -> None:
    response = browser().post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302

    login = event(Tag.ACCOUNT_LOGIN_SUCCESS)
    by(login, alice)
    from_client(login)
    assert login.details == {"method": "password"}


@records(Tag.ACCOUNT_LOGIN_NEW_NETWORK)
def test_logging_in_from_a_network_not_seen_before_records_it(alice: User) -> None:
    for address in ("198.51.100.7", "203.0.113.9"):  # the first is only remembered
        client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=FIREFOX)
        response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
        assert response.status_code == 302

    found = event(Tag.ACCOUNT_LOGIN_NEW_NETWORK)
    by(found, alice)
    assert found.user_agent == "Firefox 140"
    assert found.details == {"network": "203.0.113.0/24"}
    assert found.ip_prefix == "203.0.113.0/24"


@records(Tag.SITE_SIGNUP_LIMITED)
def test_a_sign_up_over_the_address_cap_is_recorded_with_no_account(settings: Any) -> None:
    settings.WARDEN_SIGNUP_OPEN = True
    settings.WARDEN_SIGNUP_LIMIT_PER_ADDRESS_HOUR = 1
    statuses = [browser().post("/accounts/signup/", {
        "email": f"p{i}@example.org", "username": f"p{i}",
        "password1": PASSWORD, "password2": PASSWORD}).status_code for i in range(2)]
    assert statuses == [302, 429]

    found = event(Tag.SITE_SIGNUP_LIMITED)
    by(found, None)
    from_client(found)
    assert not User.objects.filter(username="p1").exists()


@records(Tag.ACCOUNT_LOGIN_FAILURE)
def test_a_wrong_password_records_a_failed_login_on_the_named_account(alice: User) -> None:
    response = browser().post("/accounts/login/",
                              {"login": "alice", "password": "not the password"})
    assert response.status_code == 200

    failure = event(Tag.ACCOUNT_LOGIN_FAILURE)
    by(failure, None, about=alice)  # whoever tried is nobody we know
    from_client(failure)
    assert failure.chain == f"user:{alice.pk}"


def test_a_failed_login_by_email_address_is_recorded_on_that_account(alice: User) -> None:
    browser().post("/accounts/login/",
                   {"login": "alice@example.org", "password": "not the password"})

    by(event(Tag.ACCOUNT_LOGIN_FAILURE), None, about=alice)


def test_a_failed_login_naming_nobody_records_nothing(alice: User) -> None:
    browser().post("/accounts/login/", {"login": "nobody", "password": "not the password"})

    assert not Event.objects.filter(tag=Tag.ACCOUNT_LOGIN_FAILURE).exists()


def test_a_wrong_password_on_the_reauthentication_form_is_a_failed_login(alice: User) -> None:
    client = browser(alice, reauth=False)
    response = client.post(reverse("account_reauthenticate"), {"password": "not the password"})
    assert response.status_code == 200

    failure = event(Tag.ACCOUNT_LOGIN_FAILURE)
    by(failure, None, about=alice)
    assert failure.details == {"reauthentication": True}


@records(Tag.ACCOUNT_LOGOUT)
def test_logging_out_records_it(alice: User) -> None:
    response = browser(alice).post("/accounts/logout/")
    assert response.status_code == 302

    logout = event(Tag.ACCOUNT_LOGOUT)
    by(logout, alice)
    from_client(logout)


@records(Tag.ACCOUNT_REAUTH_SUCCESS)
def test_entering_the_password_again_records_a_reauthentication(alice: User) -> None:
    client = browser(alice, reauth=False)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302

    reauth = event(Tag.ACCOUNT_REAUTH_SUCCESS)
    by(reauth, alice)
    from_client(reauth)
    assert reauth.details == {"method": "password"}
    # Not a login: the session was signed in already.
    assert not Event.objects.filter(tag=Tag.ACCOUNT_LOGIN_SUCCESS).exists()


@records(Tag.ACCOUNT_PASSWORD_CHANGED)
def test_changing_the_password_records_it(alice: User) -> None:
    response = browser(alice).post("/accounts/password/change/", {
        "oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    changed = event(Tag.ACCOUNT_PASSWORD_CHANGED)
    by(changed, alice)
    from_client(changed)


@records(Tag.ACCOUNT_PASSWORD_RESET_REQUESTED)
def test_asking_for_a_reset_link_for_an_account_records_the_request(alice: User) -> None:
    response = browser().post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert response.status_code == 302

    requested = event(Tag.ACCOUNT_PASSWORD_RESET_REQUESTED)
    by(requested, None, about=alice)
    from_client(requested)
    assert requested.details == {"email": "alice@example.org"}


def test_asking_for_a_reset_link_for_an_unknown_address_records_nothing(alice: User) -> None:
    browser().post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert not Event.objects.exists()


@records(Tag.ACCOUNT_PASSWORD_RESET)
def test_setting_a_new_password_from_a_reset_link_records_the_reset(alice: User) -> None:
    client = browser()
    client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)",
                     str(mail.outbox[-1].body))
    assert link is not None
    set_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    reset = event(Tag.ACCOUNT_PASSWORD_RESET)
    by(reset, alice)
    from_client(reset)


@records(Tag.ACCOUNT_EMAIL_ADDED)
def test_adding_an_address_records_it(alice: User) -> None:
    response = browser(alice).post("/accounts/email/",
                                   {"action_add": "", "email": "alice@work.example"})
    assert response.status_code == 302

    added = event(Tag.ACCOUNT_EMAIL_ADDED)
    by(added, alice)
    from_client(added)
    assert added.details == {"email": "alice@work.example"}


@records(Tag.ACCOUNT_EMAIL_VERIFIED)
def test_following_the_verification_link_records_the_verified_address(alice: User) -> None:
    client = browser(alice)
    client.post("/accounts/email/", {"action_add": "", "email": "alice@work.example"})
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", str(mail.outbox[-1].body))
    assert link is not None
    assert client.post(link.group(1)).status_code == 302

    verified = event(Tag.ACCOUNT_EMAIL_VERIFIED)
    by(verified, alice)
    from_client(verified)
    assert verified.details == {"email": "alice@work.example"}


@records(Tag.ACCOUNT_EMAIL_REMOVED)
def test_removing_an_address_records_it(alice: User) -> None:
    EmailAddress.objects.create(user=alice, email="old@example.org", verified=True)
    browser(alice).post("/accounts/email/", {"action_remove": "", "email": "old@example.org"})

    removed = event(Tag.ACCOUNT_EMAIL_REMOVED)
    by(removed, alice)
    from_client(removed)
    assert removed.details == {"email": "old@example.org"}


@records(Tag.ACCOUNT_EMAIL_PRIMARY_CHANGED)
def test_making_another_address_primary_records_the_change(alice: User) -> None:
    EmailAddress.objects.create(user=alice, email="new@example.org", verified=True)
    browser(alice).post("/accounts/email/", {"action_primary": "", "email": "new@example.org"})

    changed = event(Tag.ACCOUNT_EMAIL_PRIMARY_CHANGED)
    by(changed, alice)
    from_client(changed)
    assert changed.details == {"from": "alice@example.org", "to": "new@example.org"}


# --- tokens ---------------------------------------------------------------------------------


@records(Tag.ACCOUNT_TOKEN_CREATED)
def test_creating_a_token_records_its_id_and_description_never_its_value(
        alice: User, with_totp: Callable[[User], str]) -> None:
    with_totp(alice)
    response = browser(alice).post(reverse("manage-token-create"), {
        "description": "laptop", "project": "", "expiry": "30d", "expiry_date": ""})
    assert response.status_code == 200

    token = Token.objects.get(user=alice, description="laptop")
    created = event(Tag.ACCOUNT_TOKEN_CREATED)
    by(created, alice)
    with_token(created, token)
    from_client(created)
    assert token.expires is not None
    assert created.details == {"projects": [], "expires": token.expires.isoformat()}


def test_warden_token_create_records_the_token_and_the_command(
        alice: User, with_totp: Callable[[User], str]) -> None:
    with_totp(alice)
    call_command("token", "create", "alice", "--description", "deploy")

    created = event(Tag.ACCOUNT_TOKEN_CREATED)
    with_token(created, Token.objects.get(description="deploy"))
    assert created.details["via"] == "warden token create"


@records(Tag.ACCOUNT_TOKEN_USED)
def test_an_upload_records_the_use_of_its_token_with_the_file(
        alice: User, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    response = upload(twine(), alice_token, make_wheel("demo", "1.0"))
    assert response.status_code == 200

    used = event(Tag.ACCOUNT_TOKEN_USED)
    by(used, alice)
    with_token(used, Token.objects.get(user=alice))
    from_client(used, "twine 6.1.0")
    assert used.chain == f"user:{alice.pk}"
    assert (used.project_name, used.version) == ("demo", "1.0")
    assert used.filename == "demo-1.0-py3-none-any.whl"


def test_a_repeated_upload_of_the_same_file_is_still_a_use_of_the_token(
        alice: User, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    wheel = make_wheel("demo", "1.0")
    upload(twine(), alice_token, wheel)
    upload(twine(), alice_token, wheel)

    assert Event.objects.filter(tag=Tag.ACCOUNT_TOKEN_USED).count() == 2
    assert Event.objects.filter(tag=Tag.PROJECT_FILE_UPLOADED).count() == 1


@records(Tag.ACCOUNT_TOKEN_REVOKED)
def test_revoking_ones_own_token_records_it(alice: User, alice_token: str) -> None:
    token = Token.objects.get(user=alice)
    response = browser(alice).post(reverse("manage-token-revoke", args=[token.pk]))
    assert response.status_code == 302

    revoked = event(Tag.ACCOUNT_TOKEN_REVOKED)
    by(revoked, alice)
    with_token(revoked, token)
    from_client(revoked)
    assert not Event.objects.filter(tag=Tag.STAFF_TOKEN_REVOKED).exists()


@records(Tag.STAFF_TOKEN_REVOKED)
def test_staff_revoking_a_token_records_it_for_staff_and_in_the_owners_history(
        alice: User, alice_token: str, staff: User) -> None:
    token = Token.objects.get(user=alice)
    response = browser(staff).post(reverse("admin:tokens_token_changelist"), {
        "action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302

    for_staff = event(Tag.STAFF_TOKEN_REVOKED)
    by(for_staff, staff, about=alice)
    with_token(for_staff, token)
    from_client(for_staff)
    assert for_staff.chain == "staff"
    in_history = event(Tag.ACCOUNT_TOKEN_REVOKED)
    by(in_history, staff, about=alice)
    with_token(in_history, token)
    assert in_history.chain == f"user:{alice.pk}"


@records(Tag.ACCOUNT_TOKEN_LEAKED)
def test_a_secret_scanners_report_records_the_leak_in_the_owners_history(
        alice: User, alice_token: str, settings: Any) -> None:
    from warden.tokens.tests.scanning import Scanner, keys_document, report

    scanner = Scanner("gh")
    settings.WARDEN_TOKEN_SCANNER_KEYS = keys_document(scanner)
    token = Token.objects.get(user=alice)
    body = report(alice_token, url="https://example.invalid/leak")
    response = Client(HTTP_USER_AGENT=FIREFOX).post(
        "/_/secret-scanning/report/", body, content_type="application/json",
        HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER="gh",
        HTTP_GITHUB_PUBLIC_KEY_SIGNATURE=scanner.sign(body))
    assert response.status_code == 200

    leaked = event(Tag.ACCOUNT_TOKEN_LEAKED)
    by(leaked, None, about=alice)
    with_token(leaked, token)
    from_client(leaked)
    assert leaked.chain == f"user:{alice.pk}"
    assert leaked.details == {"url": "https://example.invalid/leak", "source": "content",
                              "via": "secret scanning report"}


# --- projects: publishing -------------------------------------------------------------------


@records(Tag.PROJECT_CREATED)
def test_the_first_upload_records_the_new_project(
        alice: User, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    upload(twine(), alice_token, make_wheel("demo", "1.0"))

    created = event(Tag.PROJECT_CREATED)
    by(created, alice)
    with_token(created, Token.objects.get(user=alice))
    from_client(created, "twine 6.1.0")
    on_project(created, "demo")
    assert created.project_id == Project.objects.get(normalized_name="demo").pk


@records(Tag.PROJECT_RELEASE_CREATED)
def test_the_first_upload_of_a_version_records_the_new_release(
        alice: User, alice_token: str, make_wheel: MakeDist, make_sdist: MakeDist,
        upload: Upload) -> None:
    upload(twine(), alice_token, make_wheel("demo", "1.0"))
    upload(twine(), alice_token, make_sdist("demo", "1.0"))  # the same release

    created = event(Tag.PROJECT_RELEASE_CREATED)
    by(created, alice)
    with_token(created, Token.objects.get(user=alice))
    from_client(created, "twine 6.1.0")
    on_project(created, "demo", version="1.0")


@records(Tag.PROJECT_FILE_UPLOADED)
def test_an_upload_records_who_published_the_file_with_which_token_from_where(
        alice: User, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    upload(twine(), alice_token, make_wheel("demo", "1.0"))

    file = File.objects.get()
    uploaded = event(Tag.PROJECT_FILE_UPLOADED)
    by(uploaded, alice)
    with_token(uploaded, Token.objects.get(user=alice))
    from_client(uploaded, "twine 6.1.0")
    on_project(uploaded, "demo", version="1.0", filename=file.filename)
    assert uploaded.details == {"packagetype": "bdist_wheel", "sha256": file.sha256,
                                "size": file.size}


def test_warden_import_records_each_file_it_publishes(alice: User, make_wheel: MakeDist,
                                                      tmp_path: Path) -> None:
    export = tmp_path / "export"
    make_wheel("demo", "1.0", directory=export)
    call_command("import", str(export), "--owner", "alice")

    uploaded = event(Tag.PROJECT_FILE_UPLOADED)
    by(uploaded, alice)
    on_project(uploaded, "demo", version="1.0", filename="demo-1.0-py3-none-any.whl")
    assert uploaded.details["via"] == "warden import"
    assert (uploaded.token_id, uploaded.ip_prefix) == ("", "")
    assert Event.objects.filter(tag=Tag.PROJECT_CREATED, project_name="demo").exists()


@records(Tag.ACCOUNT_PROJECT_LIMIT_REACHED)
def test_an_upload_over_the_cap_on_new_projects_records_the_refusal(
        settings: Any, alice: User, alice_token: str, make_wheel: MakeDist,
        upload: Upload) -> None:
    settings.WARDEN_LIMIT_PROJECTS_PER_USER_DAY = 1
    upload(twine(), alice_token, make_wheel("demo", "1.0"))
    assert upload(twine(), alice_token, make_wheel("other", "1.0")).status_code == 429

    refused = event(Tag.ACCOUNT_PROJECT_LIMIT_REACHED)
    by(refused, alice)
    with_token(refused, Token.objects.get(user=alice))
    from_client(refused, "twine 6.1.0")
    assert refused.chain == f"user:{alice.pk}"
    assert refused.details["scope"] == "account" and refused.details["cap"] == 1


@records(Tag.ACCOUNT_UPLOAD_LIMIT_REACHED)
def test_an_upload_over_the_cap_on_uploads_records_the_refusal(
        settings: Any, alice: User, alice_token: str, make_wheel: MakeDist,
        upload: Upload) -> None:
    settings.WARDEN_LIMIT_UPLOADS_PER_ADDRESS_HOUR = 1
    upload(twine(), alice_token, make_wheel("demo", "1.0"))
    assert upload(twine(), alice_token, make_wheel("demo", "1.1")).status_code == 429

    refused = event(Tag.ACCOUNT_UPLOAD_LIMIT_REACHED)
    by(refused, alice)
    from_client(refused, "twine 6.1.0")
    assert refused.details["scope"] == "address" and refused.details["cap"] == 1


# --- projects: managing ---------------------------------------------------------------------


@records(Tag.PROJECT_RELEASE_YANKED)
def test_yanking_a_release_records_it_with_the_reason(alice: User, release: Release) -> None:
    url = reverse("manage-project-release-yank", args=["demo", "1.0"])
    browser(alice).post(url, {f"yank-{release.pk}-reason": "broken on Windows"})

    yanked = event(Tag.PROJECT_RELEASE_YANKED)
    by(yanked, alice)
    from_client(yanked)
    on_project(yanked, "demo", version="1.0")
    assert yanked.details == {"reason": "broken on Windows"}


@records(Tag.PROJECT_RELEASE_UNYANKED)
def test_unyanking_a_release_records_it(alice: User, release: Release) -> None:
    release_yank(release=release, reason="oops",
                 origin=Origin(interface=Interface.WEB, actor=alice))
    browser(alice).post(reverse("manage-project-release-unyank", args=["demo", "1.0"]))

    unyanked = event(Tag.PROJECT_RELEASE_UNYANKED)
    by(unyanked, alice)
    from_client(unyanked)
    on_project(unyanked, "demo", version="1.0")


@records(Tag.PROJECT_FILE_REMOVED)
def test_deleting_a_file_records_it(alice: User, release: Release) -> None:
    file = release.files.get(packagetype="sdist")
    url = reverse("manage-project-file-delete", args=["demo", "1.0", file.filename])
    assert browser(alice).post(url).status_code == 302

    removed = event(Tag.PROJECT_FILE_REMOVED)
    by(removed, alice)
    from_client(removed)
    on_project(removed, "demo", version="1.0", filename=file.filename)
    assert removed.details == {"sha256": file.sha256}


@records(Tag.PROJECT_RELEASE_REMOVED)
def test_deleting_a_release_records_it_with_its_files(alice: User, release: Release) -> None:
    filenames = sorted(release.files.values_list("filename", flat=True))
    url = reverse("manage-project-release-delete", args=["demo", "1.0"])
    assert browser(alice).post(url).status_code == 302

    removed = event(Tag.PROJECT_RELEASE_REMOVED)
    by(removed, alice)
    from_client(removed)
    on_project(removed, "demo", version="1.0")
    assert removed.details == {"files": filenames}


@records(Tag.PROJECT_DELETED)
def test_deleting_a_project_records_it_and_the_history_outlives_it(
        alice: User, demo: Project) -> None:
    project_id = demo.pk
    url = reverse("manage-project-delete", args=["demo"])
    assert browser(alice).post(url, {"confirm_name": "demo"}).status_code == 302

    deleted = event(Tag.PROJECT_DELETED)
    by(deleted, alice)
    from_client(deleted)
    on_project(deleted, "demo")
    assert deleted.project_id == project_id
    assert deleted.details == {"files": 2}
    assert Event.objects.filter(chain="project:demo", tag=Tag.PROJECT_FILE_UPLOADED).count() == 2


# --- projects: collaborators ----------------------------------------------------------------


@pytest.fixture
def invitation(alice: User, bob: User, demo: Project,
               with_totp: Callable[[User], str]) -> RoleInvitation:
    with_totp(bob)  # to answer it
    return roles.role_invite(project=demo, invitee_username="bob",
                             role_name=RoleName.MAINTAINER,
                             origin=Origin(interface=Interface.WEB, actor=alice))


@records(Tag.PROJECT_ROLE_INVITED)
def test_inviting_a_collaborator_records_whom_and_as_what(alice: User, bob: User,
                                                         demo: Project) -> None:
    browser(alice).post(reverse("manage-project-invite", args=["demo"]),
                        {"invite-username": "bob", "invite-role_name": "maintainer"})

    invited = event(Tag.PROJECT_ROLE_INVITED)
    by(invited, alice, about=bob)
    from_client(invited)
    on_project(invited, "demo")
    assert invited.details == {"role": "maintainer"}


@records(Tag.PROJECT_ROLE_ADDED)
def test_accepting_an_invitation_records_the_new_role(bob: User,
                                                     invitation: RoleInvitation) -> None:
    browser(bob).post(reverse("manage-invitation-accept", args=[invitation.pk]))

    added = event(Tag.PROJECT_ROLE_ADDED)
    by(added, bob)
    from_client(added)
    on_project(added, "demo")
    assert added.details == {"role": "maintainer", "invited_by": "alice"}


@records(Tag.PROJECT_ROLE_INVITATION_DECLINED)
def test_declining_an_invitation_records_it(bob: User, invitation: RoleInvitation) -> None:
    browser(bob).post(reverse("manage-invitation-decline", args=[invitation.pk]))

    declined = event(Tag.PROJECT_ROLE_INVITATION_DECLINED)
    by(declined, bob)
    from_client(declined)
    on_project(declined, "demo")


@records(Tag.PROJECT_ROLE_INVITATION_REVOKED)
def test_withdrawing_an_invitation_records_it(alice: User, bob: User,
                                             invitation: RoleInvitation) -> None:
    url = reverse("manage-project-invitation-revoke", args=["demo", invitation.pk])
    browser(alice).post(url)

    revoked = event(Tag.PROJECT_ROLE_INVITATION_REVOKED)
    by(revoked, alice, about=bob)
    from_client(revoked)
    on_project(revoked, "demo")


@pytest.fixture
def bob_maintains(bob: User, demo: Project) -> Role:
    return Role.objects.create(project=demo, user=bob, role_name=RoleName.MAINTAINER)


@records(Tag.PROJECT_ROLE_CHANGED)
def test_changing_a_role_records_from_what_to_what(alice: User, bob: User,
                                                  bob_maintains: Role) -> None:
    browser(alice).post(reverse("manage-project-role-change", args=["demo", "bob"]),
                        {f"role-{bob_maintains.pk}-role_name": "owner"})

    changed = event(Tag.PROJECT_ROLE_CHANGED)
    by(changed, alice, about=bob)
    from_client(changed)
    on_project(changed, "demo")
    assert changed.details == {"from": "maintainer", "to": "owner"}


@records(Tag.PROJECT_ROLE_REMOVED)
def test_removing_a_collaborator_records_it(alice: User, bob: User, bob_maintains: Role) -> None:
    browser(alice).post(reverse("manage-project-role-remove", args=["demo", "bob"]))

    removed = event(Tag.PROJECT_ROLE_REMOVED)
    by(removed, alice, about=bob)
    from_client(removed)
    on_project(removed, "demo")
    assert removed.details == {"role": "maintainer"}


# --- staff ----------------------------------------------------------------------------------


def admin_action(client: Client, url: str, name: str, *objects: Any, **extra: str) -> Any:
    return client.post(url, {"action": name, "_selected_action": [o.pk for o in objects],
                             **extra})


@records(Tag.STAFF_USER_DISABLED)
def test_disabling_a_user_records_it_and_each_token_it_revokes(
        alice: User, alice_token: str, staff: User) -> None:
    response = admin_action(browser(staff), reverse("admin:accounts_user_changelist"),
                            "disable_users", alice)
    assert response.status_code == 302

    disabled = event(Tag.STAFF_USER_DISABLED)
    by(disabled, staff, about=alice)
    from_client(disabled)
    assert disabled.chain == "staff"
    assert disabled.details == {"tokens_revoked": 1}
    token = Token.objects.get(user=alice)
    with_token(event(Tag.STAFF_TOKEN_REVOKED), token)
    by(event(Tag.ACCOUNT_TOKEN_REVOKED), staff, about=alice)


@records(Tag.STAFF_USER_PASSWORD_RESET_FORCED)
def test_forcing_a_password_reset_records_it_and_the_mailed_link(alice: User,
                                                                  staff: User) -> None:
    response = admin_action(browser(staff), reverse("admin:accounts_user_changelist"),
                            "force_password_reset", alice)
    assert response.status_code == 302

    forced = event(Tag.STAFF_USER_PASSWORD_RESET_FORCED)
    by(forced, staff, about=alice)
    from_client(forced)
    by(event(Tag.ACCOUNT_PASSWORD_RESET_REQUESTED), staff, about=alice)


@records(Tag.STAFF_TWO_FACTOR_RESET)
def test_staff_resetting_someones_two_factor_records_it_with_how_they_verified_them(
        alice: User, staff: User, with_totp: Callable[[User], str]) -> None:
    with_totp(alice)
    response = admin_action(browser(staff), reverse("admin:accounts_user_changelist"),
                            "reset_two_factor", alice, post="yes",
                            reason="video call, passport checked")
    assert response.status_code == 302

    reset = event(Tag.STAFF_TWO_FACTOR_RESET)
    by(reset, staff, about=alice)
    from_client(reset)
    assert reset.details == {"reason": "video call, passport checked"}


@records(Tag.STAFF_PROJECT_REMOVED)
def test_staff_removing_a_project_records_it_for_staff_and_in_its_history(
        demo: Project, staff: User) -> None:
    response = admin_action(browser(staff), reverse("admin:packaging_project_changelist"),
                            "remove_projects", demo, post="yes")
    assert response.status_code == 302

    removed = event(Tag.STAFF_PROJECT_REMOVED)
    by(removed, staff)
    from_client(removed)
    assert (removed.chain, removed.project_name, removed.project_id) == ("staff", "demo",
                                                                         demo.pk)
    in_history = event(Tag.PROJECT_DELETED)
    by(in_history, staff)
    on_project(in_history, "demo")


@records(Tag.STAFF_NAME_PROHIBITED)
def test_prohibiting_a_name_records_it_with_the_reason(staff: User) -> None:
    response = browser(staff).post(reverse("admin:packaging_prohibitedname_add"),
                                   {"normalized_name": "Evil.Pkg", "reason": "typosquat"})
    assert response.status_code == 302

    prohibited = event(Tag.STAFF_NAME_PROHIBITED)
    by(prohibited, staff)
    from_client(prohibited)
    assert (prohibited.chain, prohibited.project_name) == ("staff", "evil-pkg")
    assert prohibited.details == {"reason": "typosquat"}


# --- screening and quarantine ---------------------------------------------------------------


def screened(file: File) -> Screening:
    """A finished screening of `file` with one malicious result, as the worker leaves it."""
    screening = Screening.objects.create(
        file=file, normalized_name="demo", project_name="demo", version="1.0",
        filename=file.filename, sha256=file.sha256, checks=["t-marker"], state="done",
        classification="malicious", confidence=0.99)
    CheckResult.objects.create(screening=screening, check_name="t-marker", check_version=1,
                               state="enabled", classification="malicious", confidence=0.99,
                               message="EVIL marker")
    return screening


@records(Tag.PROJECT_FILE_SCREENED)
def test_a_held_file_published_after_screening_records_it_by_nobody(
        settings: Any, test_checks: Path, alice_token: str, make_wheel: MakeDist,
        upload: Upload, run_tasks: Callable[[], None]) -> None:
    settings.WARDEN_SCREEN_HOLD = True
    path = make_wheel("fresh", "1.0")
    assert upload(twine(), alice_token, path).status_code == 200
    run_tasks()

    published = event(Tag.PROJECT_FILE_SCREENED)
    by(published, None)
    on_project(published, "fresh", version="1.0", filename=path.name)
    assert published.details == {"via": "screening"}


@records(Tag.PROJECT_QUARANTINED)
@records(Tag.PROJECT_UNQUARANTINED)
def test_staff_quarantining_and_releasing_a_project_records_both_with_the_reason(
        demo: Project, staff: User) -> None:
    screening = screened(File.objects.filter(release__project=demo).first())
    client = browser(staff)
    response = client.post(reverse("review-project-quarantine", args=[screening.pk]),
                           {"project-reason": "steals tokens"})
    assert response.status_code == 302
    response = client.post(reverse("review-project-unquarantine", args=[screening.pk]))
    assert response.status_code == 302

    quarantined = event(Tag.PROJECT_QUARANTINED)
    by(quarantined, staff)
    from_client(quarantined)
    on_project(quarantined, "demo")
    assert quarantined.details == {"reason": "steals tokens"}
    released = event(Tag.PROJECT_UNQUARANTINED)
    by(released, staff)
    on_project(released, "demo")


@records(Tag.PROJECT_STATUS_CHANGED)
def test_staff_archiving_a_project_records_the_status_and_the_reason(
        demo: Project, staff: User) -> None:
    response = browser(staff).post(reverse("review-project-status", args=["demo"]),
                                   {"status": "archived", "reason": "superseded by demo2"})
    assert response.status_code == 302

    changed = event(Tag.PROJECT_STATUS_CHANGED)
    by(changed, staff)
    from_client(changed)
    on_project(changed, "demo")
    assert changed.details == {"status": "archived", "previous": "active",
                               "reason": "superseded by demo2"}


@records(Tag.PROJECT_RELEASE_QUARANTINED)
@records(Tag.PROJECT_RELEASE_UNQUARANTINED)
def test_staff_quarantining_and_releasing_a_release_records_both(
        demo: Project, staff: User) -> None:
    screening = screened(File.objects.filter(release__project=demo).first())
    client = browser(staff)
    response = client.post(reverse("review-release-quarantine", args=[screening.pk]),
                           {"release-reason": "a dropper in 1.0"})
    assert response.status_code == 302
    response = client.post(reverse("review-release-unquarantine", args=[screening.pk]))
    assert response.status_code == 302

    quarantined = event(Tag.PROJECT_RELEASE_QUARANTINED)
    by(quarantined, staff)
    from_client(quarantined)
    on_project(quarantined, "demo", version="1.0")
    assert quarantined.details == {"reason": "a dropper in 1.0"}
    on_project(event(Tag.PROJECT_RELEASE_UNQUARANTINED), "demo", version="1.0")


@records(Tag.STAFF_CHECK_RESULT_REVIEWED)
def test_a_reviewers_verdict_records_the_check_the_file_and_the_verdict(
        demo: Project, staff: User) -> None:
    screening = screened(File.objects.filter(release__project=demo).first())
    result = screening.results.get()
    response = browser(staff).post(
        reverse("review-result-review", args=[screening.pk, result.pk]),
        {f"r{result.pk}-review": "false_positive", f"r{result.pk}-note": "a test fixture"})
    assert response.status_code == 302

    reviewed = event(Tag.STAFF_CHECK_RESULT_REVIEWED)
    by(reviewed, staff)
    from_client(reviewed)
    assert reviewed.filename == screening.filename
    assert reviewed.details == {"check": "t-marker", "verdict": "false_positive",
                                "result": result.pk}


@records(Tag.STAFF_CHECK_STATE_CHANGED)
@records(Tag.STAFF_CHECK_BACKFILL_STARTED)
def test_staff_changing_a_checks_state_and_starting_a_rescan_records_both(
        test_checks: Path, demo: Project, staff: User) -> None:
    client = browser(staff)
    response = client.post(reverse("review-check-state", args=["t-marker"]),
                           {"state": "evaluation"})
    assert response.status_code == 302
    response = client.post(reverse("review-check-backfill", args=["t-marker"]))
    assert response.status_code == 302

    changed = event(Tag.STAFF_CHECK_STATE_CHANGED)
    by(changed, staff)
    from_client(changed)
    assert changed.details == {"check": "t-marker", "state": "evaluation", "version": 1}
    started = event(Tag.STAFF_CHECK_BACKFILL_STARTED)
    by(started, staff)
    assert started.details == {"check": "t-marker", "version": 1, "files": 2}


# --- two-factor authentication --------------------------------------------------------------

TWO_FACTOR_SETUP = "/accounts/2fa/totp/activate/"


def _app_turned_on(client: Client) -> str:
    """Set up the authenticator app through its page; returns the secret."""
    from warden.accounts.twofactor import totp
    from warden.accounts.twofactor.tests.conftest import setup_secret

    client.get(TWO_FACTOR_SETUP)
    secret = setup_secret(client)
    response = client.post(TWO_FACTOR_SETUP, {"code": totp.totp_code(
        secret, totp.counter_at(time.time()))})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


@records(Tag.ACCOUNT_TWO_FACTOR_ADDED)
def test_turning_on_the_authenticator_app_records_it_never_the_secret(alice: User) -> None:
    secret = _app_turned_on(browser(alice))

    added = event(Tag.ACCOUNT_TWO_FACTOR_ADDED)
    by(added, alice)
    from_client(added)
    assert added.details == {"method": "totp"}
    assert secret not in str(added.details)


@records(Tag.ACCOUNT_TWO_FACTOR_REMOVED)
def test_turning_off_the_authenticator_app_records_it(alice: User, settings: Any) -> None:
    settings.WARDEN_REQUIRE_2FA = False  # else the last factor stays
    client = browser(alice)
    _app_turned_on(client)
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302

    removed = event(Tag.ACCOUNT_TWO_FACTOR_REMOVED)
    by(removed, alice)
    from_client(removed)
    assert removed.details == {"method": "totp"}


@records(Tag.ACCOUNT_RECOVERY_CODES_REGENERATED)
def test_a_new_set_of_recovery_codes_is_recorded(alice: User) -> None:
    client = browser(alice)
    _app_turned_on(client)
    response = client.post("/accounts/2fa/recovery-codes/generate/")
    assert response.status_code == 302

    regenerated = event(Tag.ACCOUNT_RECOVERY_CODES_REGENERATED)
    by(regenerated, alice)
    from_client(regenerated)


def _second_step(client: Client, code: str, method: str = "totp") -> Any:
    response = client.post(reverse("account_login"), {"login": "alice", "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate"), response
    return client.post(reverse("mfa_authenticate"), {"method": method, "code": code})


@records(Tag.ACCOUNT_TWO_FACTOR_FAILURE)
def test_a_wrong_code_at_the_second_step_is_recorded_without_the_code(alice: User) -> None:
    _app_turned_on(browser(alice))
    response = _second_step(Client(HTTP_USER_AGENT=FIREFOX), "000000")
    assert response.status_code == 400

    failure = event(Tag.ACCOUNT_TWO_FACTOR_FAILURE)
    by(failure, None, about=alice)
    from_client(failure)
    assert failure.details == {"reason": "CodeIncorrect"}


@records(Tag.ACCOUNT_RECOVERY_CODE_USED)
def test_logging_in_with_a_recovery_code_records_how_many_are_left(alice: User) -> None:
    client = browser(alice)
    _app_turned_on(client)
    codes = re.findall(r"<li><code>([a-z2-7-]+)</code></li>",
                       client.get("/accounts/2fa/recovery-codes/").content.decode())
    assert len(codes) == 10
    response = _second_step(Client(HTTP_USER_AGENT=FIREFOX), codes[0], method="recovery")
    assert response.status_code == 302

    used = event(Tag.ACCOUNT_RECOVERY_CODE_USED)
    by(used, alice)
    from_client(used)
    assert used.details == {"remaining": 9}
    login = Event.objects.filter(tag=Tag.ACCOUNT_LOGIN_SUCCESS).last()
    assert login is not None and login.details == {"method": "mfa"}
