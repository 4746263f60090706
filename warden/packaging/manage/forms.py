"""Forms for the management pages. They validate input; the services in
`warden.packaging.services` and `warden.packaging.roles` make the changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from warden.packaging.models import RoleName

ROLE_CHOICES = [(RoleName.OWNER.value, _("Owner")),
                (RoleName.MAINTAINER.value, _("Maintainer"))]
YANK_REASON_MAX = 250


class YankForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=YANK_REASON_MAX,
        help_text=_("Shown to people whose installer skips this release."))

    def __init__(self, *args: Any, version: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if version:
            self.fields["reason"].label = _("Reason for yanking %(version)s") % {
                "version": version}


class InviteForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role_name = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES,
                                  initial=RoleName.MAINTAINER.value)


class RoleChangeForm(forms.Form):
    role_name = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)

    def __init__(self, *args: Any, username: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if username:
            self.fields["role_name"].label = _("Role of %(username)s") % {"username": username}


class ProjectDeleteForm(forms.Form):
    confirm_name = forms.CharField(
        label=_("Project name"), max_length=100,
        help_text=_("Type the project's name to confirm that you want to delete it."))
