"""A short, reproducible fuzzing campaign over the upload parsers (bench/fuzz.py runs long ones).

Every input, a mutation of a real distribution, of core metadata, of an upload form or of a
filename, must be accepted or refused with a readable `UploadError`: never another exception,
never a message that buries the reason (see `fuzzing.contract_check`). Then the regressions
the campaigns found, one test each.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.dists import metadata_text, sdist_members, tar_members, wheel_members
from warden.packaging.dists.archive import ArchiveLimits, archive_inspect
from warden.packaging.dists.filenames import filename_parse
from warden.packaging.dists.metadata import (
    metadata_compare,
    metadata_from_form,
    metadata_parse_file,
)
from warden.packaging.dists.tests import fuzzing
from warden.packaging.dists.tests.builders import (
    TAR_SIZE,
    dist_filename,
    tar_header_patch,
    tar_write,
    zip_central_offset,
    zip_patch,
    zip_write,
)
from warden.packaging.errors import UploadError

CAMPAIGN = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TARGETS = {target.name: target for target in fuzzing.targets()}


def kept(target: fuzzing.Target, value: object) -> None:
    outcome = fuzzing.contract_check(lambda: target.run(value))
    assert not outcome.broken, f"{outcome.kind}: {outcome.detail}"


# The campaign: hypothesis picks the random source of the same mutations bench/fuzz.py
# makes, so a failure shrinks to a short list of choices and is reported with its input.


@CAMPAIGN
@given(rng=st.randoms(use_true_random=False))
def test_any_filename_is_parsed_or_refused_with_a_readable_message(rng: random.Random) -> None:
    target = TARGETS["filename"]
    kept(target, target.generate(rng))


@CAMPAIGN
@given(rng=st.randoms(use_true_random=False))
def test_any_metadata_file_is_parsed_or_refused_with_a_readable_message(
    rng: random.Random,
) -> None:
    target = TARGETS["metadata_file"]
    kept(target, target.generate(rng))


@CAMPAIGN
@given(rng=st.randoms(use_true_random=False))
def test_any_upload_form_is_parsed_or_refused_with_a_readable_message(
    rng: random.Random,
) -> None:
    target = TARGETS["metadata_form"]
    kept(target, target.generate(rng))


@CAMPAIGN
@given(
    name=st.sampled_from(["archive_wheel", "archive_sdist_zip", "archive_sdist_tar"]),
    rng=st.randoms(use_true_random=False),
)
def test_any_mutated_archive_is_inspected_or_refused_with_a_readable_message(
    name: str, rng: random.Random
) -> None:
    target = TARGETS[name]
    kept(target, target.generate(rng))


@settings(CAMPAIGN, max_examples=100)
@given(
    name=st.sampled_from(["archive_wheel", "archive_sdist_zip", "archive_sdist_tar"]),
    edits=st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 4096),
)
def test_any_archive_with_bytes_overwritten_or_cut_is_inspected_or_refused(
    name: str, edits: list[tuple[int, int]], cut: int
) -> None:
    target = TARGETS[name]
    data = bytearray(target.seeds[0].file.data)  # type: ignore[attr-defined]
    for at, value in edits:
        data[at % len(data)] = value
    kept(target, bytes(data[: len(data) - cut % len(data)]))


# Regressions: what the campaigns found, before it was fixed.


def test_a_version_with_more_digits_than_int_allows_is_refused_not_a_crash() -> None:
    # packaging raises ValueError (int conversion limit), not InvalidVersion.
    with pytest.raises(UploadError, match="not a valid version"):
        filename_parse(
            filename="demo-1.0.tar.gz", project_name="demo", version="9" * 5000, packagetype="sdist"
        )


@pytest.mark.parametrize(
    "call",
    [
        lambda: metadata_from_form(
            {"metadata_version": ["2.1"], "name": ["demo"], "version": ["9" * 5000]}
        ),
        lambda: metadata_parse_file(metadata_text(version="9" * 5000)),
    ],
    ids=["form", "file"],
)
def test_metadata_with_a_version_of_more_digits_than_int_allows_is_refused(call: object) -> None:
    with pytest.raises(UploadError, match="is invalid: Exceeds the limit"):
        call()  # type: ignore[operator]


def test_an_sdist_whose_top_directory_has_a_huge_version_is_refused_not_a_crash(
    tmp_path: Path,
) -> None:
    members = sdist_members(root=f"demo-{'9' * 5000}")
    path = tar_write(tmp_path / "demo-1.0.tar.gz", tar_members(members))
    with pytest.raises(UploadError, match=r"single top-level directory named 'demo-1\.0'"):
        archive_inspect(
            path=path, filename=path.name, dist=dist_filename("sdist"), limits=ArchiveLimits()
        )


def test_a_zip_asking_for_a_newer_zip_version_is_refused_not_a_crash(tmp_path: Path) -> None:
    data = zip_write(tmp_path / "w.zip", wheel_members()).read_bytes()
    # "version needed to extract" of a central directory entry: zipfile raises
    # NotImplementedError for anything above what it supports.
    offset = zip_central_offset(data, "demo/__init__.py") + 6
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(zip_patch(data, offset, (255).to_bytes(2, "little")))
    with pytest.raises(UploadError, match="is not a valid zip archive"):
        archive_inspect(path=path, filename=path.name, dist=dist_filename(), limits=ArchiveLimits())


@pytest.mark.parametrize(
    ("size", "match"),
    [
        # base-256: 2**88 bytes, which tarfile would skip block by block for ever
        (b"\x80" + b"\xff" * 11, "ends before the data its tar headers announce"),
        # within the size limit, but far beyond the end of the archive
        (b"%011o\0" % (1024**3), "ends before the data its tar headers announce"),
    ],
    ids=["beyond-the-limit", "beyond-the-end"],
)
def test_a_tar_header_announcing_more_data_than_there_is_is_refused_at_once(
    tmp_path: Path, size: bytes, match: str
) -> None:
    data = tar_write(tmp_path / "s.tar.gz", tar_members(sdist_members())).read_bytes()
    path = tmp_path / "demo-1.0.tar.gz"
    path.write_bytes(tar_header_patch(data, "demo-1.0/pyproject.toml", TAR_SIZE, size))
    start = time.perf_counter()
    with pytest.raises(UploadError, match=match):
        archive_inspect(
            path=path, filename=path.name, dist=dist_filename("sdist"), limits=ArchiveLimits()
        )
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize(
    "call",
    [
        lambda: filename_parse(
            filename="demo-1.0.tar.gz", project_name="demo", version="1.0", packagetype="x" * 70_000
        ),
        lambda: metadata_from_form(
            {
                "metadata_version": ["2.1"],
                "name": ["demo"],
                "version": ["1.0"],
                "project_urls": ["x" * 70_000],
            }
        ),
        lambda: metadata_parse_file(metadata_text(requires_dist=["foo ;;;" + "x" * 70_000])),
        lambda: metadata_compare(
            form=metadata_parse_file(metadata_text(requires_dist=[f"p{i}>=1" for i in range(500)])),
            file=metadata_parse_file(metadata_text()),
        ),
        lambda: metadata_compare(
            form=metadata_parse_file(metadata_text()),
            file=metadata_parse_file(metadata_text(name="x" * 5000)),
        ),
    ],
    ids=["filename-field", "project-url", "requires-dist", "compare-sets", "compare-names"],
)
def test_a_refusal_quoting_a_huge_value_stays_short(call: object) -> None:
    with pytest.raises(UploadError) as caught:
        call()  # type: ignore[operator]
    assert len(caught.value.message) <= fuzzing.MESSAGE_MAX, caught.value.message[:300]


def test_a_refusal_naming_a_huge_archive_member_stays_short(tmp_path: Path) -> None:
    name = "demo/" + "x" * 60_000 + "\\..\\evil"
    path = zip_write(tmp_path / "demo-1.0-py3-none-any.whl", wheel_members(files={name: b""}))
    with pytest.raises(UploadError, match="backslash") as caught:
        archive_inspect(path=path, filename=path.name, dist=dist_filename(), limits=ArchiveLimits())
    assert len(caught.value.message) <= fuzzing.MESSAGE_MAX
