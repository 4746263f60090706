"""The signer publishes every file, metadata file and page as a TUF target that python-tuf's
client verifies, and a client refuses whatever a hostile party in between changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from tuf.api.exceptions import (
    BadVersionNumberError,
    DownloadLengthMismatchError,
    ExpiredMetadataError,
    LengthOrHashMismatchError,
    RepositoryError,
)
from tuf.api.metadata import Metadata, MetaFile, Timestamp
from tuf.ngclient import Updater

from warden.packaging.models import File, PendingChange, Project
from warden.packaging.services import file_delete
from warden.packaging.tests.conftest import MakeDist, Upload, acting
from warden.tuf import repository as repo
from warden.tuf.models import Role, State, Target
from warden.tuf.signer import Publisher
from warden.tuf.tests.conftest import WsgiFetcher

pytestmark = pytest.mark.django_db
NewClient = Callable[..., Updater]


@pytest.fixture
def published(client: Client, alice_token: str, make_wheel: MakeDist, make_sdist: MakeDist,
              upload: Upload, sign: Callable[[], int]) -> list[File]:
    """demo 1.0 as a wheel (with PEP 658 metadata) and an sdist, signed."""
    for path in (make_wheel("demo", "1.0"), make_sdist("demo", "1.0")):
        assert upload(client, alice_token, path).status_code == 200
    assert sign() > 0
    return list(File.objects.order_by("filename"))


def target_paths(files: list[File]) -> list[str]:
    paths = ["simple/index.html", "simple/index.json",
             "simple/demo/index.html", "simple/demo/index.json"]
    for f in files:
        paths.append(f"packages/{f.path}")
        if f.metadata_sha256:
            paths.append(f"packages/{f.path}.metadata")
    return paths


def fetch(updater: Updater, path: str) -> bytes:
    info = updater.get_targetinfo(path)
    assert info is not None, f"{path} is not a target"
    return Path(updater.download_target(info)).read_bytes()


def test_every_file_metadata_file_and_page_verifies(published: list[File],
                                                     new_client: NewClient) -> None:
    updater = new_client()
    assert any(f.metadata_sha256 for f in published)

    for path in target_paths(published):
        body = fetch(updater, path)
        if path.startswith("packages/"):
            name = path.removeprefix("packages/")
            f = next(f for f in published if name in (f.path, f.path + ".metadata"))
            expected = f.sha256 if name == f.path else f.metadata_sha256
            assert hashlib.sha256(body).hexdigest() == expected


@pytest.mark.parametrize(("url", "accept", "target"), [
    ("/simple/demo/", "text/html", "simple/demo/index.html"),
    ("/simple/demo/", "application/vnd.pypi.simple.v1+json", "simple/demo/index.json"),
    ("/simple/", "text/html", "simple/index.html"),
    ("/simple/", "application/vnd.pypi.simple.v1+json", "simple/index.json"),
])
def test_what_the_simple_api_serves_is_the_latest_signed_target(
        published: list[File], new_client: NewClient, client: Client, url: str, accept: str,
        target: str) -> None:
    served = client.get(url, HTTP_ACCEPT=accept).content

    assert served == fetch(new_client(), target)


def test_a_deleted_file_is_no_longer_a_target(published: list[File], new_client: NewClient,
                                              sign: Callable[[], int]) -> None:
    wheel = next(f for f in published if f.filename.endswith(".whl"))
    file_delete(file=wheel, origin=acting(wheel.release.project.roles.first().user))
    sign()

    updater = new_client()

    assert updater.get_targetinfo(f"packages/{wheel.path}") is None
    assert updater.get_targetinfo(f"packages/{wheel.path}.metadata") is None
    assert not Target.objects.filter(path__contains=wheel.sha256).exists()
    page = json.loads(fetch(updater, "simple/demo/index.json"))
    assert [f["filename"] for f in page["files"]] == ["demo-1.0.tar.gz"]


def _flip(body: bytes) -> bytes:
    return body[:-2] + bytes([body[-2] ^ 1]) + body[-1:]


@pytest.mark.parametrize("what", ["file", "metadata", "page", "root page"])
def test_a_tampered_target_is_refused(published: list[File], new_client: NewClient,
                                      fetcher: WsgiFetcher, what: str) -> None:
    wheel = next(f for f in published if f.filename.endswith(".whl"))
    path = {"file": f"packages/{wheel.path}", "metadata": f"packages/{wheel.path}.metadata",
            "page": "simple/demo/index.json", "root page": "simple/index.html"}[what]
    updater = new_client()
    info = updater.get_targetinfo(path)
    assert info is not None
    fetcher.tamper = lambda url, body: _flip(body) if not url.startswith("/tuf/") else body

    with pytest.raises(LengthOrHashMismatchError):
        updater.download_target(info)


@pytest.mark.parametrize("role", ["bin", "snapshot", "timestamp"])
def test_tampered_metadata_is_refused(published: list[File], new_client: NewClient,
                                      fetcher: WsgiFetcher, role: str) -> None:
    def tamper(url: str, body: bytes) -> bytes:
        if (role == "bin" and ".bin-" in url) or url.endswith(f".{role}.json") or \
                url.endswith(f"/{role}.json"):
            data = json.loads(body)
            data["signed"]["expires"] = "2099-01-01T00:00:00Z"  # a change the key never made
            return json.dumps(data).encode()
        return body

    fetcher.tamper = tamper
    updater = new_client(refresh=False)

    # Refused on its signature, or before that on the length the timestamp pins.
    with pytest.raises((RepositoryError, DownloadLengthMismatchError)):
        updater.refresh()
        updater.get_targetinfo("simple/demo/index.json")


def test_a_rolled_back_timestamp_or_snapshot_is_refused(
        published: list[File], new_client: NewClient, fetcher: WsgiFetcher,
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        sign: Callable[[], int]) -> None:
    old_timestamp = bytes(State.objects.get(pk=1).timestamp)
    assert upload(client, alice_token, make_wheel("demo", "2.0")).status_code == 200
    sign()
    new_client()  # the client has seen the newer timestamp

    fetcher.tamper = lambda url, body: old_timestamp if url == "/tuf/timestamp.json" else body

    with pytest.raises(BadVersionNumberError):
        new_client()


def test_a_frozen_timestamp_is_refused(published: list[File], new_client: NewClient,
                                       signer: Publisher) -> None:
    """A mirror that keeps serving a timestamp past its expiry (freezing clients on old
    files) is caught: the client compares the expiry with its own clock."""
    assert signer.online is not None
    current = Metadata[Timestamp].from_bytes(bytes(State.objects.get(pk=1).timestamp))
    frozen = Metadata(Timestamp(version=current.signed.version + 1,
                                expires=datetime.now(UTC) - timedelta(minutes=1),
                                snapshot_meta=MetaFile(version=current.signed.snapshot_meta
                                                       .version)))
    frozen.sign(signer.online.signer)
    State.objects.filter(pk=1).update(timestamp=repo.metadata_bytes(frozen))

    with pytest.raises(ExpiredMetadataError):
        new_client()


def test_metadata_mixed_from_two_versions_is_refused(
        published: list[File], new_client: NewClient, fetcher: WsgiFetcher, client: Client,
        alice_token: str, make_wheel: MakeDist, upload: Upload,
        sign: Callable[[], int]) -> None:
    """A mirror that serves the current snapshot but an older (validly signed) bin."""
    old_bins = {name: repo.metadata_read(name, version) for name, version in
                Role.objects.filter(name__startswith="bin-").values_list("name", "version")}
    assert upload(client, alice_token, make_wheel("demo", "2.0")).status_code == 200
    sign()

    def mix(url: str, body: bytes) -> bytes:
        for name, old in old_bins.items():
            if url.endswith(f".{name}.json") and json.loads(old)["signed"]["version"] != \
                    json.loads(body)["signed"]["version"]:
                return old
        return body

    fetcher.tamper = mix
    updater = new_client()

    with pytest.raises(RepositoryError):
        updater.get_targetinfo("simple/demo/index.json")


def test_an_unpublished_version_of_a_role_is_not_served(published: list[File],
                                                        client: Client) -> None:
    version = Role.objects.get(name=repo.SNAPSHOT).version
    repo.metadata_write(repo.SNAPSHOT, version + 1, b"{}")  # as a crashed publish leaves it

    assert client.get(f"/tuf/{version}.snapshot.json").status_code == 200
    assert client.get(f"/tuf/{version + 1}.snapshot.json").status_code == 404
    assert client.get("/tuf/0.root.json").status_code == 404


def test_uploads_during_a_publish_land_in_the_next_one(
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload,
        signer: Publisher, new_client: NewClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from warden.tuf import signer as signer_module

    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200
    prepare = signer_module.batch_prepare
    late = make_wheel("late", "1.0")

    def prepare_then_upload(**kwargs: object) -> object:
        batch = prepare(**kwargs)  # type: ignore[arg-type]
        assert upload(client, alice_token, late).status_code == 200
        return batch

    monkeypatch.setattr(signer_module, "batch_prepare", prepare_then_upload)
    signer.cycle()
    monkeypatch.setattr(signer_module, "batch_prepare", prepare)

    assert PendingChange.objects.filter(normalized_name="late").exists()
    assert new_client().get_targetinfo("simple/late/index.html") is None
    signer.cycle()
    assert new_client().get_targetinfo("simple/late/index.html") is not None


def test_a_publish_that_dies_before_its_commit_leaves_the_previous_state(
        published: list[File], client: Client, alice_token: str, make_wheel: MakeDist,
        upload: Upload, signer: Publisher, new_client: NewClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = (bytes(State.objects.get(pk=1).timestamp), set(Target.objects.values_list(
        "path", "sha256")))
    assert upload(client, alice_token, make_wheel("demo", "2.0")).status_code == 200

    def die(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed")  # after every file is written, before the commit

    monkeypatch.setattr(Publisher, "_commit", die)
    with pytest.raises(SystemExit):
        signer.cycle()
    monkeypatch.undo()

    assert (bytes(State.objects.get(pk=1).timestamp),
            set(Target.objects.values_list("path", "sha256"))) == before
    assert new_client().get_targetinfo("simple/demo/index.html") is not None
    assert PendingChange.objects.exists()
    fresh = Publisher(holder="tests", online=signer.online)  # a restarted signer
    fresh.cycle()
    updater = new_client()
    wheel = File.objects.get(filename="demo-2.0-py3-none-any.whl")
    assert fetch(updater, f"packages/{wheel.path}")


def test_online_roles_are_signed_again_before_they_expire(published: list[File],
                                                          signer: Publisher,
                                                          new_client: NewClient) -> None:
    timestamp = Role.objects.get(name=repo.TIMESTAMP)
    later = datetime.now(UTC) + repo.ONLINE_LIFETIME - repo.ONLINE_REFRESH + timedelta(minutes=1)

    signer.cycle(now=later)

    assert Role.objects.get(name=repo.TIMESTAMP).version == timestamp.version + 1
    assert not Role.objects.filter(name__startswith="bin-",
                                   expires__lte=later + repo.ONLINE_REFRESH).exists()
    assert Role.objects.get(name=repo.SNAPSHOT).expires > later + repo.ONLINE_REFRESH
    new_client()


def test_an_idle_signer_signs_nothing(published: list[File], signer: Publisher) -> None:
    state = bytes(State.objects.get(pk=1).timestamp)

    assert signer.cycle() == 0

    assert bytes(State.objects.get(pk=1).timestamp) == state


def test_a_second_signer_waits_for_the_lease(published: list[File], signer: Publisher) -> None:
    from warden.tuf.signer import LEASE, LeaseLost

    other = Publisher(holder="other", online=signer.online)
    with pytest.raises(LeaseLost):
        other.cycle()
    other.cycle(now=datetime.now(UTC) + LEASE + timedelta(seconds=1))  # the first one died
    with pytest.raises(LeaseLost):
        signer.cycle(now=datetime.now(UTC) + LEASE + timedelta(seconds=2))


def test_superseded_metadata_is_collected_after_an_hour_but_never_a_root(
        published: list[File], client: Client, alice_token: str, make_wheel: MakeDist,
        upload: Upload, sign: Callable[[], int]) -> None:
    from warden.tuf.signer import obsolete_collect

    old_snapshot = Role.objects.get(name=repo.SNAPSHOT).version
    assert upload(client, alice_token, make_wheel("demo", "2.0")).status_code == 200
    sign()

    assert obsolete_collect() == 0
    collected = obsolete_collect(now=datetime.now(UTC) + repo.OBSOLETE_KEEP + timedelta(1))

    assert collected > 0
    with pytest.raises(FileNotFoundError):
        repo.metadata_read(repo.SNAPSHOT, old_snapshot)
    assert repo.metadata_read(repo.ROOT, 1)


def test_the_timestamp_is_served_gzipped_when_asked(published: list[File],
                                                     client: Client) -> None:
    import gzip

    plain = client.get("/tuf/timestamp.json")
    packed = client.get("/tuf/timestamp.json", HTTP_ACCEPT_ENCODING="gzip")

    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert plain.content == bytes(State.objects.get(pk=1).timestamp)
    assert "immutable" in client.get("/tuf/1.root.json").headers["Cache-Control"]
    assert "immutable" not in plain.headers["Cache-Control"]


def test_a_quarantined_project_offers_no_targets(published: list[File], new_client: NewClient,
                                                 sign: Callable[[], int]) -> None:
    from warden.packaging.models import ProjectStatus

    Project.objects.filter(name="demo").update(status=ProjectStatus.QUARANTINED)
    # What a change of status leaves for the signer (staff's status service: issue 12).
    PendingChange.objects.create(normalized_name="demo", index_changed=True)
    sign()

    updater = new_client()
    assert all(updater.get_targetinfo(f"packages/{f.path}") is None for f in published)
    assert json.loads(fetch(updater, "simple/demo/index.json"))["files"] == []


def test_sync_mode_publishes_in_the_wake_of_the_upload(
        tuf_repository: Path, settings: object, client: Client, alice_token: str,
        make_wheel: MakeDist, upload: Upload, new_client: NewClient,
        django_capture_on_commit_callbacks: Callable[..., object]) -> None:
    settings.WARDEN_TUF_SYNC = True  # type: ignore[attr-defined]

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200

    assert new_client().get_targetinfo("simple/demo/index.json") is not None
    assert not PendingChange.objects.exists()


def test_the_online_key_is_never_in_the_database_or_the_log(
        tuf_repository: Path, client: Client, alice_token: str, make_wheel: MakeDist,
        upload: Upload, sign: Callable[[], int], caplog: pytest.LogCaptureFixture) -> None:
    import io
    import logging

    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        load_pem_private_key,
    )
    from django.core.management import call_command

    caplog.set_level(logging.DEBUG)
    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200
    sign()
    pem = (tuf_repository / "online.pem").read_bytes()
    raw = load_pem_private_key(pem, None).private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                        NoEncryption())
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    secrets = [raw.hex(), pem.decode().splitlines()[1]]

    for secret in secrets:
        assert secret not in dump.getvalue()
        assert secret not in caplog.text


@pytest.mark.parametrize("name", ["plain.whl", 'quote"and\\backslash', "caf\u00e9", "tab\there"])
def test_a_signature_verifies_with_the_reference_canonical_encoding(
        tuf_repository: Path, name: str) -> None:
    """The fast encoder signs exactly the bytes python-tuf's verifier re-encodes, also for
    strings that need escaping (where it hands over to the reference encoder)."""
    from securesystemslib.signer import CryptoSigner
    from tuf.api.metadata import Targets

    signer = CryptoSigner.generate_ed25519()
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    data = repo.envelope_sign(repo.online_signed("targets", 3, expires, targets={
        name: {"length": 1, "hashes": {"sha256": "ab" * 32}}}), signer)

    md = Metadata[Targets].from_bytes(data)
    signer.public_key.verify_signature(md.signatures[signer.public_key.keyid],
                                       md.signed_bytes)
    assert name in md.signed.targets


def test_a_hash_prefixed_name_is_served_only_under_its_own_hash(published: list[File],
                                                                 client: Client) -> None:
    wheel = next(f for f in published if f.filename.endswith(".whl"))
    head, _, name = wheel.path.rpartition("/")
    other = "0" * 64

    assert client.get(f"/packages/{head}/{wheel.sha256}.{name}").status_code == 200
    assert client.get(f"/packages/{head}/{other}.{name}").status_code == 404
    assert client.get(f"/packages/{head}/{wheel.metadata_sha256}.{name}.metadata"
                      ).status_code == 200
    assert client.get(f"/packages/{head}/{wheel.sha256}.{name}.metadata").status_code == 404
    assert client.get(f"/simple/demo/{other}.index.html").status_code == 404


def test_a_thief_of_the_bins_key_alone_cannot_replace_the_bins_metadata(
        published: list[File], new_client: NewClient, fetcher: WsgiFetcher,
        tuf_repository: Path) -> None:
    """Same version number, validly signed by the (stolen) bins key, but delegating to the
    attacker's key: the snapshot pins the file by hash, so new clients refuse it."""
    from securesystemslib.signer import CryptoSigner
    from tuf.api.metadata import TargetFile, Targets

    from warden.tuf.keys import signer_from_file

    forged = repo.current_bins()
    attacker = CryptoSigner.generate_ed25519()
    roles = repo.succinct(forged)
    assert forged.signed.delegations is not None and forged.signed.delegations.keys is not None
    forged.signed.delegations.keys = {attacker.public_key.keyid: attacker.public_key}
    roles.keyids = [attacker.public_key.keyid]
    forged.signatures.clear()
    forged.sign(signer_from_file(tuf_repository / "bins.pem"))
    page = "simple/demo/index.json"
    bin_role = roles.get_role_for_target(page)
    evil = Metadata(Targets(version=Role.objects.get(name=bin_role).version,
                            expires=datetime.now(UTC) + timedelta(days=1),
                            targets={page: TargetFile(7, {"sha256": "e" * 64}, page)}))
    evil.sign(attacker)
    served = {f"/tuf/{forged.signed.version}.bins.json": repo.metadata_bytes(forged),
              f"/tuf/{evil.signed.version}.{bin_role}.json": repo.metadata_bytes(evil)}
    fetcher.tamper = lambda url, body: served.get(url, body)

    with pytest.raises(RepositoryError):
        new_client().get_targetinfo(page)
