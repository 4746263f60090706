"""The caps on abuse as twine meets them: over the cap on new projects, the upload fails with
429 and twine prints our message, which says how long to wait."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.clients import twine_upload
from tests.conftest import Server, server_running
from tests.dists import Dists
from tests.index import index_files, wait_until_listed

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own whose accounts may create one project a day."""
    def one_project_a_day(srv: Server) -> None:
        srv.env["WARDEN_LIMIT_PROJECTS_PER_USER_DAY"] = "1"

    with server_running(tmp_path_factory, prepare=one_project_a_day) as (srv, _):
        yield srv


def test_twine_over_the_cap_on_new_projects_fails_with_429_and_says_when_to_retry(
        capped_server: Server, make_dists: Callable[..., Dists]) -> None:
    token = capped_server.mint_token("alice", "--expires", "1d")
    first, second = make_dists("gannet", "1.0"), make_dists("puffin", "1.0")
    assert twine_upload(capped_server.url, first.files, password=token).returncode == 0
    wait_until_listed(capped_server.url, "gannet", first.wheel.name)

    done = twine_upload(capped_server.url, second.files, password=token)

    assert done.returncode != 0, done.describe()
    assert "429" in done.error, done.describe()
    assert done.message.startswith("Too many new projects: this account may create 1 "
                                   "projects a day. Try again in 1 day."), done.describe()
    # New files for the project alice already has are still welcome.
    more = make_dists("gannet", "1.1")
    assert twine_upload(capped_server.url, more.files, password=token).returncode == 0
    assert more.wheel.name in wait_until_listed(capped_server.url, "gannet", more.wheel.name)
    assert index_files(capped_server.url, "puffin") == {}
