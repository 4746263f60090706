from warden.checks.base import Classification
from warden.checks.builtin.metadata import MetadataSignals, one_edit_apart, squatted

from .helpers import scan, wheel


def test_name_one_typo_from_a_popular_project_is_suspicious():
    verdict = scan(MetadataSignals, wheel({}, name="reqeusts"))
    assert verdict.classification is Classification.SUSPICIOUS
    assert "requests" in verdict.message


def test_popular_project_itself_is_not_a_typosquat():
    assert squatted("requests") == ""
    assert scan(MetadataSignals, wheel({}, name="requests")).classification is (
        Classification.CLEAN)


def test_one_edit_covers_insertion_deletion_substitution_and_swap():
    assert one_edit_apart("requests", "requestss")
    assert one_edit_apart("requests", "requets")
    assert one_edit_apart("requests", "requezts")
    assert one_edit_apart("requests", "reqeusts")
    assert not one_edit_apart("requests", "rqeuetss")


def test_huge_version_is_suspicious_only_on_a_new_project():
    dist = wheel({}, name="acme-internal-utils", version="999.0.1")
    assert scan(MetadataSignals, dist).classification is Classification.SUSPICIOUS
    assert scan(MetadataSignals, dist, project_new=False).classification is (
        Classification.CLEAN)
    calver = wheel({}, name="acme-internal-utils", version="2026.11.1")
    assert scan(MetadataSignals, calver).classification is Classification.CLEAN
