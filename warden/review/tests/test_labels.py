"""Every value of the screening domain has words for staff: a value added to an enum without
its label would show raw and untranslated."""

from __future__ import annotations

from warden.checks.base import Classification, Hook, State
from warden.checks.models import Review
from warden.review import labels


def test_every_classification_state_review_and_hook_has_a_label() -> None:
    assert {c.value for c in Classification} <= labels.CLASSIFICATIONS.keys()
    assert {s.value for s in State} == labels.STATES.keys() == labels.STATE_HELP.keys()
    assert {r.value for r in Review} == labels.REVIEWS.keys()
    assert {h.value for h in Hook} == labels.HOOKS.keys()
