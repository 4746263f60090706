"""Fuzzing `POST /legacy/` in process: multipart bodies built the way twine builds them, from
real distributions, then mutated (fields, part headers, the boundary, the file, raw bytes).

The contract, on top of the parsers' (warden/packaging/dists/tests/fuzzing.py): any body gets
a 200 or a 4xx whose reason phrase says what is wrong (not just "Bad Request", which is all
twine would show), and never a 5xx or an exception. Shared by test_fuzz.py here and
bench/fuzz.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from http import HTTPStatus
from typing import Any

from django.test import Client

from warden.packaging.dists.tests import fuzzing
from warden.packaging.dists.tests.fuzzing import (
    TOKENS,
    ArchiveSeed,
    Target,
    archive_mutate,
    archive_seeds,
    bytes_mutate,
    form_mutate,
    str_mutate,
)
from warden.packaging.errors import UploadError

Part = tuple[dict[str, str], bytes]  # headers, body


def bad_response(message: str, *, status: int) -> fuzzing.ContractBroken:
    """The endpoint answered outside the contract: a 5xx, or a refusal that says nothing."""
    return fuzzing.ContractBroken(message, kind="server_error" if status >= 500 else "bad_response")


def digests(data: bytes) -> dict[str, list[str]]:
    return {
        "sha256_digest": [hashlib.sha256(data).hexdigest()],
        "md5_digest": [hashlib.md5(data, usedforsecurity=False).hexdigest()],
        "blake2_256_digest": [hashlib.blake2b(data, digest_size=32).hexdigest()],
    }


def _core_metadata(seed: ArchiveSeed) -> bytes:
    name = next(n for n in seed.members if n.endswith(("/METADATA", "/PKG-INFO")))
    return seed.members[name]


def parts_of(form: dict[str, list[str]], filename: str, content: bytes) -> list[Part]:
    """twine's multipart parts: one per field value, then the file."""
    parts: list[Part] = []
    for key, values in form.items():
        for value in values:
            disposition = f'form-data; name="{key}"'
            parts.append(({"Content-Disposition": disposition}, value.encode("utf-8")))
    disposition = f'form-data; name="content"; filename="{filename}"'
    parts.append(
        ({"Content-Disposition": disposition, "Content-Type": "application/octet-stream"}, content)
    )
    return parts


def body_of(parts: list[Part], boundary: str) -> bytes:
    chunks = []
    for headers, data in parts:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        chunks.append(
            f"--{boundary}\r\n{head}\r\n".encode("utf-8", "surrogatepass") + data + b"\r\n"
        )
    return b"".join(chunks) + f"--{boundary}--\r\n".encode("utf-8", "surrogatepass")


def _parts_mutate(rng: random.Random, parts: list[Part]) -> list[Part]:
    parts = [(dict(h), d) for h, d in parts]
    at = rng.randrange(len(parts))
    headers, data = parts[at]
    op = rng.randrange(8)
    if op == 7:  # past Django's limits on the number of fields and files
        many = rng.choice((1001, 101))
        name = "content" if many == 101 else "x"
        extra = [
            (
                {
                    "Content-Disposition": f'form-data; name="{name}{i}"; filename="f{i}"'
                    if many == 101
                    else f'form-data; name="{name}{i}"'
                },
                b"v",
            )
            for i in range(many)
        ]
        return [*extra, *parts]
    if op == 0:  # the field's name or the file's name
        headers["Content-Disposition"] = str_mutate(rng, headers["Content-Disposition"])
    elif op == 1:
        headers[
            rng.choice(
                [
                    "Content-Type",
                    "Content-Transfer-Encoding",
                    "Content-Length",
                    "X-" + rng.choice(TOKENS),
                ]
            )
        ] = rng.choice([*TOKENS, "base64", "text/plain; charset=utf-16", "message/rfc822", "-1"])
    elif op == 2:
        parts.insert(rng.randrange(len(parts) + 1), (dict(headers), data))  # repeated
    elif op == 3:
        del parts[at]
    elif op == 4:
        parts[at] = (headers, bytes_mutate(rng, data))
    elif op == 5:
        parts[at] = ({}, data)  # no headers at all
    else:
        headers["Content-Disposition"] = (
            f'form-data; name="content"; filename="{rng.choice(TOKENS)}"'
        )
    return parts


def generate(rng: random.Random, seeds: list[ArchiveSeed], others: list[bytes]) -> dict[str, Any]:
    seed = rng.choice(seeds)
    content = seed.file.data
    filetype = "sdist" if seed.dist.packagetype == "sdist" else "bdist_wheel"
    form = fuzzing.form_of(_core_metadata(seed), filetype)
    if rng.random() < 0.3:
        form = form_mutate(rng, form)
    if rng.random() < 0.4:
        content = archive_mutate(rng, seed, others)
    if rng.random() < 0.9:  # mostly right, so that the archive checks are reached
        form |= digests(content)
    parts = parts_of(form, seed.file.filename, content)
    if rng.random() < 0.3:
        parts = _parts_mutate(rng, parts)
    boundary = "warden-fuzz-" + "".join(rng.choice("0123456789abcdef") for _ in range(16))
    body = body_of(parts, boundary)
    content_type = f"multipart/form-data; boundary={boundary}"
    op = rng.random()
    if op < 0.15:
        body = bytes_mutate(rng, body, others=others)
    elif op < 0.2:
        content_type = rng.choice(
            [
                str_mutate(rng, content_type),
                "multipart/form-data",
                "application/x-www-form-urlencoded",
                f"multipart/form-data; boundary={'x' * 80}",
                "text/plain",
                f"multipart/form-data; boundary={boundary}; charset=utf-16",
            ]
        )
    return {"content_type": content_type, "body": body}


def dump(value: dict[str, Any]) -> bytes:
    return json.dumps(
        {"content_type": value["content_type"], "body": base64.b64encode(value["body"]).decode()}
    ).encode()


def load(data: bytes) -> dict[str, Any]:
    raw = json.loads(data)
    return {"content_type": raw["content_type"], "body": base64.b64decode(raw["body"])}


def response_check(response: Any) -> None:
    status = response.status_code
    reason = response.reason_phrase
    if status >= 500:
        raise bad_response(f"{status} {reason}: {response.content[:300]!r}", status=status)
    if status == 200:
        return
    if not 400 <= status < 500:
        raise bad_response(f"unexpected status {status} {reason}", status=status)
    # twine shows the reason phrase and nothing else: the standard one says nothing.
    if reason == HTTPStatus(status).phrase or not reason.strip():
        raise bad_response(f"{status} with no explanation: {reason!r}", status=status)
    # A readable refusal: counted as one, and its text checked like the parsers' messages.
    raise UploadError(reason)


def upload_target(*, authorization: str, client: Client | None = None) -> Target:
    """`POST /legacy/` as a fuzz target; `authorization` is a valid Basic header for a user
    who may upload `demo`."""
    client = client or Client(raise_request_exception=True)
    seeds = [seed for group in archive_seeds().values() for seed in group]
    others = [seed.file.data for seed in seeds]

    def run(value: dict[str, Any]) -> None:
        response = client.generic(
            "POST",
            "/legacy/",
            value["body"],
            content_type=value["content_type"],
            HTTP_AUTHORIZATION=authorization,
        )
        response_check(response)

    return Target(
        "upload_endpoint", lambda rng: generate(rng, seeds, others), run, dump, load, ".json"
    )
