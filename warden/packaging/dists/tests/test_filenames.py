from __future__ import annotations

import pytest
from packaging.version import Version

from warden.packaging.dists.filenames import DistFilename, filename_parse
from warden.packaging.errors import UploadError


def parse(
    filename: str,
    *,
    project_name: str = "demo",
    version: str = "1.0",
    packagetype: str | None = None,
    require_pep625: bool = False,
) -> DistFilename:
    if packagetype is None:
        packagetype = "bdist_wheel" if filename.endswith(".whl") else "sdist"
    return filename_parse(
        filename=filename,
        project_name=project_name,
        version=version,
        packagetype=packagetype,
        require_pep625=require_pep625,
    )


def test_wheel_filename_is_parsed() -> None:
    assert parse("demo-1.0-py3-none-any.whl") == DistFilename(
        packagetype="bdist_wheel", name="demo", version=Version("1.0"), python_version="py3"
    )


@pytest.mark.parametrize(
    ("filename", "python_version"),
    [
        ("demo-1.0-py2.py3-none-any.whl", "py2.py3"),
        ("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "cp311"),
        ("demo-1.0-1-cp311-abi3-win_amd64.whl", "cp311"),
        ("demo-1.0-2b-py3-none-any.whl", "py3"),
    ],
)
def test_wheel_python_version_is_its_python_tag(filename: str, python_version: str) -> None:
    assert parse(filename).python_version == python_version


@pytest.mark.parametrize("filename", ["demo-1.0.tar.gz", "demo-1.0.zip"])
def test_sdist_filename_is_parsed_with_python_version_source(filename: str) -> None:
    assert parse(filename) == DistFilename(
        packagetype="sdist", name="demo", version=Version("1.0"), python_version="source"
    )


def test_parsed_name_is_normalized() -> None:
    assert parse("demo_pkg-1.0-py3-none-any.whl", project_name="Demo.Pkg").name == "demo-pkg"


@pytest.mark.parametrize(
    "filename",
    [
        "demo-1.0-py3.6.egg",
        "demo-1.0.win32.exe",
        "demo-1.0.tar.bz2",
        "demo-1.0.tgz",
        "demo-1.0.msi",
        "demo-1.0-1.noarch.rpm",
        "demo-1.0.tar",
        "demo-1.0.TAR.GZ",
    ],
)
def test_other_file_extensions_are_refused(filename: str) -> None:
    with pytest.raises(UploadError, match=r"Invalid file extension.*\.tar\.gz or \.zip.*\.whl"):
        parse(filename, packagetype="sdist")


@pytest.mark.parametrize(
    "filename",
    [
        "../demo-1.0.tar.gz",
        "dir/demo-1.0.tar.gz",
        "..\\demo-1.0.tar.gz",
        "C:\\demo-1.0.tar.gz",
    ],
)
def test_filename_with_path_separator_is_refused(filename: str) -> None:
    with pytest.raises(UploadError, match=r"path separators"):
        parse(filename)


@pytest.mark.parametrize(
    "filename",
    [
        "demo-1.0\x00.tar.gz",
        "demo\x1b-1.0.tar.gz",
        "demo-1.0\n.tar.gz",
        # Right-to-left override: displays as something other than what it is.
        "demo-1.0\u202ezg.rat.tar.gz",
        "d\u00e9mo-1.0.tar.gz",
    ],
)
def test_filename_with_control_or_non_ascii_characters_is_refused(filename: str) -> None:
    with pytest.raises(UploadError, match=r"printable ASCII"):
        parse(filename)


def test_filename_longer_than_255_characters_is_refused() -> None:
    name = "d" * 250
    with pytest.raises(UploadError, match=r"limit is 255"):
        parse(f"{name}-1.0.tar.gz", project_name=name)


@pytest.mark.parametrize("packagetype", ["bdist_egg", "bdist_wininst", "bdist_dumb", ""])
def test_unsupported_package_types_are_refused(packagetype: str) -> None:
    with pytest.raises(UploadError, match=rf"Package type '{packagetype}' is not accepted"):
        parse("demo-1.0.tar.gz", packagetype=packagetype)


def test_wheel_sent_as_sdist_is_refused() -> None:
    with pytest.raises(UploadError, match=r"is a wheel, but the upload says its type is 'sdist'"):
        parse("demo-1.0-py3-none-any.whl", packagetype="sdist")


def test_sdist_sent_as_wheel_is_refused() -> None:
    with pytest.raises(UploadError, match=r"is a source distribution, but"):
        parse("demo-1.0.tar.gz", packagetype="bdist_wheel")


def test_filename_for_another_project_is_refused() -> None:
    with pytest.raises(UploadError, match=r"Start filename for 'demo' with 'demo-1.0'"):
        parse("other-1.0.tar.gz")


def test_wheel_for_another_project_is_refused() -> None:
    with pytest.raises(UploadError, match=r"Start filename for 'demo' with 'demo-1.0'"):
        parse("other-1.0-py3-none-any.whl")


def test_filename_for_another_version_is_refused() -> None:
    with pytest.raises(UploadError, match=r"is for demo 1.1, but the upload is for demo 1.0"):
        parse("demo-1.1-py3-none-any.whl")


def test_a_refusal_quotes_a_huge_form_version_cut_short() -> None:
    # Found by bench/fuzz.py: a 1,000-component version made a 2,000-character message.
    version = ".".join(["1"] * 1000)
    with pytest.raises(UploadError) as refused:
        parse("demo-1.0-py3-none-any.whl", version=version)
    assert "but the upload is for demo 1.1.1" in refused.value.message
    assert len(refused.value.message) < 600


def test_versions_are_compared_canonically() -> None:
    assert parse("demo-1.0.0.tar.gz", version="1.0").version == Version("1.0")
    assert parse("demo-1.0rc1-py3-none-any.whl", version="1.0-RC.1").python_version == "py3"


def test_legacy_sdist_name_spelling_is_accepted_by_default() -> None:
    assert parse("Demo.Pkg-1.0.tar.gz", project_name="demo-pkg").name == "demo-pkg"


def test_legacy_sdist_name_spelling_is_refused_when_pep625_is_required() -> None:
    with pytest.raises(UploadError, match=r"PEP 625.*'demo_pkg-1.0'"):
        parse("Demo.Pkg-1.0.tar.gz", project_name="demo-pkg", require_pep625=True)


def test_pep625_sdist_name_is_accepted_when_required() -> None:
    parse("demo_pkg-1.0.tar.gz", project_name="Demo.Pkg", require_pep625=True)


@pytest.mark.parametrize(
    "filename", ["demo-1.0.whl", "demo-1.0-py3-none.whl", "demo-x-py3-none-any.whl"]
)
def test_malformed_wheel_filename_is_refused(filename: str) -> None:
    with pytest.raises(UploadError, match=r"not a valid wheel filename"):
        parse(filename)


@pytest.mark.parametrize("filename", ["demo.tar.gz", "demo-x.y.z.tar.gz", "-1.0.zip"])
def test_malformed_sdist_filename_is_refused(filename: str) -> None:
    with pytest.raises(UploadError, match=r"not a valid source distribution filename"):
        parse(filename)


def test_invalid_upload_version_is_refused() -> None:
    with pytest.raises(UploadError, match=r"'one' is not a valid version"):
        parse("demo-1.0.tar.gz", version="one")


def test_invalid_project_name_is_refused() -> None:
    with pytest.raises(UploadError, match=r"not a valid project name"):
        parse("demo-1.0.tar.gz", project_name="demo!")
