"""The words staff read for the screening domain's values (classifications, states, review
verdicts, actions, hooks): one place, translated; a value nobody named here shows as is."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CLASSIFICATIONS: Mapping[str, Promise] = {
    "clean": _("clean"),
    "indeterminate": _("indeterminate"),
    "suspicious": _("suspicious"),
    "malicious": _("malicious"),
    "": _("error"),
}
STATES: Mapping[str, Promise] = {
    "disabled": _("disabled"),
    "evaluation": _("evaluation"),
    "enabled": _("enabled"),
}
REVIEWS: Mapping[str, Promise] = {
    "unreviewed": _("not reviewed"),
    "true_positive": _("true positive"),
    "false_positive": _("false positive"),
}
ACTIONS: Mapping[str, Promise] = {
    "quarantined-project": _("The project was quarantined automatically."),
    "quarantined-release": _("The release was quarantined automatically."),
    "": _("No action was taken automatically."),
}
HOOKS: Mapping[str, Promise] = {
    "file": _("every uploaded file"),
    "release": _("the first file of each new release"),
    "project": _("the first file of each new project"),
    "schedule": _("recent uploads, when the scheduler runs warden checks run-scheduled"),
}
# PEP 792 project statuses.
PROJECT_STATUSES: Mapping[str, Promise] = {
    "active": _("active"),
    "archived": _("archived"),
    "deprecated": _("deprecated"),
    "quarantined": _("quarantined"),
}
PROJECT_STATUS_HELP: Mapping[str, Promise] = {
    "active": _("Active: files offered, uploads accepted."),
    "archived": _("Archived: files offered, no more uploads (the maintainers are done)."),
    "deprecated": _("Deprecated: files offered with a warning to use something else."),
    "quarantined": _("Quarantined: no file is offered or served and uploads are refused, "
                     "until staff change the status again. Nothing is deleted."),
}
STATE_HELP: Mapping[str, Promise] = {
    "disabled": _("Disabled: the check does not run."),
    "evaluation": _("Evaluation: the check runs and its results are shown to staff only; "
                    "they never act."),
    "enabled": _("Enabled: the check's results count in the combined verdict, which "
                 "quarantines automatically when it is malicious with high confidence."),
}


def label(labels: Mapping[str, Promise], value: str) -> str:
    found = labels.get(value)
    return value if found is None else str(found)
