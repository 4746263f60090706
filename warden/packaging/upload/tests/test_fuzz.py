"""A short, reproducible fuzzing campaign against `POST /legacy/` (bench/fuzz.py runs long
ones): any multipart body, mutated from what twine sends for a real distribution, gets a 200 or
a 4xx whose reason phrase explains it, never a 5xx or an exception. Then the regressions the
campaigns found."""

from __future__ import annotations

import random

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warden.packaging.dists.tests import fuzzing as parser_fuzzing
from warden.packaging.dists.tests.fuzzing import archive_seeds, contract_check, form_of
from warden.packaging.tests.conftest import basic_auth
from warden.packaging.upload.tests import fuzzing

pytestmark = pytest.mark.django_db


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(rng=st.randoms(use_true_random=False))
def test_any_multipart_body_gets_a_200_or_an_explained_4xx(
    alice_token: str, rng: random.Random
) -> None:
    target = fuzzing.upload_target(
        authorization=basic_auth(alice_token), client=Client(raise_request_exception=True)
    )
    value = target.generate(rng)
    outcome = contract_check(lambda: target.run(value))
    assert not outcome.broken, f"{outcome.kind}: {outcome.detail}"


@pytest.mark.parametrize(
    ("count", "disposition"),
    [(1001, 'form-data; name="x{i}"'), (101, 'form-data; name="f{i}"; filename="f{i}"')],
    ids=["fields", "files"],
)
def test_a_body_with_more_fields_or_files_than_django_allows_gets_an_explained_400(
    client: Client, alice_token: str, count: int, disposition: str
) -> None:
    seed = archive_seeds()["wheel"][0]
    form = form_of(seed.members["demo-1.0.dist-info/METADATA"]) | fuzzing.digests(seed.file.data)
    extra = [({"Content-Disposition": disposition.format(i=i)}, b"v") for i in range(count)]
    body = fuzzing.body_of(
        extra + fuzzing.parts_of(form, seed.file.filename, seed.file.data), "b0undary"
    )

    response = client.generic(
        "POST",
        "/legacy/",
        body,
        content_type="multipart/form-data; boundary=b0undary",
        HTTP_AUTHORIZATION=basic_auth(alice_token),
    )

    assert response.status_code == 400
    assert "too many form fields or files" in response.reason_phrase, response.reason_phrase
    assert len(response.reason_phrase) <= parser_fuzzing.MESSAGE_MAX
