"""The packaging tests' personas, token, isolation and upload client, for the upload tests."""

from warden.packaging.tests.conftest import (  # noqa: F401 (fixtures, found by name)
    alice_token,
    dist_dir,
    make_sdist,
    make_wheel,
    storage_dir,
    upload,
    upload_temp_dir,
)
