"""Filters of the audit pages (GET forms: they validate, they never change anything)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from warden.audit.client import ip_prefix
from warden.audit.vocabulary import Tag
from warden.web.audit.sentences import tag_label


def _kind_choices(tags: Iterable[str]) -> list[tuple[str, str]]:
    return [("", str(_("All kinds"))),
            *sorted(((tag, tag_label(tag)) for tag in tags), key=lambda c: c[1])]


class KindFilterForm(forms.Form):
    """One select of the kinds of event that occur in the history being shown."""

    kind = forms.ChoiceField(label=_("Kind of event"), required=False)

    def __init__(self, *args: Any, tags: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kind_choices(tags)  # type: ignore[attr-defined]


class DateInput(forms.DateInput):
    input_type = "date"


class StaffSearchForm(forms.Form):
    username = forms.CharField(label=_("User"), required=False, max_length=150,
                               help_text=_("The person who acted, or the account acted on."))
    project = forms.CharField(label=_("Project"), required=False, max_length=100)
    tag = forms.ChoiceField(label=_("Kind of event"), required=False)
    ip = forms.CharField(label=_("IP address or network"), required=False, max_length=64,
                         help_text=_("An address is matched by its network: "
                                     "/24 for IPv4, /48 for IPv6."))
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [  # type: ignore[attr-defined]
            ("", str(_("All kinds"))), *((t.value, f"{tag_label(t.value)} ({t.value})")
                                         for t in Tag)]

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip()

    def clean_project(self) -> str:
        return str(self.cleaned_data["project"]).strip()

    def clean_ip(self) -> str:
        """The stored network prefix to match: an address becomes its /24 or /48; a network
        is matched as written (normalized), as events store it."""
        value = str(self.cleaned_data["ip"]).strip()
        if not value:
            return ""
        if "/" not in value:
            prefix = ip_prefix(value)
            if not prefix:
                raise forms.ValidationError(_("Enter an IP address or a network such as "
                                              "203.0.113.0/24."))
            return prefix
        try:
            return str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise forms.ValidationError(_("Enter an IP address or a network such as "
                                          "203.0.113.0/24.")) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
