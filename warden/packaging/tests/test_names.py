from __future__ import annotations

import pytest

from warden.packaging.errors import UploadError
from warden.packaging.names import name_confusable_key, name_normalize, name_validate


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Django", "django"),
        ("foo_bar", "foo-bar"),
        ("Foo.Bar", "foo-bar"),
        ("foo__-._bar", "foo-bar"),
        ("A1", "a1"),
    ],
)
def test_names_normalize_per_pep_503(name: str, normalized: str) -> None:
    assert name_normalize(name) == normalized


@pytest.mark.parametrize("name", ["a", "A", "7", "foo", "Foo.Bar_baz-2", "x" * 100])
def test_valid_names_are_accepted(name: str) -> None:
    name_validate(name)


@pytest.mark.parametrize(
    "name",
    [
        "-foo",
        "foo-",
        "_foo",
        "foo.",
        "foo bar",
        "foo/bar",
        "f\u00f3o",
        # Long s and the Kelvin sign match [a-z] under IGNORECASE unless re.ASCII is set.
        "\u017fetup",
        "\u212aeras",
        # "$" would also match before a trailing newline.
        "foo\n",
    ],
)
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(UploadError, match="not a valid project name"):
        name_validate(name)


def test_empty_name_is_refused() -> None:
    with pytest.raises(UploadError, match="required"):
        name_validate("")


def test_name_longer_than_100_characters_is_refused() -> None:
    with pytest.raises(UploadError, match="the limit is 100"):
        name_validate("x" * 101)


def test_upload_error_carries_its_message() -> None:
    # The status is the interface's to choose (the upload endpoint answers 400).
    error = UploadError("nope")
    assert (error.message, str(error)) == ("nope", "nope")


@pytest.mark.parametrize(
    "group",
    [
        ["foo-bar", "foo_bar", "fo0bar", "f00-bar", "fooBar", "FOO.BAR"],
        ["l1b", "lib", "iib", "LIB", "l-i-b"],
        # Letter pairs that read as one letter.
        ["gamma", "garnma", "gamrna", "garnrna", "gam-ma", "gannma"],
        ["delta", "clelta", "cielta", "c1elta", "de1ta"],
        ["wheel", "vvheel", "uuheel", "vv-heel"],
    ],
)
def test_confusable_names_share_a_key(group: list[str]) -> None:
    assert len({name_confusable_key(name) for name in group}) == 1


def test_different_names_have_different_confusable_keys() -> None:
    assert name_confusable_key("foobar") != name_confusable_key("foobaz")
    assert name_confusable_key("lib") != name_confusable_key("lob")


@pytest.mark.parametrize(("one", "other"), [("numpy", "numba"), ("scipy", "spacy"),
                                            ("yarl", "yaml"), ("attrs", "attr")])
def test_honest_near_names_have_different_confusable_keys(one: str, other: str) -> None:
    assert name_confusable_key(one) != name_confusable_key(other)
