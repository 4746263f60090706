"""Who may upload: only a valid, unexpired, unrevoked API token, within its scope.

Tokens here are made the ways a person makes them: `warden token create` (whole account or
`--project`), and attenuated offline by their holder (a macaroon caveat added without asking
the server), which is how a CI job narrows a token before handing it on.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable

import pymacaroons
import pytest

from tests.clients import Run, twine_upload
from tests.conftest import Server
from tests.dists import Dists
from tests.index import assert_never_published, index_files, wait_until_listed
from warden.tokens.format import token_body, token_encode

pytestmark = pytest.mark.e2e

MakeDists = Callable[..., Dists]
BARE_STATUS_PHRASES = {"", "Forbidden", "Bad Request", "Unauthorized"}


def assert_refused(done: Run, status: int) -> None:
    """twine failed, reported `status`, and showed the person the server's own message."""
    assert done.returncode != 0, done.describe()
    assert f"{status} " in done.error, done.describe()
    assert done.message not in BARE_STATUS_PHRASES, done.describe()


def attenuated(token: str, *caveat: object) -> str:
    """`token` with one more first-party caveat, added offline as its holder could."""
    macaroon = pymacaroons.Macaroon.deserialize(token_body(token))
    macaroon.add_first_party_caveat(json.dumps(list(caveat), separators=(",", ":")))
    return token_encode(macaroon.serialize())


def upload_new_version(
    server: Server, token: str, make_dists: MakeDists, project: str, version: str
) -> Run:
    return twine_upload(server.url, make_dists(project, version).files, password=token)


def publish(server: Server, token: str, make_dists: MakeDists, project: str) -> None:
    """Uploads `project` 1.0 and waits until its simple page lists the files, so a later
    look at the page for what a refused upload must not have added reads a rendered page."""
    dists = make_dists(project, "1.0")
    done = twine_upload(server.url, dists.files, password=token)
    assert done.returncode == 0, done.describe()
    wait_until_listed(server.url, project, dists.sdist.name, dists.wheel.name)


def test_a_username_other_than_the_token_marker_is_refused_with_a_message_to_use_a_token(
    server: Server, make_dists: MakeDists
) -> None:
    dists = make_dists("magpie", "1.0")

    done = twine_upload(
        server.url, dists.files, username="alice", password="correct horse battery staple"
    )

    assert_refused(done, 403)
    assert "token" in done.message.lower(), done.describe()
    assert_never_published(server.url, "magpie")


def test_a_token_scoped_to_one_project_cannot_upload_to_another_project_of_its_owner(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    publish(server, alice_token, make_dists, "alpaca")
    publish(server, alice_token, make_dists, "bison")
    alpaca_only = server.mint_token("alice", "--project", "alpaca", "--expires", "1d")

    to_bison = upload_new_version(server, alpaca_only, make_dists, "bison", "2.0")
    to_alpaca = upload_new_version(server, alpaca_only, make_dists, "alpaca", "2.0")

    assert_refused(to_bison, 403)
    assert to_alpaca.returncode == 0, to_alpaca.describe()
    assert not any("2.0" in filename for filename in index_files(server.url, "bison"))


def test_a_token_scoped_to_one_project_cannot_create_a_new_project(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    publish(server, alice_token, make_dists, "coyote")
    coyote_only = server.mint_token("alice", "--project", "coyote", "--expires", "1d")

    done = upload_new_version(server, coyote_only, make_dists, "dingo", "1.0")

    assert_refused(done, 403)
    assert_never_published(server.url, "dingo")


def test_a_strangers_token_cannot_upload_to_someone_elses_project(
    server: Server, alice_token: str, mallory_token: str, make_dists: MakeDists
) -> None:
    publish(server, alice_token, make_dists, "ermine")

    done = upload_new_version(server, mallory_token, make_dists, "ermine", "1.1")

    assert_refused(done, 403)
    assert not any("1.1" in filename for filename in index_files(server.url, "ermine"))


def test_an_expired_token_is_refused(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    lifetime = 6  # seconds: long enough for the first upload, short enough to wait out
    minted = time.time()
    short_lived = server.shell(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from warden.accounts.models import User\n"
        "from warden.audit.origin import Origin\n"
        "from warden.tokens.services import token_mint\n"
        "_, raw = token_mint(user=User.objects.get(username='alice'),\n"
        "                    description='e2e short-lived',\n"
        f"                    expires=timezone.now() + timedelta(seconds={lifetime}),\n"
        "                    origin=Origin.command('e2e short-lived token'))\n"
        "print(raw)\n"
    )
    first = make_dists("ferret", "1.0")
    fresh = twine_upload(server.url, first.files, password=short_lived)
    assert fresh.returncode == 0, f"the token was refused before it expired:\n{fresh.describe()}"
    wait_until_listed(server.url, "ferret", first.sdist.name, first.wheel.name)
    time.sleep(max(0.0, minted + lifetime + 1.5 - time.time()))

    done = upload_new_version(server, short_lived, make_dists, "ferret", "2.0")

    assert_refused(done, 403)
    assert not any("2.0" in filename for filename in index_files(server.url, "ferret"))


def test_a_token_its_holder_narrowed_to_a_future_expiry_still_uploads(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    now = int(time.time())
    narrowed = attenuated(alice_token, 0, now + 3600, now - 60)

    done = upload_new_version(server, narrowed, make_dists, "gopher", "1.0")

    assert done.returncode == 0, done.describe()


def test_a_token_its_holder_narrowed_to_an_expiry_in_the_past_is_refused(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    now = int(time.time())
    expired = attenuated(alice_token, 0, now - 60, now - 3600)

    done = upload_new_version(server, expired, make_dists, "hyrax", "1.0")

    assert_refused(done, 403)
    assert_never_published(server.url, "hyrax")


def test_a_token_its_holder_narrowed_to_one_project_cannot_upload_to_another(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    publish(server, alice_token, make_dists, "ibex")
    publish(server, alice_token, make_dists, "jackal")
    ibex_only = attenuated(alice_token, 1, ["ibex"])

    to_jackal = upload_new_version(server, ibex_only, make_dists, "jackal", "2.0")
    to_ibex = upload_new_version(server, ibex_only, make_dists, "ibex", "2.0")

    assert_refused(to_jackal, 403)
    assert to_ibex.returncode == 0, to_ibex.describe()


def test_a_token_with_a_tampered_signature_is_refused(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    body = token_body(alice_token)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[-10] ^= 0x01  # the signature is the last 32 bytes of the serialized macaroon
    # With a checksum that matches, so what refuses it is the signature.
    tampered = token_encode(base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("="))
    assert tampered != alice_token

    done = upload_new_version(server, tampered, make_dists, "koala", "1.0")

    assert_refused(done, 403)
    assert_never_published(server.url, "koala")


def test_a_revoked_token_is_refused(server: Server, make_dists: MakeDists) -> None:
    created = server.warden("token", "create", "alice", "--description", "e2e to revoke")
    token = created.stdout.strip()
    match = re.search(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", created.stderr
    )
    assert match, created.stderr
    publish(server, token, make_dists, "lemur")
    server.warden("token", "revoke", match.group(0))

    done = upload_new_version(server, token, make_dists, "lemur", "2.0")

    assert_refused(done, 403)
    assert not any("2.0" in filename for filename in index_files(server.url, "lemur"))


def test_a_token_whose_user_has_no_second_factor_is_refused_and_twine_says_where_to_set_it_up(
    server: Server, make_dists: MakeDists
) -> None:
    # `warden token create` (and token_mint itself) refuses such a user, so the token is
    # minted the way one could have been before the policy was on (or before staff reset
    # the user's factors): with the policy off, in that shell alone.
    server.warden("user", "create", "walrus", "--email", "walrus@example.invalid",
                  "--no-password")
    token = server.shell(
        "from django.test import override_settings\n"
        "from warden.accounts.models import User\n"
        "from warden.audit.origin import Origin\n"
        "from warden.tokens.services import token_mint\n"
        "with override_settings(WARDEN_REQUIRE_2FA=False):\n"
        "    _, raw = token_mint(user=User.objects.get(username='walrus'), description='old',\n"
        "                        origin=Origin.command('e2e token before the policy'))\n"
        "print(raw)\n"
    ).splitlines()[-1]

    done = upload_new_version(server, token, make_dists, "walrus-pkg", "1.0")

    assert_refused(done, 403)
    assert "walrus has no two-factor authentication" in done.describe(), done.describe()
    assert f"{server.url}/accounts/2fa/" in done.describe(), done.describe()
    assert index_files(server.url, "walrus-pkg") == {}
