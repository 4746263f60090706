import os

import pytest
from django.core.files.base import ContentFile

from warden.lib.storage import AtomicFileSystemStorage


@pytest.fixture
def storage(tmp_path):
    return AtomicFileSystemStorage(location=tmp_path)


class Exploding(ContentFile):
    """Content whose read fails half-way, as a full disk or a killed client would."""

    def __init__(self) -> None:
        super().__init__(b"x" * 10)
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.reads > 1:
            raise OSError("disk full")
        return b"partial"


def test_saved_file_has_the_exact_bytes(storage):
    storage.save("a/b/file.whl", ContentFile(b"wheel bytes"))
    with storage.open("a/b/file.whl", "rb") as fh:
        assert fh.read() == b"wheel bytes"


def test_a_failed_write_leaves_nothing_under_the_final_name_or_beside_it(storage, tmp_path):
    with pytest.raises(OSError, match="disk full"):
        storage.save("a/b/file.whl", Exploding())
    assert not storage.exists("a/b/file.whl")
    assert os.listdir(tmp_path / "a" / "b") == []


def test_saving_an_existing_content_addressed_name_keeps_the_name(storage):
    assert storage.save("h/file.whl", ContentFile(b"same")) == "h/file.whl"
    assert storage.save("h/file.whl", ContentFile(b"same")) == "h/file.whl"
    assert sorted(os.listdir(storage.path("h"))) == ["file.whl"]


def test_saved_files_are_world_readable_but_not_writable(storage):
    storage.save("f.whl", ContentFile(b"x"))
    assert os.stat(storage.path("f.whl")).st_mode & 0o777 == 0o644
