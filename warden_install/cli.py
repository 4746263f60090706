"""warden-install: install from a Warden index with every byte checked against its TUF
metadata (PEP 458).

Usage:

    warden-install --index URL --root ROOT.json [--metadata-dir DIR] [--python PYTHON]
                   [--] [PIP ARGS AND REQUIREMENTS...]

    warden-install --index https://index.example.invalid --root 1.root.json "demo>=1.0" -r reqs.txt

`--root` is the root metadata whose sha256 the index's operators publish (usually
`URL/tuf/1.root.json`; after a move from embedded to offline keys, the first root those
keys signed), obtained out of band and checked against that hash. Trust
starts there; later roots, timestamp, snapshot and targets are verified and cached in
`--metadata-dir` (default: ~/.cache/warden-install/<hash of URL and root>/).

How: a proxy on 127.0.0.1 serves pip the simple pages and files, each only once it matched
the signed metadata; `pip wheel` fetches (and builds sdists) through it into a temporary
directory, then `pip install --no-index --find-links` installs from there alone. If anything
was tampered with, the second step never runs. warden-install's own options come first;
everything after them (or after `--`) goes to pip: requirements, `-r`, `-c`, `--pre`, ... to
both runs, build options to `pip wheel`, the rest (`-U`, `--target DIR`, `--user`) to
`pip install`. Unknown pip options with a value must be written `--option=value`. Options that
name another index (`-i`, `--extra-index-url`, `-f`, `--no-index`) are refused, and pip's
configuration files and PIP_* variables are ignored.

Exit status: 0 installed; 1 pip or the network failed, or a project is unknown; 2 bad usage;
3 not yet signed (an upload of the last seconds: retry); 4 tampered data or TUF metadata that
failed verification (do not retry blindly: something between you and the index's signer
changed it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from warden_install import proxy, runpip, trust
from warden_install.errors import EXIT_FAILED, InstallError, MetadataFailed, Tampered
from warden_install.pipargs import PipArgs, PipArgsError, split
from warden_install.verified import VerifiedIndex

_OWN_VALUED = ("--index", "--root", "--metadata-dir", "--python")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warden-install",
        description="Install packages from a Warden index, verifying every page and file "
                    "against the index's TUF metadata (PEP 458) before pip sees it.",
        epilog="Exit status: 0 installed, 1 failed, 2 usage, 3 not yet signed (retry "
               "shortly), 4 tampered or failed verification.",
        allow_abbrev=False)
    parser.add_argument("--index", required=True, metavar="URL",
                        help="the index's base URL, e.g. https://index.example.invalid")
    parser.add_argument("--root", required=True, type=Path, metavar="ROOT.json",
                        help="the trusted root metadata: the version whose sha256 the "
                             "operators publish (often URL/tuf/1.root.json), obtained out "
                             "of band and checked against that hash")
    parser.add_argument("--metadata-dir", type=Path, metavar="DIR",
                        help="where verified metadata is cached between runs (default: "
                             "~/.cache/warden-install/<hash of URL and root>)")
    parser.add_argument("--python", default=sys.executable, metavar="PYTHON",
                        help="the interpreter whose environment to install into (it needs "
                             "pip; default: the one running warden-install)")
    parser.add_argument("pip_args", nargs="*", metavar="PIP ARGS",
                        help="requirements and pip options, after warden-install's own "
                             "(or after --)")
    return parser


def _own_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """(warden-install's leading options, pip's arguments): a split by position, since
    argparse would take pip's `-r` or `--target` for unknown options of ours."""
    own: list[str] = []
    at = 0
    while at < len(argv):
        arg = argv[at]
        if arg == "--":
            return own, argv[at + 1:]
        if arg in ("-h", "--help") or arg.startswith(tuple(f"{o}=" for o in _OWN_VALUED)):
            own.append(arg)
        elif arg in _OWN_VALUED:
            own.extend(argv[at:at + 2])
            at += 1
        else:
            break
        at += 1
    return own, argv[at:]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    own, rest = _own_args(sys.argv[1:] if argv is None else argv)
    options = parser.parse_args(own)
    index_url = str(options.index).rstrip("/")
    if urlsplit(index_url).scheme not in ("http", "https"):
        parser.error("--index must be an http:// or https:// URL")
    try:
        pip_args = split(rest)
    except PipArgsError as exc:
        parser.error(str(exc))
    if not pip_args.wanted:
        parser.error("nothing to install: give requirements (names, -r FILE) after the options")
    try:
        return _install(index_url, options, pip_args)
    except InstallError as exc:
        _complain(str(exc))
        return exc.exit_status
    except OSError as exc:  # our temporary directory, pip that cannot start, ...
        _complain(str(exc))
        return EXIT_FAILED


def _install(index_url: str, options: argparse.Namespace, pip_args: PipArgs) -> int:
    root = trust.load_root(options.root)
    metadata_dir = options.metadata_dir or trust.default_metadata_dir(index_url, root)
    updater = trust.open_index(index_url, root, metadata_dir)
    with tempfile.TemporaryDirectory(prefix="warden-install-") as work:
        wheels = Path(work) / "wheels"
        index = VerifiedIndex(updater, index_url, Path(work) / "targets")
        with proxy.running(index) as server:
            fetched = runpip.pip_wheel(options.python, server.url, wheels, pip_args.fetch)
        failure = _verdict(server.problems, fetched)
        if failure is not None:
            return failure
        installed = runpip.pip_install(options.python, wheels, pip_args.install)
        if installed != 0:
            _complain(f"pip install failed (exit {installed})")
        return installed


def _verdict(problems: list[InstallError], fetched: int) -> int | None:
    """The exit status if the fetch run failed, else None. Tampering fails the run even
    when pip got by without the forged file: that index is not to be trusted now."""
    hostile = [p for p in problems if isinstance(p, Tampered | MetadataFailed)]
    if fetched == 0 and not hostile:
        return None
    # After a failed pip run every problem may explain it (a 404 is why pip found no
    # distribution); after a successful one only the hostile ones matter.
    shown = problems if fetched != 0 else hostile
    for message in dict.fromkeys(str(p) for p in shown):
        _complain(message)
    if fetched != 0:
        _complain(f"fetching through the verifying proxy failed (pip exit {fetched})")
    _complain("nothing was installed")
    return max((p.exit_status for p in shown), default=EXIT_FAILED)


def _complain(message: str) -> None:
    print(f"warden-install: {message}", file=sys.stderr)
