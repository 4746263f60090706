"""Synthetic archives for the built-in checks' tests, built in memory with tests/dists.py.

The "malicious" sources here are inert text written for the tests: they are parsed, never
run, and point at reserved or made-up addresses."""

from __future__ import annotations

import textwrap

from tests.dists import DistFile, sdist_bytes, wheel_bytes
from warden.checks.base import Artifact, Check, Classification, Verdict


def source(text: str) -> bytes:
    return textwrap.dedent(text).lstrip().encode()


def sdist(files: dict[str, str], name: str = "demo", version: str = "1.0",
          **fields: object) -> DistFile:
    """An sdist with `files` (paths inside its `<stem>-<version>/` root)."""
    root = f"{name.replace('-', '_')}-{version}"
    return sdist_bytes(name, version, {f"{root}/{p}": source(t) for p, t in files.items()},
                       **fields)


def wheel(files: dict[str, str], name: str = "demo", version: str = "1.0",
          **fields: object) -> DistFile:
    return wheel_bytes(name, version, {p: source(t) for p, t in files.items()}, **fields)


def scan(check: type[Check], dist: DistFile, **metadata: object) -> Verdict:
    return check().scan(Artifact(dist.filename, dist.data, metadata))


def flagged(verdict: Verdict) -> bool:
    return verdict.classification.rank >= Classification.SUSPICIOUS.rank
