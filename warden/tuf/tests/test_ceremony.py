"""The key ceremony through `warden tuf`: holders sign drafts on their own machines, the
server imports only what a client would accept, and clients follow every rotation."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from tuf.ngclient import Updater

from warden.packaging.tests.conftest import MakeDist, Upload
from warden.tuf import repository as repo
from warden.tuf.models import Role
from warden.tuf.signer import Publisher, publish_all, publisher_for
from warden.tuf.tests.conftest import BASE, BIT_LENGTH, WsgiFetcher

pytestmark = pytest.mark.django_db
PASSPHRASE = "correct horse battery staple"


def tuf(*args: str) -> str:
    out = io.StringIO()
    call_command("tuf", *[str(a) for a in args], stdout=out)
    return out.getvalue()


@pytest.fixture
def holders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Three root holders, a targets holder, a bins holder (encrypted keys) and the
    online key (unencrypted: the signer reads it unattended)."""
    monkeypatch.setenv("HOLDER_PASSPHRASE", PASSPHRASE)
    keys = {name: tmp_path / "holders" / f"{name}.pem"
            for name in ("root1", "root2", "root3", "targets", "bins")}
    for path in keys.values():
        tuf("keygen", path, "--passphrase-env", "HOLDER_PASSPHRASE")
    keys["online"] = tmp_path / "signer" / "online.pem"
    tuf("keygen", keys["online"], "--no-passphrase")
    return keys


@pytest.fixture
def drafts(tmp_path: Path) -> Path:
    return tmp_path / "drafts"


def init_drafts(holders: dict[str, Path], drafts: Path) -> None:
    tuf("init", "--drafts", drafts, "--root-threshold", "2",
        *[a for n in ("root1", "root2", "root3") for a in ("--root-key", f"{holders[n]}.pub.json")],
        "--targets-key", f"{holders['targets']}.pub.json",
        "--bins-key", f"{holders['bins']}.pub.json",
        "--online-key", f"{holders['online']}.pub.json", "--bit-length", str(BIT_LENGTH))


def sign(drafts: Path, key: Path, *roles: str) -> None:
    tuf("sign", drafts, "--key", key, "--passphrase-env", "HOLDER_PASSPHRASE",
        *[a for r in roles for a in ("--role", r)])


@pytest.fixture
def ceremony(holders: dict[str, Path], drafts: Path, settings: object) -> dict[str, Path]:
    """A repository made the way docs/tuf-operators.md says: 2 of 3 root holders."""
    init_drafts(holders, drafts)
    sign(drafts, holders["root1"], "root")
    sign(drafts, holders["root3"], "root")
    sign(drafts, holders["targets"], "targets")
    sign(drafts, holders["bins"], "bins")
    tuf("import", drafts)
    settings.WARDEN_TUF_ONLINE_KEY_FILE = holders["online"]  # type: ignore[attr-defined]
    return holders


def tuf_client(tmp_path: Path) -> Updater:
    metadata = tmp_path / "client-metadata"
    metadata.mkdir(exist_ok=True)
    updater = Updater(metadata_dir=str(metadata), metadata_base_url=f"{BASE}/tuf/",
                      target_base_url=f"{BASE}/", fetcher=WsgiFetcher(),
                      target_dir=str(tmp_path), bootstrap=repo.metadata_read(repo.ROOT, 1))
    updater.refresh()
    return updater


def test_an_offline_key_is_written_encrypted_and_only_for_its_owner(
        holders: dict[str, Path]) -> None:
    pem = holders["root1"].read_bytes()

    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert holders["root1"].stat().st_mode & 0o077 == 0
    assert "keyid" in json.loads(Path(f"{holders['root1']}.pub.json").read_text())
    with pytest.raises(CommandError, match="refusing to overwrite"):
        tuf("keygen", holders["root1"], "--passphrase-env", "HOLDER_PASSPHRASE")


def test_a_ceremony_with_two_of_three_root_holders_publishes_a_repository_clients_trust(
        ceremony: dict[str, Path], tmp_path: Path, client: Client, alice_token: str,
        make_wheel: MakeDist, upload: Upload) -> None:
    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200
    publish_all(publisher_for("tests", None))

    updater = tuf_client(tmp_path)

    assert updater.get_targetinfo("simple/demo/index.html") is not None
    root = json.loads(repo.metadata_read(repo.ROOT, 1))
    assert root["signed"]["roles"]["root"]["threshold"] == 2
    hashes = tuf("root-hash")
    assert hashlib.sha256(repo.metadata_read(repo.ROOT, 1)).hexdigest() in hashes


def test_a_root_signed_by_fewer_holders_than_the_threshold_is_refused(
        holders: dict[str, Path], drafts: Path) -> None:
    init_drafts(holders, drafts)
    sign(drafts, holders["root1"], "root")
    sign(drafts, holders["targets"], "targets")
    sign(drafts, holders["bins"], "bins")

    with pytest.raises(CommandError, match="root: not signed by enough"):
        tuf("import", drafts)
    assert not repo.is_initialized()


def test_targets_signed_by_a_root_key_instead_of_its_own_is_refused(
        holders: dict[str, Path], drafts: Path) -> None:
    init_drafts(holders, drafts)
    sign(drafts, holders["root1"], "root", "targets")
    sign(drafts, holders["root2"], "root")
    sign(drafts, holders["bins"], "bins")

    with pytest.raises(CommandError, match="targets: not signed by enough"):
        tuf("import", drafts)


def test_a_wrong_passphrase_is_told_apart_from_a_missing_one(holders: dict[str, Path],
                                                             drafts: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             ) -> None:
    init_drafts(holders, drafts)
    monkeypatch.setenv("WRONG", "not it")

    with pytest.raises(CommandError, match="wrong passphrase"):
        tuf("sign", drafts, "--key", holders["root1"], "--passphrase-env", "WRONG")


def test_an_online_key_rotation_is_followed_by_an_existing_client(
        ceremony: dict[str, Path], tmp_path: Path, drafts: Path, settings: object,
        client: Client, alice_token: str, make_wheel: MakeDist, upload: Upload) -> None:
    publish_all(publisher_for("tests", None))
    tuf_client(tmp_path)  # has trusted root 1 and metadata signed by the old online key
    new_key = tmp_path / "signer" / "online-2.pem"
    tuf("keygen", new_key, "--no-passphrase")
    rotation = tmp_path / "rotation"

    tuf("rotate-online", "--new-key", f"{new_key}.pub.json", "--drafts", rotation)
    sign(rotation, ceremony["root1"], "root")
    sign(rotation, ceremony["root2"], "root")
    sign(rotation, ceremony["bins"], "bins")
    tuf("import", rotation)
    # Until the signer has signed everything with the new key, clients see none of it.
    assert Client().get("/tuf/2.root.json").status_code == 404
    tuf_client(tmp_path)
    settings.WARDEN_TUF_ONLINE_KEY_FILE = new_key  # type: ignore[attr-defined]
    assert upload(client, alice_token, make_wheel("demo", "2.0")).status_code == 200
    publisher = publisher_for("tests", None)
    publish_all(publisher)

    updater = tuf_client(tmp_path)  # the same client, again: its stored metadata is old
    assert updater.get_targetinfo("simple/demo/index.json") is not None
    assert Role.objects.get(name=repo.ROOT).version == 2
    timestamp = json.loads(Client().get("/tuf/timestamp.json").content)
    assert timestamp["signatures"][0]["keyid"] == json.loads(
        Path(f"{new_key}.pub.json").read_text())["keyid"]


def test_the_signer_refuses_an_online_key_the_root_does_not_trust(
        ceremony: dict[str, Path], settings: object) -> None:
    from warden.tuf.keys import KeyError_

    settings.WARDEN_TUF_ONLINE_KEY_FILE = ceremony["root1"]  # type: ignore[attr-defined]

    with pytest.raises(KeyError_):
        publisher_for("tests", None)


def test_a_root_key_is_revoked_with_signatures_of_old_and_new_root(
        ceremony: dict[str, Path], tmp_path: Path) -> None:
    keyid = json.loads(Path(f"{ceremony['root2']}.pub.json").read_text())["keyid"]
    change = tmp_path / "revoke"

    tuf("root-key", "--revoke", keyid, "--drafts", change)
    sign(change, ceremony["root2"], "root")  # the revoked holder alone is not enough
    with pytest.raises(CommandError, match="not signed by enough"):
        tuf("import", change)
    sign(change, ceremony["root1"], "root")
    sign(change, ceremony["root3"], "root")
    tuf("import", change)

    root = json.loads(repo.metadata_read(repo.ROOT, 2))["signed"]
    assert keyid not in root["roles"]["root"]["keyids"]
    publish_all(publisher_for("tests", None))
    tuf_client(tmp_path)  # a client bootstrapped from root 1 walks to root 2 and trusts it


def test_a_refresh_moves_the_offline_expiry_a_year_ahead(
        ceremony: dict[str, Path], tmp_path: Path) -> None:
    publish_all(publisher_for("tests", None))
    before = Role.objects.get(name=repo.TARGETS).expires
    change = tmp_path / "refresh"

    tuf("refresh", "targets", "--drafts", change)
    sign(change, ceremony["targets"], "targets")
    tuf("import", change)
    publish_all(publisher_for("tests", None))

    row = Role.objects.get(name=repo.TARGETS)
    assert (row.version, row.expires >= before) == (2, True)
    assert tuf_client(tmp_path).get_targetinfo("simple/index.html") is not None


def test_status_reports_versions_and_the_backlog(ceremony: dict[str, Path]) -> None:
    out = tuf("status")

    assert "root       version 1      imported; the signer's next publish" in out
    assert "bin-*      0 hashed bins signed" in out  # the signer has not run yet
    assert "pending    1 changes" in out  # the root index, queued by the import


def test_an_initialised_repository_cannot_be_initialised_again(
        ceremony: dict[str, Path], publish: Callable[[], None]) -> None:
    with pytest.raises(CommandError, match="initialised already"):
        tuf("init", "--embedded")


def test_the_embedded_publisher_signs_nothing_when_tuf_is_off(
        settings: object, client: Client, alice_token: str, make_wheel: MakeDist,
        upload: Upload) -> None:
    settings.WARDEN_TUF = False  # type: ignore[attr-defined]
    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200

    publisher = publisher_for("tests", None)
    publish_all(publisher)

    assert isinstance(publisher, Publisher) and publisher.online is None
    assert client.get("/simple/demo/").status_code == 200
    assert client.get("/tuf/timestamp.json").status_code == 404


def test_keys_named_by_signer_uris_sign_drafts_and_the_online_roles(
        holders: dict[str, Path], drafts: Path, settings: object, client: Client,
        alice_token: str, make_wheel: MakeDist, upload: Upload, tmp_path: Path) -> None:
    """What an HSM or a KMS holds is named by a securesystemslib URI; `file2:` is the
    scheme for a plain key file, the one that runs here without a device."""
    plain = tmp_path / "plain-root.pem"
    tuf("keygen", plain, "--no-passphrase")
    init_drafts(holders, drafts)
    tuf("sign", drafts, "--key-uri", f"file2:{plain}", "--public", f"{plain}.pub.json",
        "--role", "root")
    with pytest.raises(CommandError, match="root: not signed by enough"):
        tuf("import", drafts)  # signed, but by a key root does not list

    sign(drafts, holders["root1"], "root")
    sign(drafts, holders["root2"], "root")
    sign(drafts, holders["targets"], "targets")
    sign(drafts, holders["bins"], "bins")
    tuf("import", drafts)
    settings.WARDEN_TUF_ONLINE_KEY_FILE = None  # type: ignore[attr-defined]
    settings.WARDEN_TUF_ONLINE_KEY_URI = f"file2:{holders['online']}"  # type: ignore[attr-defined]
    assert upload(client, alice_token, make_wheel("demo", "1.0")).status_code == 200
    publish_all(publisher_for("tests", None))

    assert tuf_client(tmp_path).get_targetinfo("simple/demo/index.html") is not None


def test_status_lists_the_root_keyids_that_a_revocation_names(
        ceremony: dict[str, Path]) -> None:
    keyid = json.loads(Path(f"{ceremony['root2']}.pub.json").read_text())["keyid"]

    out = tuf("status")

    assert "root keys (2 of 3): " in out
    assert keyid in out
