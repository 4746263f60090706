"""A batch of writes inside `durable_once` is flushed once, at the end, and only then."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from warden.lib import storage
from warden.lib.parallel import io_map


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(storage.os, "fsync", lambda fd: seen.append("fsync"))
    monkeypatch.setattr(storage.os, "sync", lambda: seen.append("sync"))
    return seen


def test_a_write_alone_is_fsynced(tmp_path: Path, calls: list[str]) -> None:
    storage.AtomicFileSystemStorage(location=tmp_path).save("a", ContentFile(b"a"))

    assert calls == ["fsync"]


def test_writes_in_a_batch_even_from_other_threads_are_synced_once_at_the_end(
        tmp_path: Path, calls: list[str]) -> None:
    store = storage.AtomicFileSystemStorage(location=tmp_path)

    with storage.durable_once():
        io_map(lambda n: store.save(f"f{n}", ContentFile(b"x")), range(20))
        assert calls == []

    assert calls == ["sync"]
    assert len(list(tmp_path.iterdir())) == 20


def test_a_batch_that_wrote_nothing_syncs_nothing(calls: list[str]) -> None:
    with storage.durable_once():
        pass

    assert calls == []


def test_a_batch_that_failed_is_not_synced(tmp_path: Path, calls: list[str]) -> None:
    store = storage.AtomicFileSystemStorage(location=tmp_path)

    with pytest.raises(RuntimeError), storage.durable_once():
        store.save("a", ContentFile(b"a"))
        raise RuntimeError

    assert calls == []
