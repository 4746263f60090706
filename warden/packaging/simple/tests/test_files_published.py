"""Only what a committed File row names is downloadable. Storage also holds bytes nobody
published (an upload refused after its bytes were written) or nobody publishes any more (a
deleted file whose bytes outlived their row), at a path anyone can compute from the hash."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from warden.packaging.models import File, ProjectStatus
from warden.packaging.simple.fast import simple_fast_path
from warden.packaging.simple.tests.wsgi import django_must_not_answer, wsgi_get
from warden.web.middleware import fast_path_headers
from warden.wsgi import application, django_application

fast_only = simple_fast_path(django_must_not_answer, headers=fast_path_headers)
METADATA = b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n"


def _store(name, body):
    assert default_storage.save(name, ContentFile(body)) == name


def _stray(filename="evil-1.0-py3-none-any.whl"):
    """Bytes under a well-formed path, with PEP 658 metadata beside them, and no row."""
    body = b"bytes of a refused upload"
    sha = hashlib.sha256(body).hexdigest()
    path = f"{sha[:2]}/{sha[2:4]}/{sha}/{filename}"
    _store(f"packages/{path}", body)
    _store(f"packages/{path}.metadata", METADATA)
    return path


def _not_served(client, url):
    """Neither the fast path, nor Django behind it, nor Django alone serves `url`."""
    with pytest.raises(AssertionError, match="handed"):
        wsgi_get(fast_only, url)
    assert wsgi_get(application, url)[0] == 404
    assert wsgi_get(django_application, url)[0] == 404
    assert client.get(url).status_code == 404


@pytest.fixture
def wheel(demo):
    return demo.releases.get(version="1.0").files.get(packagetype="bdist_wheel")


@pytest.mark.parametrize("suffix", ["", ".metadata"])
def test_bytes_in_storage_without_a_file_row_are_not_served(client, demo, suffix):
    path = _stray()
    assert default_storage.exists(f"packages/{path}{suffix}")
    _not_served(client, f"/packages/{path}{suffix}")


@pytest.mark.parametrize("suffix", ["", ".metadata"])
def test_a_deleted_files_leftover_bytes_are_not_served(client, wheel, suffix):
    url = f"/packages/{wheel.path}{suffix}"
    assert wsgi_get(fast_only, url)[0] == 200
    File.objects.filter(pk=wheel.pk).delete()
    assert default_storage.exists(f"packages/{wheel.path}{suffix}")
    _not_served(client, url)


def test_metadata_is_not_served_for_a_file_without_metadata_sha256(client, demo):
    sdist = demo.releases.get(version="1.0").files.get(packagetype="sdist")
    assert sdist.metadata_sha256 is None
    _store(f"packages/{sdist.path}.metadata", METADATA)
    _not_served(client, f"/packages/{sdist.path}.metadata")
    assert wsgi_get(fast_only, f"/packages/{sdist.path}")[0] == 200


def test_metadata_stops_being_served_when_its_row_no_longer_records_it(client, wheel):
    File.objects.filter(pk=wheel.pk).update(metadata_sha256=None)
    _not_served(client, f"/packages/{wheel.path}.metadata")
    assert wsgi_get(fast_only, f"/packages/{wheel.path}")[0] == 200


@pytest.mark.parametrize("suffix", ["", ".metadata"])
def test_a_quarantined_projects_files_are_not_served(client, demo, wheel, suffix):
    # PEP 792: a quarantined project's files are not offered for download.
    demo.status = ProjectStatus.QUARANTINED
    demo.save(update_fields=["status"])
    _not_served(client, f"/packages/{wheel.path}{suffix}")


def test_a_published_file_is_served_whole_and_by_range(client, wheel):
    body = f"contents of {wheel.filename}".encode()
    assert wsgi_get(fast_only, f"/packages/{wheel.path}")[2] == body
    assert wsgi_get(django_application, f"/packages/{wheel.path}")[2] == body
    status, headers, part = wsgi_get(application, f"/packages/{wheel.path}",
                                     range="bytes=2-5")
    assert (status, part, headers["Content-Range"]) == (206, body[2:6],
                                                        f"bytes 2-5/{len(body)}")
    response = client.get(f"/packages/{wheel.path}.metadata", HTTP_RANGE="bytes=0-7")
    assert (response.status_code, b"".join(response.streaming_content)) == (206, b"Metadata")


def test_a_download_costs_one_query(wheel, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert wsgi_get(fast_only, f"/packages/{wheel.path}")[0] == 200


def test_the_lookup_by_path_is_indexed(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, File._meta.db_table)
    assert any(c["columns"] == ["path"] and (c["unique"] or c["index"])
               for c in constraints.values())
