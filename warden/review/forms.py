"""The forms of the staff review pages. They validate; the screening and packaging services
change state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from warden.checks.base import State
from warden.checks.models import Review
from warden.review import labels
from warden.review.queries import FLAGGED

ANY = "any"


def _choices(values: Iterable[str], words: Any) -> list[tuple[str, str]]:
    return [(value, labels.label(words, value)) for value in values]


class QueueFilterForm(forms.Form):
    """The queue's filters (a GET form). Without a review state it shows what still waits
    for a reviewer."""

    review = forms.ChoiceField(label=_("Review"), required=False)
    check = forms.ChoiceField(label=_("Check"), required=False)
    classification = forms.ChoiceField(label=_("Classification"), required=False)
    state = forms.ChoiceField(label=_("Check state when it ran"), required=False)
    project = forms.CharField(label=_("Project"), required=False, max_length=100)

    def __init__(self, data: Any, *, checks: Iterable[str]) -> None:
        data = data.copy()
        data.setdefault("review", Review.UNREVIEWED.value)
        super().__init__(data)
        every = [("", str(_("All")))]
        self.fields["review"].choices = [  # type: ignore[attr-defined]
            *_choices([r.value for r in Review], labels.REVIEWS), (ANY, str(_("All")))]
        self.fields["check"].choices = [  # type: ignore[attr-defined]
            *every, *((name, name) for name in checks)]
        self.fields["classification"].choices = [  # type: ignore[attr-defined]
            *every, *_choices(reversed(FLAGGED), labels.CLASSIFICATIONS)]
        self.fields["state"].choices = [  # type: ignore[attr-defined]
            *every, *_choices([State.EVALUATION.value, State.ENABLED.value], labels.STATES)]

    def clean_review(self) -> str:
        review = str(self.cleaned_data["review"])
        return "" if review == ANY else review

    def clean_project(self) -> str:
        return str(self.cleaned_data["project"]).strip()


class FailedFilterForm(forms.Form):
    check = forms.ChoiceField(label=_("Check"), required=False)

    def __init__(self, data: Any, *, checks: Iterable[str]) -> None:
        super().__init__(data)
        self.fields["check"].choices = [  # type: ignore[attr-defined]
            ("", str(_("All"))), *((name, name) for name in checks)]


class ReviewForm(forms.Form):
    """A reviewer's verdict on one result; prefixed by the result, as a page holds one per
    result."""

    review = forms.ChoiceField(
        label=_("Was the check right?"), widget=forms.RadioSelect,
        choices=[(Review.TRUE_POSITIVE.value,
                  _("Yes: the file is harmful (true positive)")),
                 (Review.FALSE_POSITIVE.value,
                  _("No: the file is harmless (false positive)"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Optional: what you found, for the other reviewers."))


class QuarantineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent to the project's owners and shown on the project's page."))


class ProjectFilterForm(forms.Form):
    """The staff project list's filters (a GET form)."""

    q = forms.CharField(label=_("Name contains"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", str(_("All"))), *_choices(labels.PROJECT_STATUSES, labels.PROJECT_STATUSES)]

    def clean_q(self) -> str:
        return str(self.cleaned_data["q"]).strip()


class ProjectStatusForm(forms.Form):
    """A project's PEP 792 status. Anything but active needs a reason: owners are told it
    and installers show it."""

    status = forms.ChoiceField(label=_("Status"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on the project's page and in its index page; sent to the owners "
                    "when the project is quarantined."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _choices(  # type: ignore[attr-defined]
            labels.PROJECT_STATUSES, labels.PROJECT_STATUS_HELP)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") not in (None, "active") and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why: the owners and the project's users see it."))
        return data


class RemoveForm(forms.Form):
    """Removing a project is for good: staff type its name, as owners do to delete one."""

    confirm_name = forms.CharField(
        label=_("Project name"), max_length=100,
        help_text=_("Type the project's name to confirm that you want to remove it and "
                    "prohibit its name."))
    reason = forms.CharField(label=_("Reason for prohibiting the name"), required=False,
                             max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, project_name: str, normalized_name: str,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.names = (project_name, normalized_name)

    def clean_confirm_name(self) -> str:
        typed = str(self.cleaned_data["confirm_name"]).strip()
        if typed not in self.names:
            raise forms.ValidationError(_("Type the project's name, %(project)s, to "
                                          "confirm.") % {"project": self.names[0]})
        return typed


class CheckStateForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), choices=[(s.value, labels.STATES[s.value]) for s in State],
        help_text=format_lazy("{} {} {}", *(labels.STATE_HELP[s.value] for s in State)))
