"""Fuzzing the upload parsers: the contract, the seeds, the mutations and the targets.

The property tests (test_fuzz.py here and in warden/packaging/upload/tests) and the campaign
script bench/fuzz.py share this module, so a crash the campaign finds is reproduced by the
same code a test runs.

The contract: every input is accepted or refused with an `UploadError` whose message a person
can read (not empty, at most `MESSAGE_MAX` characters, no traceback); any other exception is a
crash. Seeds are real distributions from tests/dists.py, the one builder; the mutations range
from byte flips to rebuilt archives with hostile member names and rewritten tar headers.
"""

from __future__ import annotations

import email.parser
import functools
import gzip
import json
import random
import struct
import tarfile
import tempfile
import time
import traceback
import unicodedata
import warnings
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.metadata import Metadata

from tests.dists import (
    DistFile,
    metadata_text,
    sdist_bytes,
    sdist_members,
    tar_gz_bytes,
    tar_members,
    wheel_bytes,
    wheel_members,
    zip_bytes,
)
from warden.packaging.dists.archive import ArchiveLimits, archive_inspect
from warden.packaging.dists.filenames import DistFilename, filename_parse
from warden.packaging.dists.metadata import (
    metadata_compare,
    metadata_from_form,
    metadata_parse_file,
)
from warden.packaging.dists.tests.builders import dist_filename, tar_link, zip_symlink
from warden.packaging.errors import UploadError

MESSAGE_MAX = 1000
Kind = Literal[
    "accepted", "refused", "crash", "bad_message", "timeout", "server_error", "bad_response"
]
Form = dict[str, list[str]]


# --- the contract -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    detail: str  # the refusal's message, or what broke the contract
    seconds: float

    @property
    def broken(self) -> bool:
        return self.kind not in ("accepted", "refused")


class ContractBroken(Exception):
    """Raised by a target that checks its own contract (the upload endpoint's answer)."""

    def __init__(self, message: str, *, kind: Kind) -> None:
        super().__init__(message)
        self.kind = kind


class InputTimeout(BaseException):
    """Raised (by a timer in bench/fuzz.py) into an input that runs too long. A BaseException,
    so that no parser's `except Exception` can swallow it."""


def message_problem(message: object) -> str | None:
    """What is wrong with a refusal's message, if anything."""
    if not isinstance(message, str) or not message.strip():
        return f"empty or non-text message {message!r}"
    if len(message) > MESSAGE_MAX:
        return f"message of {len(message)} characters: {message[:200]!r}..."
    if "Traceback (most recent call last)" in message or '", line ' in message:
        return f"traceback text in the message: {message[:200]!r}"
    return None


def contract_check(run: Callable[[], object]) -> Outcome:
    start = time.perf_counter()
    try:
        run()
    except UploadError as exc:
        problem = message_problem(exc.message)
        kind: Kind = "bad_message" if problem else "refused"
        detail = problem or exc.message
    except InputTimeout:
        kind, detail = "timeout", "the input ran past its time limit"
    except ContractBroken as exc:
        kind, detail = exc.kind, str(exc)
    except Exception:
        kind, detail = "crash", traceback.format_exc()
    else:
        kind, detail = "accepted", ""
    return Outcome(kind=kind, detail=detail, seconds=time.perf_counter() - start)


def crash_signature(outcome: Outcome) -> str:
    """One line that tells crashes apart: the exception and where it was raised."""
    if outcome.kind != "crash":
        return f"{outcome.kind}: {outcome.detail[:100]}"
    lines = [line for line in outcome.detail.strip().splitlines() if line.strip()]
    frames = [line.strip() for line in lines if line.strip().startswith('File "')]
    return f"{lines[-1][:120]} at {frames[-1] if frames else '?'}"


# --- interesting values -----------------------------------------------------------------------

CAFE_NFD = unicodedata.normalize("NFD", "café")
TOKENS = [
    "",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\u202e",
    "\u200b",
    "\ufeff",
    "é",
    CAFE_NFD,
    "ß",
    "İ",
    "ﬀ",
    "\U0001f600",
    "..",
    ".",
    "/",
    "//",
    "\\",
    ":",
    ";",
    ",",
    "-",
    "_",
    "=",
    "@",
    "!",
    "+",
    "*",
    "~",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "'",
    '"',
    "%",
    "0",
    "1",
    "9" * 5000,
    "1" * 30,
    "-1",
    "1.0",
    "1!2.0",
    "1.0+local",
    "1.0.post1.dev2",
    "v1.0",
    "1.0a1",
    "1.0rc1",
    "0" * 100,
    "DEMO",
    "demo",
    "Demo_1",
    "x" * 300,
    "x" * 70000,
    "a" * 2000 + "é",
    ">=3.8",
    ">=",
    "~=3",
    "==1.*",
    "foo (>=1)",
    "foo[bar]>=1,<2",
    "foo; python_version < '3'",
    "foo @ http://x/y.whl",
    "foo ;;;",
    "foo[",
    "MIT",
    "MIT AND (Apache-2.0 OR X)",
    "(((((",
    "LicenseRef-x",
    "Framework :: Nonesuch",
    "Private :: Do Not Upload",
    "Programming Language :: Python",
    "text/markdown",
    "text/x-rst; charset=UTF-8",
    "text/plain; variant=GFM",
    "Homepage, https://example.org",
    "Homepage,",
    ",",
    "2.1",
    "2.4",
    "2.5",
    "3.0",
    "1.0\n1.0",
    "=?utf-8?q?x?=",
    "demo-1.0-py3-none-any.whl",
    "demo-1.0.tar.gz",
    "demo-1.0.zip",
    "sdist",
    "bdist_wheel",
    "bdist_egg",
    "py3",
    "cp311",
    "none",
    "any",
    "manylinux_2_17_x86_64",
]
INTS = [0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]  # fmt: skip
_ALPHABET = "abcXYZ019-_.~/\\:é" + CAFE_NFD + "ßİ\x00\n\u202e"


def str_mutate(rng: random.Random, text: str) -> str:
    op = rng.randrange(7)
    at = rng.randint(0, len(text))
    if op == 0:
        return text[:at] + rng.choice(TOKENS) + text[at:]
    if op == 1:
        return text[:at] + text[at + rng.randint(1, 8) :]
    if op == 2:
        return text[:at] + rng.choice(_ALPHABET) + text[at + 1 :]
    if op == 3:
        return rng.choice(TOKENS)
    if op == 4:
        return text.swapcase() if rng.random() < 0.5 else text.upper()
    if op == 5:
        return unicodedata.normalize(rng.choice(("NFD", "NFKC")), text) + rng.choice(TOKENS)
    return (text * rng.randint(2, 50))[:100_000]


def bytes_mutate(rng: random.Random, data: bytes, *, others: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    """A generic byte-level mutation: flips, interesting integers, inserts, deletes,
    truncation, duplication, and splices with another seed."""
    if not data:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    buf = bytearray(data)
    op = rng.randrange(9)
    at = rng.randrange(len(buf))
    if op == 0:
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif op == 1:
        buf[at] = rng.choice((0, 0xFF, 0x7F, 0x80, 0x20, 0x2F, 0x2E, rng.randrange(256)))
    elif op == 2:
        width = rng.choice((2, 4, 8))
        value = rng.choice(INTS) & ((1 << (8 * width)) - 1)
        buf[at : at + width] = value.to_bytes(width, "little")
    elif op == 3:
        buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
    elif op == 4:
        del buf[at : at + rng.randint(1, 256)]
    elif op == 5:
        del buf[at:]
    elif op == 6:
        end = min(len(buf), at + rng.randint(1, 512))
        buf[at:at] = buf[at:end] * rng.randint(1, 4)
    elif op == 7 and others:
        other = rng.choice(others)
        buf = buf[:at] + other[rng.randrange(len(other) or 1) :]
    else:
        buf[at : at + 1] = rng.choice(TOKENS).encode("utf-8", "surrogatepass")
    return bytes(buf)


# --- core metadata -----------------------------------------------------------------------------

_HEADERS = [
    "Metadata-Version", "Name", "Version", "Summary", "Requires-Python", "Requires-Dist",
    "Classifier", "Provides-Extra", "License", "License-Expression", "License-File",
    "Project-URL", "Description-Content-Type", "Dynamic", "Keywords", "Author-Email",
    "Home-Page", "Import-Name", "Platform", "Requires-External", "Provides-Dist",
]  # fmt: skip


def metadata_seeds() -> list[bytes]:
    return [
        metadata_text(),
        metadata_text(
            "Demo.Pkg", "2.0rc1", metadata_version="2.4", requires_python=">=3.9",
            classifiers=["Programming Language :: Python :: 3", "Typing :: Typed"],
            requires_dist=["requests>=2", "tomli; python_version < '3.11'", "rich[jupyter]"],
            description_content_type="text/markdown",
            extra_headers="Provides-Extra: cli\nLicense-Expression: MIT OR Apache-2.0\n"
            "Project-URL: Homepage, https://example.org\nKeywords: a,b\n",
        ),
        metadata_text(metadata_version="1.0", summary="old", description=""),
    ]  # fmt: skip


def metadata_mutate(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    op = rng.randrange(6)
    if op == 0 and lines:  # a header's value
        at = rng.randrange(len(lines))
        key, sep, value = lines[at].decode("utf-8", "replace").partition(": ")
        new = str_mutate(rng, value) if sep else rng.choice(TOKENS)
        lines[at] = f"{key}{sep}{new}".encode("utf-8", "surrogatepass")
    elif op == 1:  # one more header, core or repeated
        header = f"{rng.choice(_HEADERS)}: {rng.choice(TOKENS)}"
        lines.insert(rng.randint(0, min(len(lines), 8)), header.encode())
    elif op == 2 and lines:  # a header repeated, or dropped
        at = rng.randrange(min(len(lines), 10))
        if rng.random() < 0.5:
            lines.insert(at, lines[at])
        else:
            del lines[at]
    elif op == 3:  # a continuation line or a folded header
        at = rng.randint(0, min(len(lines), 8))
        lines.insert(at, b" " + rng.choice(TOKENS).encode("utf-8", "surrogatepass"))
    elif op == 4:
        return bytes_mutate(rng, data)
    else:  # undecodable bytes in a value
        at = rng.randint(0, min(len(lines), 8))
        lines.insert(at, b"Summary: \xff\xfe\xc3(" + bytes([rng.randrange(256)]))
    return b"\n".join(lines)


def form_of(metadata: bytes, filetype: str = "bdist_wheel") -> Form:
    """The upload form twine sends for a distribution with `metadata` (its fields and
    digests; the digests do not matter to the parsers fuzzed here)."""
    message = email.parser.BytesParser().parsebytes(metadata)
    fields = {
        "Metadata-Version": "metadata_version", "Name": "name", "Version": "version",
        "Summary": "summary", "Description-Content-Type": "description_content_type",
        "Requires-Python": "requires_python", "License-Expression": "license_expression",
        "Keywords": "keywords",
    }  # fmt: skip
    multi = {"Classifier": "classifiers", "Requires-Dist": "requires_dist",
             "Provides-Extra": "provides_extra", "Project-URL": "project_urls"}  # fmt: skip
    form: Form = {":action": ["file_upload"], "protocol_version": ["1"]}
    for header, key in fields.items():
        if header in message:
            form[key] = [str(message[header])]
    for header, key in multi.items():
        if values := message.get_all(header):
            form[key] = [str(v) for v in values]
    form["description"] = [str(message.get_payload())]
    form["filetype"] = [filetype]
    form["pyversion"] = ["py3" if filetype == "bdist_wheel" else "source"]
    form["sha256_digest"] = ["0" * 64]
    return form


_FORM_KEYS = [
    "metadata_version", "name", "version", "summary", "description", "author_email",
    "description_content_type", "requires_python", "license", "license_expression",
    "license_file", "classifiers", "requires_dist", "provides_extra", "project_urls",
    "keywords", "dynamic", "platform", "home_page", "obsoletes_dist", "requires",
    "filetype", "pyversion", "sha256_digest", "md5_digest", ":action", "protocol_version",
]  # fmt: skip


def form_mutate(rng: random.Random, form: Mapping[str, list[str]]) -> Form:
    new = {key: list(values) for key, values in form.items()}
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(_FORM_KEYS)
        op = rng.randrange(5)
        values = new.setdefault(key, [])
        if op == 0 and values:
            at = rng.randrange(len(values))
            values[at] = str_mutate(rng, values[at])
        elif op == 1:
            values.append(rng.choice(TOKENS))
        elif op == 2:
            new.pop(key, None)
        elif op == 3 and values:
            values.append(values[0])
        else:
            new[key] = [rng.choice(TOKENS)]
    return new


# --- archives -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveSeed:
    """A real distribution and the members it was built from."""

    file: DistFile
    members: dict[str, bytes]
    dist: DistFilename
    fmt: Literal["zip", "tar"]


@functools.cache  # the same bytes every time; callers only read them
def archive_seeds() -> dict[str, list[ArchiveSeed]]:
    """Seeds per archive target: wheels, zip sdists and .tar.gz sdists of `demo` 1.0."""
    metadata = metadata_seeds()[1].replace(b"Demo.Pkg", b"demo").replace(b"2.0rc1", b"1.0")
    wheel_dist = dist_filename("bdist_wheel")
    sdist_dist = dist_filename("sdist")
    extra = {"demo/sub/mod.py": b"x = 1\n", "demo/data/table.csv": b"a,b\n" * 50}

    def wheel(**options: Any) -> ArchiveSeed:
        members = wheel_members(**options)
        return ArchiveSeed(wheel_bytes(**options), members, wheel_dist, "zip")

    def sdist(fmt: str, **options: Any) -> ArchiveSeed:
        members = sdist_members(**options)
        return ArchiveSeed(
            sdist_bytes(fmt=fmt, **options), members, sdist_dist, "zip" if fmt == "zip" else "tar"
        )

    return {
        "wheel": [wheel(), wheel(files=extra, metadata=metadata)],
        "sdist_zip": [
            sdist("zip"),
            sdist("zip", files={f"demo-1.0/{k}": v for k, v in extra.items()}),
        ],
        "sdist_tar": [
            sdist("tar.gz"),
            sdist(
                "tar.gz", metadata=metadata, files={f"demo-1.0/{k}": v for k, v in extra.items()}
            ),
        ],
    }


def _name_mutate(rng: random.Random, name: str) -> str:
    parts = name.split("/")
    at = rng.randrange(len(parts))
    op = rng.randrange(6)
    if op == 0:
        parts[at] = parts[at].swapcase()  # a case-only twin
    elif op == 1:
        parts[at] = unicodedata.normalize("NFD", parts[at] + "é")
    elif op == 2:
        parts[at] += rng.choice((".", " ", "::$DATA", ":x"))
    elif op == 3:
        parts.insert(at, rng.choice(("..", ".", "", "/", "C:", "a\\..")))
    elif op == 4:
        parts[at] = str_mutate(rng, parts[at])
    else:
        parts = ["x" * rng.choice((100, 256, 5000)), *parts]
    return "/".join(parts)


def _members_mutate(rng: random.Random, seed: ArchiveSeed) -> list[tuple[Any, bytes | None]]:
    """The seed's members with one structural change: a renamed or added member (a
    case-only twin, a traversal, a link), a dropped one, or hostile core metadata."""
    members: list[tuple[Any, bytes | None]] = list(seed.members.items())
    op = rng.randrange(6)
    at = rng.randrange(len(members))
    name, data = members[at]
    if op == 0:
        members[at] = (_name_mutate(rng, name), data)
    elif op == 1:
        members.append((_name_mutate(rng, name), b"EVIL = 1\n"))
    elif op == 2:
        del members[at]
    elif op == 3:
        members = [(n, metadata_mutate(rng, d) if n.endswith(("METADATA", "PKG-INFO")) and d
                    else d) for n, d in members]  # fmt: skip
    elif op == 4:
        link = f"{name.rsplit('/', 1)[0]}/link"
        target = rng.choice(("../../etc/passwd", "..", "x", "/etc", name.rsplit("/", 1)[-1]))
        if seed.fmt == "zip":
            members.append((zip_symlink(link), target.encode()))
        else:
            members.append(tar_link(link, target, hard=rng.random() < 0.5))
    else:
        members.append((name, data))  # an exact duplicate
    return members


def _archive_build(seed: ArchiveSeed, members: list[tuple[Any, bytes | None]]) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        if seed.fmt == "zip":
            return zip_bytes([(n, d or b"") for n, d in members])
        entries = tar_members({n: d or b"" for n, d in members if isinstance(n, str)})
        entries += [(n, d) for n, d in members if isinstance(n, tarfile.TarInfo)]
        return tar_gz_bytes(entries)


_TAR_FIELDS = [(0, 100), (100, 8), (108, 8), (116, 8), (124, 12), (136, 12), (148, 8),
               (156, 1), (157, 100), (257, 6), (263, 2), (345, 155)]  # fmt: skip
_TAR_VALUES = [b"", b"0", b"7777777", b"77777777777", b"\x80" + b"\xff" * 11, b"\xff" * 12,
               b"-1", b"0" * 12, b"../../x", b"/etc/passwd", b"a" * 100, b"\x00", b"ustar",
               b"1", b"2", b"5", b"L", b"K", b"x", b"g", b"S", b"3", b"4", b"6", b"7"]  # fmt: skip


def _tar_mutate(rng: random.Random, data: bytes) -> bytes:
    """Rewrite one field of one tar header inside the gzip stream, with a correct header
    checksum (mostly), so that tarfile reads the mutated header instead of stopping."""
    try:
        raw = bytearray(gzip.decompress(data))
    except (OSError, EOFError, zlib.error):
        return data
    blocks = [i for i in range(0, len(raw) - 511, 512) if raw[i + 257 : i + 262] == b"ustar"]
    if not blocks:
        return data
    block = rng.choice(blocks)
    offset, width = rng.choice(_TAR_FIELDS)
    value = rng.choice(_TAR_VALUES)[:width]
    raw[block + offset : block + offset + width] = value.ljust(width, b"\x00")
    if offset != 148 or rng.random() < 0.5:
        header = raw[block : block + 512]
        header[148:156] = b" " * 8
        raw[block + 148 : block + 156] = b"%06o\x00 " % (sum(header) & 0o777777)
    if rng.random() < 0.2:
        del raw[rng.randrange(len(raw)) :]
    return gzip.compress(bytes(raw), compresslevel=1, mtime=0)


_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x07\x08")


def _zip_mutate(rng: random.Random, data: bytes) -> bytes:
    """Overwrite a field of one zip header (local, central or end record) with an
    interesting integer: sizes, offsets, counts, flags, methods, name lengths."""
    offsets = [i for sig in _ZIP_SIGNATURES for i in _find_all(data, sig)]
    if not offsets:
        return data
    start = rng.choice(offsets)
    at = start + rng.randrange(4, 46)
    width = rng.choice((2, 4))
    value = rng.choice(INTS) & ((1 << (8 * width)) - 1)
    return data[:at] + value.to_bytes(width, "little") + data[at + width :]


def _find_all(data: bytes, needle: bytes) -> list[int]:
    found, at = [], data.find(needle)
    while at >= 0:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


def archive_mutate(rng: random.Random, seed: ArchiveSeed, others: list[bytes]) -> bytes:
    op = rng.random()
    if op < 0.25:
        try:
            return _archive_build(seed, _members_mutate(rng, seed))
        except (struct.error, ValueError, OverflowError):
            # zipfile and tarfile cannot write every mutated member (a name past 64 KiB,
            # a field past its width): such an archive cannot exist, so use the seed.
            return seed.file.data
    if op < 0.5:
        return (
            _zip_mutate(rng, seed.file.data)
            if seed.fmt == "zip"
            else _tar_mutate(rng, seed.file.data)
        )
    data = seed.file.data
    for _ in range(rng.choice((1, 1, 1, 2, 4))):
        data = bytes_mutate(rng, data, others=others)
    return data


# --- targets ------------------------------------------------------------------------------------


@dataclass
class Target:
    """One parser under fuzz: how to make an input, run it, and save it for replay."""

    name: str
    generate: Callable[[random.Random], Any]
    run: Callable[[Any], object]
    dump: Callable[[Any], bytes] = field(default=lambda value: value)
    load: Callable[[bytes], Any] = field(default=lambda data: data)
    suffix: str = ".bin"


def _json_dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


def _json_load(data: bytes) -> Any:
    return json.loads(data)


def _filename_target() -> Target:
    seeds = [("demo-1.0-py3-none-any.whl", "demo", "1.0", "bdist_wheel"),
             ("demo_pkg-2.0rc1-1-cp311-cp311-manylinux_2_17_x86_64.whl", "Demo.Pkg", "2.0rc1",
              "bdist_wheel"),
             ("demo-1.0.tar.gz", "demo", "1.0", "sdist"), ("demo-1.0.zip", "demo", "1.0",
                                                          "sdist")]  # fmt: skip

    def generate(rng: random.Random) -> list[Any]:
        values: list[Any] = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 2)):
            at = 0 if rng.random() < 0.6 else rng.randrange(4)
            values[at] = str_mutate(rng, values[at])
        return [*values, rng.random() < 0.5]

    def run(value: list[Any]) -> object:
        filename, project_name, version, packagetype, pep625 = value
        return filename_parse(
            filename=filename,
            project_name=project_name,
            version=version,
            packagetype=packagetype,
            require_pep625=pep625,
        )

    return Target("filename", generate, run, _json_dump, _json_load, ".json")


def _metadata_target() -> Target:
    seeds = metadata_seeds()
    form_metadata = metadata_from_form(form_of(seeds[0]))

    def generate(rng: random.Random) -> bytes:
        data = rng.choice(seeds)
        for _ in range(rng.choice((1, 1, 2, 3))):
            data = metadata_mutate(rng, data)
        return data

    def run(data: bytes) -> object:
        found = metadata_parse_file(data)
        metadata_compare(form=form_metadata, file=found)
        return found

    return Target("metadata_file", generate, run, suffix=".txt")


def _form_target() -> Target:
    seeds = [form_of(data) for data in metadata_seeds()]
    files = [metadata_parse_file(data) for data in metadata_seeds()]

    def generate(rng: random.Random) -> list[Any]:
        at = rng.randrange(len(seeds))
        return [form_mutate(rng, seeds[at]), at]

    def run(value: list[Any]) -> Metadata:
        form, at = value
        meta = metadata_from_form(form)
        metadata_compare(form=meta, file=files[at])
        return meta

    return Target("metadata_form", generate, run, _json_dump, _json_load, ".json")


class ArchiveTarget(Target):
    """archive_inspect on mutated archives, then the file's metadata parsed, as
    publish._archive_check does. The bytes go to one scratch file, rewritten per input."""

    def __init__(self, name: str, seeds: list[ArchiveSeed], scratch: Path) -> None:
        self.seeds = seeds
        self.path = scratch / seeds[0].file.filename
        others = [seed.file.data for seed in seeds]
        super().__init__(
            name,
            lambda rng: archive_mutate(rng, rng.choice(seeds), others),
            self._run,
            suffix=Path(seeds[0].file.filename).suffix,
        )

    def _run(self, data: bytes) -> object:
        self.path.write_bytes(data)
        seed = self.seeds[0]
        found = archive_inspect(
            path=self.path,
            filename=seed.file.filename,
            dist=seed.dist,
            limits=ArchiveLimits(max_uncompressed=64 * 1024 * 1024),
        )
        return metadata_parse_file(found)


def targets(scratch: Path | None = None) -> list[Target]:
    """The parser targets (the upload endpoint is in warden/packaging/upload/tests)."""
    scratch = scratch or Path(tempfile.mkdtemp(prefix="warden-fuzz-"))
    archives = archive_seeds()
    return [
        _filename_target(),
        _metadata_target(),
        _form_target(),
        *(ArchiveTarget(f"archive_{name}", seeds, scratch) for name, seeds in archives.items()),
    ]
