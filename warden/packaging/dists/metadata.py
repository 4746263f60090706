"""Core metadata of an upload: from twine's form, from the file, and their agreement."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import trove_classifiers
from packaging.metadata import InvalidMetadata, Metadata, RawMetadata, parse_email
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_version

from warden.packaging.dists.shown import quoted, quoted_list, shortened
from warden.packaging.errors import UploadError
from warden.packaging.names import name_normalize, name_validate

# 2.5 (PEP 794, Import-Name) is what current hatchling writes; refusing it would refuse
# every hatchling project. Its new fields are validated by packaging and kept in METADATA.
METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")
SUMMARY_MAX_LENGTH = 512
_DETAILS_SHOWN = 3

# Upload form field -> RawMetadata key, for fields sent at most once.
_FORM_SINGLE = {
    name: name
    for name in (
        "metadata_version",
        "name",
        "version",
        "summary",
        "description",
        "description_content_type",
        "author",
        "author_email",
        "maintainer",
        "maintainer_email",
        "license",
        "license_expression",
        "home_page",
        "download_url",
        "requires_python",
    )
}
# Upload form field -> RawMetadata key, for fields sent once per value. The
# renames are twine's (and PyPI's) historical spellings.
_FORM_MULTI = {
    "classifiers": "classifiers",
    "platform": "platforms",
    "supported_platform": "supported_platforms",
    "requires_dist": "requires_dist",
    "provides_extra": "provides_extra",
    "provides_dist": "provides_dist",
    "obsoletes_dist": "obsoletes_dist",
    "requires_external": "requires_external",
    "dynamic": "dynamic",
    "license_file": "license_files",
    "requires": "requires",
    "provides": "provides",
    "obsoletes": "obsoletes",
}
# Header names the core metadata spec defines. A METADATA file may carry other
# headers (tools add their own); only these are worth refusing over.
_CORE_HEADERS = frozenset(
    {
        "metadata-version", "name", "version", "dynamic", "platform",
        "supported-platform", "summary", "description",
        "description-content-type", "keywords", "home-page", "download-url",
        "author", "author-email", "maintainer", "maintainer-email", "license",
        "license-expression", "license-file", "classifier", "requires-dist",
        "requires-python", "requires-external", "project-url", "provides-extra",
        "provides-dist", "obsoletes-dist", "import-name", "import-namespace",
        "requires", "provides", "obsoletes",
    }
)  # fmt: skip


def metadata_from_form(form: Mapping[str, list[str]]) -> Metadata:
    """Build validated core metadata from twine's multipart upload fields."""
    raw: dict[str, Any] = {}
    for field, key in _FORM_SINGLE.items():
        values = _form_values(form, field)
        if len(values) > 1:
            raise UploadError(f"The field {quoted(field)} was sent more than once.")
        if values:
            raw[key] = values[0]
    for field, key in _FORM_MULTI.items():
        if values := _form_values(form, field):
            raw[key] = values
    # PyPI's form sends keywords comma-joined in one field; splitting every
    # value also copes with clients that send one field per keyword.
    if keywords := _form_values(form, "keywords"):
        raw["keywords"] = [k.strip() for v in keywords for k in v.split(",") if k.strip()]
    if project_urls := _form_values(form, "project_urls"):
        raw["project_urls"] = _project_urls_parse(project_urls)

    metadata_version = raw.get("metadata_version")
    if metadata_version is None:
        raise UploadError("The Metadata-Version field is required.")
    if metadata_version not in METADATA_VERSIONS:
        raise UploadError(
            f"Metadata-Version {quoted(metadata_version)} is not supported; use one of"
            f" {', '.join(METADATA_VERSIONS)}."
        )
    name_validate(raw.get("name", ""))
    _license_files_legacy_drop(raw)
    _summary_check(raw.get("summary"))
    _classifiers_check(raw.get("classifiers", []))
    _license_expression_check(raw)

    metadata = _metadata_build(raw, source="The upload's metadata")
    if metadata.version.local is not None:
        raise UploadError(
            f"Local versions are not allowed on an index: {quoted(str(metadata.version))}"
            f" has the local part {quoted('+' + metadata.version.local)}."
        )
    return metadata


def metadata_parse_file(data: bytes) -> Metadata:
    """Parse a wheel's METADATA or an sdist's PKG-INFO (email header format)."""
    parsed, unparsed = parse_email(data)
    raw = cast("dict[str, Any]", parsed)
    if _license_files_legacy_drop(raw):
        unparsed.pop("license-file", None)
    broken = sorted(key for key in unparsed if key in _CORE_HEADERS)
    if broken:
        raise UploadError(
            "The distribution's metadata file has repeated, badly encoded or"
            f" malformed fields: {', '.join(_field_title(k) for k in broken)}."
        )
    return _metadata_build(raw, source="The distribution's metadata file")


def metadata_compare(
    *, form: Metadata, file: Metadata, source: str = "The wheel's METADATA"
) -> None:
    """Refuse an upload whose form metadata disagrees with the file's own.

    Installers only ever see the file, while the index shows and resolves with
    the form's values, so a difference would mislead everyone downstream.
    """
    checks: list[tuple[str, object, object, str, str]] = [
        (
            "Name",
            name_normalize(form.name),
            name_normalize(file.name),
            form.name,
            file.name,
        ),
        ("Version", form.version, file.version, str(form.version), str(file.version)),
        (
            "Metadata-Version",
            form.metadata_version,
            file.metadata_version,
            form.metadata_version,
            file.metadata_version,
        ),
        (
            "Requires-Python",
            form.requires_python or SpecifierSet(),
            file.requires_python or SpecifierSet(),
            _shown(form.requires_python),
            _shown(file.requires_python),
        ),
    ]
    checks.append(_set_check("Requires-Dist", form.requires_dist, file.requires_dist))
    checks.append(
        (
            "Summary",
            (form.summary or "").strip(),
            (file.summary or "").strip(),
            _shown(form.summary),
            _shown(file.summary),
        )
    )
    checks.append(
        (
            "License-Expression",
            form.license_expression,
            file.license_expression,
            _shown(form.license_expression),
            _shown(file.license_expression),
        )
    )
    checks.append(_set_check("Classifier", form.classifiers, file.classifiers))
    checks.append(_set_check("Provides-Extra", form.provides_extra, file.provides_extra))
    for label, form_key, file_key, form_shown, file_shown in checks:
        if form_key != file_key:
            raise UploadError(
                f"{source} says {label} {shortened(file_shown, 200)}, but the upload"
                f" says {shortened(form_shown, 200)}."
            )


def _form_values(form: Mapping[str, list[str]], field: str) -> list[str]:
    # Clients send empty fields for metadata they do not have.
    return [value for value in form.get(field, []) if value.strip()]


def _project_urls_parse(values: list[str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for value in values:
        label, comma, url = (part.strip() for part in value.partition(","))
        if not comma or not label or not url:
            raise UploadError(
                f"Project-URL {quoted(value)} must be written as 'Label, https://...'."
            )
        if label in urls:
            raise UploadError(f"Project-URL label {quoted(label)} is used more than once.")
        urls[label] = url
    return urls


def _license_files_legacy_drop(raw: dict[str, Any]) -> bool:
    # setuptools wrote License-File under Metadata-Version 2.1 for years,
    # before PEP 639 gave the field a meaning in 2.4. twine drops it in that
    # case rather than refuse; do the same so those packages stay uploadable.
    if _metadata_version_tuple(raw.get("metadata_version", "")) >= (2, 4):
        return False
    raw.pop("license_files", None)
    return True


def _metadata_version_tuple(value: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in value.split("."))
    except ValueError:
        return ()


def _summary_check(summary: str | None) -> None:
    if summary is not None and len(summary) > SUMMARY_MAX_LENGTH:
        raise UploadError(
            f"The Summary is {len(summary)} characters long; the limit is"
            f" {SUMMARY_MAX_LENGTH}. Put longer text in the Description."
        )


def _classifiers_check(classifiers: list[str]) -> None:
    for classifier in classifiers:
        # "Private :: ..." classifiers exist precisely so that packages meant
        # for private indexes like this one are refused by PyPI.
        if classifier.startswith("Private ::"):
            continue
        if classifier in trove_classifiers.deprecated_classifiers:
            replacements = trove_classifiers.deprecated_classifiers[classifier]
            advice = (
                f"use {' or '.join(repr(r) for r in replacements)} instead"
                if replacements
                else "remove it"
            )
            raise UploadError(f"The classifier {quoted(classifier)} is deprecated; {advice}.")
        if classifier not in trove_classifiers.classifiers:
            raise UploadError(
                f"{quoted(classifier)} is not a valid classifier; see"
                " https://pypi.org/classifiers/ for the list."
            )


def _license_expression_check(raw: dict[str, Any]) -> None:
    # PEP 639: License-Expression replaces both the License field and the
    # "License ::" classifiers, so the old and new forms may not be mixed.
    if "license_expression" not in raw:
        return
    if _metadata_version_tuple(raw["metadata_version"]) < (2, 4):
        raise UploadError(
            "License-Expression needs Metadata-Version 2.4 or later; the upload"
            f" says {shortened(raw['metadata_version'], 40)}."
        )
    if "license" in raw:
        raise UploadError("Give either License-Expression or License, not both (PEP 639).")
    license_classifiers = [c for c in raw.get("classifiers", []) if c.startswith("License ::")]
    if license_classifiers:
        raise UploadError(
            "License classifiers cannot be combined with License-Expression"
            f" (PEP 639); remove {quoted_list(license_classifiers)}."
        )


def _metadata_build(raw: dict[str, Any], *, source: str) -> Metadata:
    try:
        return Metadata.from_raw(cast("RawMetadata", raw), validate=True)
    except ExceptionGroup as group:
        raise UploadError(_invalid_metadata_message(group, source=source)) from None
    except ValueError as exc:
        # packaging lets a plain ValueError out of Version(), for a release number
        # longer than Python's int conversion allows (4300 digits).
        raise UploadError(f"{source} is invalid: {shortened(exc, 200)}") from None


def _invalid_metadata_message(group: BaseExceptionGroup[Any], *, source: str) -> str:
    fields: set[str] = set()
    details: list[str] = []
    for exc in _exceptions_flatten(group):
        if isinstance(exc, InvalidMetadata):
            fields.add(_field_title(exc.field))
        detail = str(exc)
        # The cause often says what exactly is wrong (a caret under the bad
        # character of a requirement); its first line is enough for a person.
        if exc.__cause__ is not None and str(exc.__cause__):
            detail += f" ({str(exc.__cause__).splitlines()[0]})"
        details.append(shortened(detail, 200))
    where = f" in {', '.join(sorted(fields))}" if fields else ""
    # A few problems are enough for a person to start fixing; all of them could be
    # thousands of characters of the upload quoted back.
    shown = sorted(details)[:_DETAILS_SHOWN]
    if len(details) > _DETAILS_SHOWN:
        shown.append(f"and {len(details) - _DETAILS_SHOWN} more")
    return f"{source} is invalid{where}: {'; '.join(shown)}."


def _exceptions_flatten(group: BaseExceptionGroup[Any]) -> Iterable[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _exceptions_flatten(exc)
        else:
            yield exc


def _field_title(field: str) -> str:
    return "-".join(part.capitalize() for part in field.replace("_", "-").split("-"))


def _shown(value: object | None) -> str:
    return "nothing" if value is None or value == "" else shortened(value, 200)


def _set_check(
    label: str,
    form_values: Iterable[object] | None,
    file_values: Iterable[object] | None,
) -> tuple[str, object, object, str, str]:
    form_set = {_item_normalize(v) for v in form_values or ()}
    file_set = {_item_normalize(v) for v in file_values or ()}
    return (label, form_set, file_set, _set_shown(form_set), _set_shown(file_set))


def _set_shown(values: set[str]) -> str:
    return quoted_list(sorted(values))


def _item_normalize(value: object) -> str:
    if not isinstance(value, Requirement):
        return str(value)
    # str(Requirement) keeps the author's spelling; two spellings of one
    # requirement ("Foo_Bar>=1.0" and "foo-bar>=1") must compare equal.
    extras = ",".join(sorted(name_normalize(e) for e in value.extras))
    specifiers = ",".join(
        sorted(
            f"{s.operator}{s.version if s.operator == '===' else canonicalize_version(s.version)}"
            for s in value.specifier
        )
    )
    text = name_normalize(value.name)
    if extras:
        text += f"[{extras}]"
    text += f" @ {value.url}" if value.url else specifiers
    if value.marker is not None:
        text += f"; {value.marker}"
    return text
