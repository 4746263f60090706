#!/usr/bin/env python3
"""Verify one project on a Warden index with python-tuf's client (ngclient).

    python verify_with_python_tuf.py INDEX_URL TRUSTED_ROOT_PATH PROJECT [--cache-dir DIR]

INDEX_URL is the index root (the URL that has `simple/`, `packages/` and `tuf/` under it),
TRUSTED_ROOT_PATH a root metadata file you obtained and checked out of band
(docs/tuf-clients.md), PROJECT a project name in any spelling.

The script refreshes the TUF metadata, downloads the project's PEP 691 JSON page as the
signed target `simple/<name>/index.json`, and then downloads every file the page lists
(and its PEP 658 metadata file, when the page says there is one) as a signed target.
Each download is checked against the sha256 and length the signed metadata give.

Exit status (as warden-install's): 0 everything verified; 1 a download failed (network,
HTTP); 2 bad arguments or an unusable trusted root; 3 a target is not signed (no such
project, or one published moments ago and not signed yet: retry); 4 verification failed
(tampered, expired or rolled-back metadata, a file whose bytes do not match, or a trusted
root that is not this index's).

Needs only python-tuf (`pip install tuf`), which brings urllib3 and securesystemslib.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin

from tuf.api.exceptions import (
    DownloadError,
    DownloadLengthMismatchError,
    RepositoryError,
    UnsignedMetadataError,
)
from tuf.api.metadata import Metadata, TargetFile
from tuf.ngclient import Updater

OK, DOWNLOAD, USAGE, NOT_SIGNED, FAILED = 0, 1, 2, 3, 4


class Stop(Exception):
    """Ends the run with an exit status and a message for the person running it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def normalize(name: str) -> str:
    """The project name as the index spells it in URLs (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def target_info(updater: Updater, path: str) -> TargetFile:
    info = updater.get_targetinfo(path)
    if info is None:
        raise Stop(NOT_SIGNED,
                   f"{path} is not a signed target: the index has no such object, or it "
                   "was published moments ago and is not signed yet (try again in a few "
                   "seconds)")
    return info


def download(updater: Updater, info: TargetFile) -> tuple[str, str]:
    """Download one target into the target directory (under its URL-encoded path);
    ngclient checks its length and sha256 against the signed ones before it writes the
    file, and raises if they differ. Returns (local path, sha256)."""
    local = updater.download_target(info)
    digest = sha256_of(local)
    # Belt and braces: ngclient has verified this already.
    if digest != info.hashes["sha256"]:
        raise Stop(FAILED, f"{info.path}: sha256 {digest} is not the signed "
                           f"{info.hashes['sha256']}")
    return local, digest


def verify(index_url: str, root_path: Path, project: str, cache_dir: Path) -> int:
    index = index_url.rstrip("/") + "/"
    try:
        trusted_root = root_path.read_bytes()
    except OSError as exc:
        raise Stop(USAGE, f"cannot read the trusted root {root_path}: {exc.strerror}") from exc
    metadata_dir = cache_dir / "metadata"
    target_dir = cache_dir / "targets"
    metadata_dir.mkdir(parents=True, exist_ok=True)
    target_dir.mkdir(parents=True, exist_ok=True)

    try:
        updater = Updater(metadata_dir=str(metadata_dir), metadata_base_url=index + "tuf/",
                          target_dir=str(target_dir), target_base_url=index,
                          bootstrap=trusted_root)
    except RepositoryError as exc:
        raise Stop(USAGE, f"{root_path} is not valid root metadata ({exc})") from exc
    try:
        updater.refresh()
    except UnsignedMetadataError as exc:
        # A root of another index, or tampered metadata; or, for the seconds between an
        # operator's online key rotation and the signer's first publish with the new key,
        # the index itself.
        raise Stop(FAILED, f"verification failed: {exc} (is {root_path} this index's "
                           "root?)") from exc
    root = Metadata.from_file(str(metadata_dir / "root.json")).signed
    timestamp = Metadata.from_file(str(metadata_dir / "timestamp.json")).signed
    print(f"metadata: root version {root.version}, timestamp version {timestamp.version}"
          f" (expires {timestamp.expires:%Y-%m-%d %H:%M} UTC)")

    name = normalize(project)
    page_path = f"simple/{name}/index.json"
    page_info = target_info(updater, page_path)
    local, digest = download(updater, page_info)
    print(f"page  {page_path}  sha256 {digest}  OK")
    page = json.loads(Path(local).read_bytes())

    page_url = f"{index}simple/{name}/"
    verified = 1
    for entry in page["files"]:
        # The page links files relative to itself (../../packages/...); a target path is
        # the URL path relative to the index root.
        url = urljoin(page_url, entry["url"]).split("#", 1)[0]
        if not url.startswith(index):
            raise Stop(FAILED, f"{entry['filename']}: {url} is outside the index")
        path = url[len(index):]
        info = target_info(updater, path)
        # The page is signed, so its hash is trustworthy too; the two must agree.
        if entry["hashes"].get("sha256") != info.hashes["sha256"]:
            raise Stop(FAILED, f"{path}: the page's sha256 is not the signed target's")
        _, digest = download(updater, info)
        yanked = "  (yanked)" if entry.get("yanked") else ""
        print(f"file  {path}  sha256 {digest}  OK{yanked}")
        verified += 1
        core_metadata = entry.get("core-metadata") or entry.get("dist-info-metadata")
        if core_metadata:
            meta_info = target_info(updater, path + ".metadata")
            if isinstance(core_metadata, dict) and \
                    core_metadata.get("sha256") not in (None, meta_info.hashes["sha256"]):
                raise Stop(FAILED, f"{path}.metadata: the page's sha256 is not the signed "
                                   "target's")
            _, digest = download(updater, meta_info)
            print(f"meta  {path}.metadata  sha256 {digest}  OK")
            verified += 1
    print(f"{name}: {len(page['files'])} files, {verified} targets verified")
    return OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Verify a project's page and files on a Warden index with TUF.")
    parser.add_argument("index_url", metavar="INDEX_URL",
                        help="the index root, e.g. https://pypi.example.org/")
    parser.add_argument("trusted_root", metavar="TRUSTED_ROOT_PATH", type=Path,
                        help="root metadata checked out of band (N.root.json)")
    parser.add_argument("project", metavar="PROJECT")
    parser.add_argument("--cache-dir", type=Path,
                        help="keep metadata and downloads here between runs (a real client "
                             "should: the cached metadata is what protects it against "
                             "rollback); default: a temporary directory")
    args = parser.parse_args(argv)
    if not args.index_url.startswith(("https://", "http://")):
        parser.error("INDEX_URL must be an http:// or https:// URL")
    try:
        if args.cache_dir is not None:
            return verify(args.index_url, args.trusted_root, args.project, args.cache_dir)
        with tempfile.TemporaryDirectory(prefix="warden-tuf-") as tmp:
            return verify(args.index_url, args.trusted_root, args.project, Path(tmp))
    except Stop as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status
    except (RepositoryError, DownloadLengthMismatchError) as exc:
        # Bad signature, expired, rolled back, a hash or length mismatch (more bytes than
        # signed is a DownloadLengthMismatchError): someone between the signer and you
        # changed something, or the trusted root is not this index's.
        print(f"error: verification failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return FAILED
    except DownloadError as exc:
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        print(f"error: download failed: {type(exc).__name__}: {exc}{cause}", file=sys.stderr)
        return DOWNLOAD
    except (OSError, ValueError) as exc:  # an unwritable cache directory, say
        print(f"error: {exc}", file=sys.stderr)
        return USAGE


if __name__ == "__main__":
    sys.exit(main())
