from __future__ import annotations

import pytest
from packaging.version import Version

from tests.dists import metadata_text
from warden.packaging.dists.metadata import (
    metadata_compare,
    metadata_from_form,
    metadata_parse_file,
)
from warden.packaging.errors import UploadError

Form = dict[str, list[str]]


def form(**fields: str | list[str]) -> Form:
    """A twine-style upload form: the minimal metadata plus non-metadata fields."""
    base: Form = {
        ":action": ["file_upload"],
        "protocol_version": ["1"],
        "metadata_version": ["2.4"],
        "name": ["demo"],
        "version": ["1.0"],
        "filetype": ["bdist_wheel"],
        "pyversion": ["py3"],
        "sha256_digest": ["0" * 64],
    }
    for key, value in fields.items():
        base[key] = value if isinstance(value, list) else [value]
    return base


def test_minimal_twine_form_gives_metadata() -> None:
    metadata = metadata_from_form(form())
    assert (metadata.name, metadata.version, metadata.metadata_version) == (
        "demo",
        Version("1.0"),
        "2.4",
    )


def test_form_fields_map_to_core_metadata() -> None:
    metadata = metadata_from_form(
        form(
            summary="A demo",
            description="# Demo",
            description_content_type="text/markdown",
            author_email="a@example.com",
            license_expression="mit OR apache-2.0",
            license_file=["LICENSE", "NOTICE"],
            keywords="web, index ,,pypi",
            classifiers=["Programming Language :: Python :: 3", "Framework :: Django"],
            platform=["linux"],
            supported_platform=["x86_64"],
            requires_python=">=3.11",
            requires_dist=["packaging>=24", "rich; extra == 'cli'"],
            provides_extra=["CLI"],
            project_urls=["Homepage, https://example.com", "Source, https://example.com/src"],
            dynamic=["Requires-Dist"],
        )
    )
    assert metadata.summary == "A demo"
    assert metadata.license_expression == "MIT OR Apache-2.0"
    assert metadata.license_files == ["LICENSE", "NOTICE"]
    assert metadata.keywords == ["web", "index", "pypi"]
    assert metadata.platforms == ["linux"]
    assert metadata.supported_platforms == ["x86_64"]
    assert [str(r) for r in metadata.requires_dist or []] == [
        "packaging>=24",
        'rich; extra == "cli"',
    ]
    assert metadata.provides_extra == ["cli"]
    assert metadata.project_urls == {
        "Homepage": "https://example.com",
        "Source": "https://example.com/src",
    }
    assert metadata.dynamic == ["requires-dist"]


def test_empty_form_fields_mean_absent() -> None:
    metadata = metadata_from_form(
        form(summary="", license=" ", requires_dist=["", ""], classifiers=[""], keywords="")
    )
    assert metadata.summary is None
    assert metadata.license is None
    assert metadata.requires_dist is None
    assert metadata.classifiers is None
    assert metadata.keywords is None


def test_single_valued_field_sent_twice_is_refused() -> None:
    with pytest.raises(UploadError, match=r"'version' was sent more than once"):
        metadata_from_form(form(version=["1.0", "2.0"]))


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"])
def test_supported_metadata_versions_are_accepted(version: str) -> None:
    assert metadata_from_form(form(metadata_version=version)).metadata_version == version


@pytest.mark.parametrize("version", ["2.0", "2.6", "3.0", "two"])
def test_other_metadata_versions_are_refused(version: str) -> None:
    with pytest.raises(UploadError, match=rf"Metadata-Version '{version}' is not supported"):
        metadata_from_form(form(metadata_version=version))


def test_missing_metadata_version_is_refused() -> None:
    with pytest.raises(UploadError, match=r"Metadata-Version field is required"):
        metadata_from_form(form(metadata_version=""))


def test_invalid_project_name_is_refused() -> None:
    with pytest.raises(UploadError, match=r"not a valid project name"):
        metadata_from_form(form(name="demo!"))


def test_non_pep440_version_is_refused_naming_the_field() -> None:
    with pytest.raises(UploadError, match=r"invalid in Version: 'one' is invalid"):
        metadata_from_form(form(version="one"))


def test_local_version_is_refused() -> None:
    with pytest.raises(UploadError, match=r"^Local versions are not allowed on an index"):
        metadata_from_form(form(version="1.0+ubuntu1"))


def test_unknown_classifier_is_refused_naming_it() -> None:
    with pytest.raises(UploadError, match=r"'Framework :: Nope' is not a valid classifier"):
        metadata_from_form(form(classifiers=["Framework :: Django", "Framework :: Nope"]))


def test_deprecated_classifier_is_refused_naming_its_replacement() -> None:
    with pytest.raises(
        UploadError,
        match=r"'Framework :: Django CMS :: 4.2' is deprecated; use 'Framework :: Django CMS :: 5",
    ):
        metadata_from_form(form(classifiers=["Framework :: Django CMS :: 4.2"]))


def test_deprecated_classifier_without_replacement_is_refused() -> None:
    with pytest.raises(UploadError, match=r"is deprecated; remove it"):
        metadata_from_form(
            form(
                metadata_version="2.1",
                classifiers=["License :: OSI Approved :: Jabber Open Source License"],
            )
        )


def test_private_classifiers_are_accepted_on_a_private_index() -> None:
    metadata = metadata_from_form(form(classifiers=["Private :: Do Not Upload"]))
    assert metadata.classifiers == ["Private :: Do Not Upload"]


def test_license_expression_with_old_metadata_version_is_refused() -> None:
    with pytest.raises(UploadError, match=r"License-Expression needs Metadata-Version 2.4"):
        metadata_from_form(form(metadata_version="2.3", license_expression="MIT"))


def test_license_expression_together_with_license_is_refused() -> None:
    with pytest.raises(UploadError, match=r"either License-Expression or License, not both"):
        metadata_from_form(form(license_expression="MIT", license="MIT License"))


def test_license_classifier_together_with_license_expression_is_refused() -> None:
    classifier = "License :: OSI Approved :: MIT License"
    with pytest.raises(UploadError, match=rf"remove '{classifier}'"):
        metadata_from_form(form(license_expression="MIT", classifiers=[classifier]))


def test_license_classifier_without_license_expression_is_accepted() -> None:
    classifier = "License :: OSI Approved :: MIT License"
    assert metadata_from_form(form(classifiers=[classifier])).classifiers == [classifier]


def test_invalid_license_expression_is_refused() -> None:
    with pytest.raises(UploadError, match=r"License-Expression"):
        metadata_from_form(form(license_expression="MIT OR"))


def test_legacy_license_file_with_metadata_2_1_is_dropped_not_refused() -> None:
    metadata = metadata_from_form(form(metadata_version="2.1", license_file=["LICENSE"]))
    assert metadata.license_files is None


def test_summary_of_512_characters_is_accepted() -> None:
    assert metadata_from_form(form(summary="s" * 512)).summary == "s" * 512


def test_summary_longer_than_512_characters_is_refused() -> None:
    with pytest.raises(UploadError, match=r"Summary is 513 characters long; the limit is 512"):
        metadata_from_form(form(summary="s" * 513))


def test_multi_line_summary_is_refused() -> None:
    with pytest.raises(UploadError, match=r"invalid in Summary: 'summary' must be a single line"):
        metadata_from_form(form(summary="one\ntwo"))


def test_invalid_requirement_is_refused_naming_the_field() -> None:
    with pytest.raises(UploadError, match=r"invalid in Requires-Dist: 'foo >>> 1' is invalid"):
        metadata_from_form(form(requires_dist=["foo >>> 1"]))


def test_every_invalid_field_is_named() -> None:
    with pytest.raises(UploadError, match=r"invalid in Description-Content-Type, Requires-Python"):
        metadata_from_form(form(description_content_type="text/html", requires_python="3"))


def test_field_newer_than_the_metadata_version_is_refused() -> None:
    with pytest.raises(UploadError, match=r"invalid in Dynamic"):
        metadata_from_form(form(metadata_version="2.1", dynamic=["Requires-Dist"]))


@pytest.mark.parametrize("value", ["Homepage", "Homepage,", ", https://example.com"])
def test_malformed_project_url_is_refused(value: str) -> None:
    with pytest.raises(UploadError, match=r"must be written as 'Label, https://...'"):
        metadata_from_form(form(project_urls=[value]))


def test_project_url_label_used_twice_is_refused() -> None:
    with pytest.raises(UploadError, match=r"label 'Home' is used more than once"):
        metadata_from_form(
            form(project_urls=["Home, https://a.example", "Home, https://b.example"])
        )


def test_metadata_file_is_parsed_with_description_from_the_body() -> None:
    metadata = metadata_parse_file(
        metadata_text(summary="A demo", description="The description.", requires_dist=["packaging"])
    )
    assert (metadata.name, str(metadata.version), metadata.summary) == ("demo", "1.0", "A demo")
    assert metadata.description == "The description.\n"
    assert [str(r) for r in metadata.requires_dist or []] == ["packaging"]


def test_metadata_file_with_unknown_headers_is_accepted() -> None:
    headers = "X-Built-By: something\nLicense-Files: x\n"
    metadata = metadata_parse_file(metadata_text(extra_headers=headers))
    assert metadata.name == "demo"


def test_metadata_file_with_legacy_license_file_is_accepted() -> None:
    metadata = metadata_parse_file(metadata_text(extra_headers="License-File: LICENSE\n"))
    assert metadata.license_files is None


def test_metadata_file_with_a_repeated_single_field_is_refused() -> None:
    with pytest.raises(UploadError, match=r"malformed fields: Summary"):
        metadata_parse_file(metadata_text(extra_headers="Summary: another\n"))


def test_metadata_file_with_badly_encoded_text_is_refused() -> None:
    with pytest.raises(UploadError, match=r"malformed fields: Author"):
        metadata = metadata_text(extra_headers="Author: \u00ff\n")
        metadata_parse_file(metadata.replace(b"\xc3\xbf", b"\xff"))


def test_metadata_file_without_version_is_refused() -> None:
    with pytest.raises(UploadError, match=r"invalid in Version"):
        metadata_parse_file(b"Metadata-Version: 2.1\nName: demo\n\n")


def test_garbage_metadata_file_is_refused() -> None:
    with pytest.raises(UploadError, match=r"metadata file is invalid"):
        metadata_parse_file(b"\x00\x01 not metadata at all")


def file_metadata(extra: str = "", *, name: str = "demo", version: str = "1.0") -> bytes:
    return metadata_text(
        name=name, version=version, metadata_version="2.4", summary="A demo", extra_headers=extra
    )


def test_file_metadata_agreeing_with_the_form_passes() -> None:
    extra = (
        "Requires-Python: >=3.11\nRequires-Dist: Foo_Bar[Extra_One]>=1.0\n"
        "License-Expression: MIT\nClassifier: Framework :: Django\n"
        "Classifier: Programming Language :: Python :: 3\nProvides-Extra: CLI\n"
    )
    uploaded = metadata_from_form(
        form(
            name="Demo_Pkg",
            version="1.0.0",
            summary="A demo",
            requires_python=">=3.11.0",
            requires_dist=["foo-bar[extra-one] >= 1"],
            license_expression="mit",
            classifiers=["Programming Language :: Python :: 3", "Framework :: Django"],
            provides_extra=["cli"],
        )
    )
    metadata_compare(form=uploaded, file=metadata_parse_file(file_metadata(extra, name="demo-pkg")))


@pytest.mark.parametrize(
    ("fields", "extra", "message"),
    [
        ({"name": "other"}, "", "says Name demo, but the upload says other"),
        ({"version": "1.0"}, "", "says Version 1.1, but the upload says 1.0"),
        ({"metadata_version": "2.3"}, "", "says Metadata-Version 2.4, but the upload says 2.3"),
        ({"requires_python": ">=3.10"}, "Requires-Python: >=3.11\n", "says Requires-Python >=3.11"),
        (
            {},
            "Requires-Python: >=3.11\n",
            "says Requires-Python >=3.11, but the upload says nothing",
        ),
        (
            {"requires_dist": ["a"]},
            "Requires-Dist: a\nRequires-Dist: b\n",
            "says Requires-Dist 'a', 'b'",
        ),
        ({"requires_dist": ["a>=2"]}, "Requires-Dist: a>=1\n", "says Requires-Dist 'a>=1'"),
        ({"summary": "Other"}, "", "says Summary A demo, but the upload says Other"),
        ({"license_expression": "MIT"}, "", "says License-Expression nothing"),
        ({"classifiers": ["Framework :: Django"]}, "", "says Classifier nothing"),
        ({"provides_extra": ["cli"]}, "Provides-Extra: gui\n", "says Provides-Extra 'gui'"),
    ],
)
def test_file_metadata_disagreeing_with_the_form_is_refused(
    fields: dict[str, str | list[str]], extra: str, message: str
) -> None:
    defaults: dict[str, str | list[str]] = {"summary": "A demo", "version": "1.1"}
    uploaded = metadata_from_form(form(**{**defaults, **fields}))
    with pytest.raises(UploadError, match=rf"^The wheel's METADATA {message}"):
        metadata_compare(
            form=uploaded, file=metadata_parse_file(file_metadata(extra, version="1.1"))
        )


def test_first_differing_field_is_reported() -> None:
    uploaded = metadata_from_form(form(name="other", version="2.0", summary="Other"))
    with pytest.raises(UploadError, match=r"says Name demo"):
        metadata_compare(form=uploaded, file=metadata_parse_file(file_metadata()))


def test_compare_names_its_source() -> None:
    uploaded = metadata_from_form(form(summary="Other"))
    with pytest.raises(UploadError, match=r"^The sdist's PKG-INFO says Summary"):
        metadata_compare(
            form=uploaded, file=metadata_parse_file(file_metadata()), source="The sdist's PKG-INFO"
        )
