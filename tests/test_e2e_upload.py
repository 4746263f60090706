"""Uploading with twine, and what the index refuses to publish.

Every refusal is checked twice: the client is told why (twine prints the server's message,
or the response is a 400), and nothing of the refused upload shows up on the index.
"""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Callable

import pytest
from twine.commands.upload import skip_upload as twine_skip_upload
from twine.package import PackageFile

from tests.clients import raw_upload, sha256_of, twine_upload, uv_publish
from tests.conftest import Server
from tests.dists import (
    Dists,
    dist_stem,
    e2e_metadata,
    module_source,
    sdist_members,
    tar_gz_bytes,
    wheel_bytes,
)
from tests.index import assert_never_published, index_files, wait_until_listed

pytestmark = pytest.mark.e2e

MakeDists = Callable[..., Dists]


def test_twine_uploads_an_sdist_and_a_wheel_with_a_token(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    dists = make_dists("heron", "1.0")

    done = twine_upload(server.url, dists.files, password=alice_token)

    assert done.returncode == 0, done.describe()
    assert wait_until_listed(server.url, "heron", dists.sdist.name, dists.wheel.name) == {
        dists.sdist.name: sha256_of(dists.sdist),
        dists.wheel.name: sha256_of(dists.wheel),
    }


def test_uploading_the_same_files_again_succeeds_and_changes_nothing(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    dists = make_dists("kestrel", "1.0")
    first = twine_upload(server.url, dists.files, password=alice_token)
    assert first.returncode == 0, first.describe()
    before = wait_until_listed(server.url, "kestrel", dists.sdist.name, dists.wheel.name)

    again = twine_upload(server.url, dists.files, password=alice_token)

    assert again.returncode == 0, again.describe()
    assert index_files(server.url, "kestrel") == before


def test_a_different_file_under_a_used_filename_is_refused_as_already_existing(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    original = make_dists("osprey", "1.0")
    assert twine_upload(server.url, original.files, password=alice_token).returncode == 0
    wait_until_listed(server.url, "osprey", original.wheel.name)
    impostor = make_dists("osprey", "1.0", marker="# not the same bytes\n")
    assert impostor.wheel.name == original.wheel.name
    assert sha256_of(impostor.wheel) != sha256_of(original.wheel)

    done = twine_upload(server.url, [impostor.wheel], password=alice_token)

    assert done.returncode != 0, done.describe()
    assert "400" in done.error, done.describe()
    assert "File already exists" in done.message, done.describe()
    assert index_files(server.url, "osprey")[original.wheel.name] == sha256_of(original.wheel)


def test_the_refusal_of_a_used_filename_is_one_twines_skip_existing_recognizes(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    # twine (since 6.1) allows --skip-existing only against PyPI's own URLs, so we ask its
    # decision function directly about our real response: tools that skip existing files
    # (older twines, CI wrappers) read "already exist" in a 400, as PyPI sends it.
    original = make_dists("puffin", "1.0")
    assert twine_upload(server.url, original.files, password=alice_token).returncode == 0
    wait_until_listed(server.url, "puffin", original.wheel.name)
    rebuilt = make_dists("puffin", "1.0", marker="# rebuilt, different bytes\n")

    response = raw_upload(
        server.url,
        token=alice_token,
        filename=rebuilt.wheel.name,
        content=rebuilt.wheel.read_bytes(),
        name="puffin",
        version="1.0",
        filetype="bdist_wheel",
    )

    assert response.status_code == 400, response.text
    package = PackageFile.from_filename(str(rebuilt.wheel), comment=None)
    assert twine_skip_upload(response, True, package), (response.reason, response.text)
    assert index_files(server.url, "puffin")[original.wheel.name] == sha256_of(original.wheel)


def test_uv_publish_uploads_with_a_token(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    dists = make_dists("tern", "1.0")

    done = uv_publish(server.url, dists.files, token=alice_token)

    assert done.returncode == 0, done.describe()
    assert wait_until_listed(server.url, "tern", dists.sdist.name, dists.wheel.name) == {
        dists.sdist.name: sha256_of(dists.sdist),
        dists.wheel.name: sha256_of(dists.wheel),
    }


def test_uv_publish_with_a_check_url_skips_files_the_index_already_has(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    dists = make_dists("grebe", "1.0")
    assert twine_upload(server.url, dists.files, password=alice_token).returncode == 0
    # uv learns what the index has from the simple page, so it must list the files first.
    wait_until_listed(server.url, "grebe", dists.sdist.name, dists.wheel.name)

    done = uv_publish(server.url, dists.files, token=alice_token, check_url=f"{server.url}/simple/")

    assert done.returncode == 0, done.describe()
    assert "already exists" in done.output, done.describe()


def test_a_refused_upload_makes_twine_fail_and_print_the_reason(
    server: Server, alice_token: str, make_dists: MakeDists
) -> None:
    dists = make_dists(
        "plover", "1.0", classifiers=["Programming Language :: Python", "Framework :: Nonesuch"]
    )

    done = twine_upload(server.url, dists.files, password=alice_token)

    assert done.returncode != 0, done.describe()
    assert "400" in done.error, done.describe()
    # The person reads which classifier is wrong, not just "Bad Request".
    assert "Framework :: Nonesuch" in done.message, done.describe()
    assert_never_published(server.url, "plover")


def test_a_hand_made_upload_with_correct_digests_is_accepted(
    server: Server, alice_token: str
) -> None:
    # The control for the hand-made refusals below: the request itself is right.
    filename, data = wheel_bytes(
        "curlew",
        "1.0",
        {"curlew/__init__.py": module_source("1.0").encode()},
        e2e_metadata("curlew", "1.0"),
    )

    response = raw_upload(
        server.url,
        token=alice_token,
        filename=filename,
        content=data,
        name="curlew",
        version="1.0",
        filetype="bdist_wheel",
    )

    assert response.status_code == 200, response.text
    assert wait_until_listed(server.url, "curlew", filename) == {
        filename: hashlib.sha256(data).hexdigest()
    }


@pytest.mark.parametrize(
    ("field", "project"),
    [("sha256_digest", "dunlin"), ("md5_digest", "godwit"), ("blake2_256_digest", "gannet")],
)
def test_an_upload_whose_sent_digest_does_not_match_its_bytes_is_refused(
    server: Server, alice_token: str, field: str, project: str
) -> None:
    filename, data = wheel_bytes(
        project,
        "1.0",
        {f"{project}/__init__.py": module_source("1.0").encode()},
        e2e_metadata(project, "1.0"),
    )
    wrong = {
        "sha256_digest": hashlib.sha256(b"other bytes").hexdigest(),
        "md5_digest": hashlib.md5(b"other bytes", usedforsecurity=False).hexdigest(),
        "blake2_256_digest": hashlib.blake2b(b"other bytes", digest_size=32).hexdigest(),
    }[field]

    response = raw_upload(
        server.url,
        token=alice_token,
        filename=filename,
        content=data,
        name=project,
        version="1.0",
        filetype="bdist_wheel",
        digests={field: wrong},
    )

    assert response.status_code == 400, response.text
    assert field.removesuffix("_digest") in response.text
    assert_never_published(server.url, project)


def test_a_wheel_whose_metadata_disagrees_with_the_upload_form_is_refused(
    server: Server, alice_token: str
) -> None:
    # Filename and form say 1.0; the METADATA inside says 6.6.6. Installers trust the
    # METADATA, so publishing this would serve one thing under another's name.
    filename, data = wheel_bytes(
        "bittern",
        "1.0",
        {"bittern/__init__.py": module_source("1.0").encode()},
        e2e_metadata("bittern", "6.6.6"),
    )

    response = raw_upload(
        server.url,
        token=alice_token,
        filename=filename,
        content=data,
        name="bittern",
        version="1.0",
        filetype="bdist_wheel",
    )

    assert response.status_code == 400, response.text
    assert "6.6.6" in response.text
    assert_never_published(server.url, "bittern")


def _link(path: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(path)
    info.type = kind
    info.linkname = target
    return info


# Each sdist is well formed but for one entry that would land outside the unpacked tree.
EVIL_SDIST_ENTRIES = {
    "dotdot": lambda root: (f"{root}/../../evil.py", b"print('pwned')\n"),
    "absolute": lambda root: ("/tmp/evil.py", b"print('pwned')\n"),
    "symlink": lambda root: _link(f"{root}/evil", "../../../etc/passwd", tarfile.SYMTYPE),
    "hardlink": lambda root: _link(f"{root}/evil", "/etc/passwd", tarfile.LNKTYPE),
}


@pytest.mark.parametrize("attack", sorted(EVIL_SDIST_ENTRIES))
def test_an_sdist_with_an_entry_escaping_its_directory_is_refused(
    server: Server, alice_token: str, attack: str
) -> None:
    project = f"escape-{attack}"
    stem = dist_stem(project)
    members = sdist_members(project, "1.0", metadata=e2e_metadata(project, "1.0"))
    evil = EVIL_SDIST_ENTRIES[attack](f"{stem}-1.0")
    data = tar_gz_bytes([*members.items(), evil])

    response = raw_upload(
        server.url,
        token=alice_token,
        filename=f"{stem}-1.0.tar.gz",
        content=data,
        name=project,
        version="1.0",
        filetype="sdist",
    )

    assert response.status_code == 400, response.text
    assert "evil" in response.text  # names the offending entry
    assert_never_published(server.url, project)


def test_a_wheel_with_a_path_escaping_its_directory_is_refused(
    server: Server, alice_token: str
) -> None:
    filename, data = wheel_bytes(
        "avocet",
        "1.0",
        {
            "avocet/__init__.py": module_source("1.0").encode(),
            "../../evil.py": b"print('pwned')\n",
        },
        e2e_metadata("avocet", "1.0"),
    )

    response = raw_upload(
        server.url,
        token=alice_token,
        filename=filename,
        content=data,
        name="avocet",
        version="1.0",
        filetype="bdist_wheel",
    )

    assert response.status_code == 400, response.text
    assert "evil.py" in response.text
    assert_never_published(server.url, "avocet")


def test_a_zip_bomb_wheel_is_refused(server: Server, alice_token: str) -> None:
    # 64 MiB of zeros deflate to about 64 KiB: a ratio no real wheel has.
    filename, data = wheel_bytes(
        "shrike",
        "1.0",
        {"shrike/zeros.bin": bytes(64 * 1024 * 1024)},
        e2e_metadata("shrike", "1.0"),
    )
    assert len(data) < 1024 * 1024

    response = raw_upload(
        server.url,
        token=alice_token,
        filename=filename,
        content=data,
        name="shrike",
        version="1.0",
        filetype="bdist_wheel",
    )

    assert response.status_code == 400, response.text
    assert "bomb" in response.text
    assert_never_published(server.url, "shrike")


def test_a_wheel_whose_local_headers_disagree_with_its_central_directory_is_refused(
    server: Server, alice_token: str
) -> None:
    # Zip readers that walk local headers would see another file than those that read the
    # central directory: the trick that lets one archive show different contents.
    filename, data = wheel_bytes(
        "siskin",
        "1.0",
        {"siskin/__init__.py": module_source("1.0").encode()},
        e2e_metadata("siskin", "1.0"),
    )
    honest, forged = b"siskin/__init__.py", b"siskin/__init__.pz"
    assert data.count(honest) == 2  # once in the local header, once in the directory
    data = data.replace(honest, forged, 1)

    response = raw_upload(
        server.url,
        token=alice_token,
        filename=filename,
        content=data,
        name="siskin",
        version="1.0",
        filetype="bdist_wheel",
    )

    assert response.status_code == 400, response.text
    assert "local header" in response.text
    assert_never_published(server.url, "siskin")
