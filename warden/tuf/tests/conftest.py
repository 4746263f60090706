"""A TUF repository per test, and python-tuf's own client reading it in-process.

The client is python-tuf's `ngclient.Updater`, unchanged; only its fetcher is ours: it
hands each URL to the WSGI application (the fast paths in front of Django) the way a server
would, and can be told to tamper with responses, as a hostile mirror or CDN would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tuf.api.exceptions import DownloadHTTPError
from tuf.ngclient import Updater
from tuf.ngclient.fetcher import FetcherInterface

from warden.packaging.simple.tests.wsgi import wsgi_call
from warden.packaging.tests.conftest import (  # noqa: F401  (fixtures)
    alice_token,
    dist_dir,
    make_sdist,
    make_wheel,
    storage_dir,
    upload,
    upload_temp_dir,
)
from warden.tuf import repository as repo
from warden.tuf.offline import embedded_init
from warden.tuf.signer import Publisher, publish_all, publisher_for

BASE = "http://index.test"
BIT_LENGTH = 3
Tamper = Callable[[str, bytes], bytes]


class WsgiFetcher(FetcherInterface):
    """Fetches from the application in-process; `tamper(path, body)` may rewrite what a
    hostile party in between would."""

    def __init__(self) -> None:
        from django.core.wsgi import get_wsgi_application

        from warden.wsgi import application_for

        self.app = application_for(get_wsgi_application())
        self.tamper: Tamper | None = None
        self.fetched: list[str] = []

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = urlsplit(url).path
        self.fetched.append(path)
        status, _, body = wsgi_call(self.app, path)
        if status != 200:
            raise DownloadHTTPError(f"{status} for {path}", status)
        if self.tamper is not None:
            body = self.tamper(path, body)
        return iter([body])


@pytest.fixture(autouse=True)
def metadata_cache_cleared() -> None:
    """Each test has a repository of its own under the same names (`tuf/1.root.json`): the
    server's cache of immutable files must not carry one test's into the next."""
    from warden.tuf import serve

    serve._cache.items.clear()
    serve._cache.size = 0


@pytest.fixture
def tuf_repository(db: None, settings: Any, tmp_path: Path) -> Path:
    """An embedded repository with 2**BIT_LENGTH bins; returns the keys' directory."""
    keys = tmp_path / "tuf-keys"
    settings.WARDEN_TUF_ONLINE_KEY_FILE = keys / "online.pem"
    embedded_init(keys_dir=keys, online_key_file=keys / "online.pem",
                  bit_length=BIT_LENGTH, now=datetime.now(UTC))
    return keys


@pytest.fixture
def signer(tuf_repository: Path) -> Publisher:
    return publisher_for("tests", None)


@pytest.fixture
def sign(signer: Publisher) -> Callable[[], int]:
    return lambda: publish_all(signer)


@pytest.fixture
def fetcher() -> WsgiFetcher:
    return WsgiFetcher()


@pytest.fixture
def client_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "client"
    (directory / "metadata").mkdir(parents=True)
    (directory / "targets").mkdir()
    return directory


@pytest.fixture
def new_client(fetcher: WsgiFetcher, client_dir: Path,
               tuf_repository: Path) -> Callable[..., Updater]:
    """A client that trusts root version 1 (what an installer ships), refreshed."""
    root = repo.metadata_read(repo.ROOT, 1)

    def make(*, refresh: bool = True) -> Updater:
        updater = Updater(metadata_dir=str(client_dir / "metadata"),
                          metadata_base_url=f"{BASE}/tuf/",
                          target_dir=str(client_dir / "targets"),
                          target_base_url=f"{BASE}/", fetcher=fetcher, bootstrap=root)
        if refresh:
            updater.refresh()
        return updater

    return make
