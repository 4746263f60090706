"""The token creation form. It validates what was asked for and works out the expiry; the
service (`token_mint`) creates the token."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warden.accounts.models import User
from warden.packaging.models import Project, RoleName
from warden.tokens.models import Token

EXPIRY_NEVER = "never"
EXPIRY_DATE = "date"
# Lifetimes offered in the form, as `duration_parse` would read them.
EXPIRY_DAYS = {"30d": 30, "90d": 90, "365d": 365}
EXPIRY_CHOICES = [
    ("30d", _("30 days")),
    ("90d", _("90 days")),
    ("365d", _("1 year")),
    (EXPIRY_NEVER, _("No expiry")),
    (EXPIRY_DATE, _("On the date below")),
]


def token_scope_projects(*, user: User) -> QuerySet[Project]:
    """The projects `user` may scope a token to: those where they can upload."""
    return (Project.objects
            .filter(roles__user=user, roles__role_name__in=(RoleName.OWNER, RoleName.MAINTAINER))
            .order_by("normalized_name"))


class TokenCreateForm(forms.Form):
    description = forms.CharField(
        label=_("Description"),
        max_length=Token._meta.get_field("description").max_length,
        help_text=_("What the token is for, e.g. “CI for my-project”. You will see it in the "
                    "list of tokens."),
    )
    project = forms.ModelChoiceField(
        label=_("Scope"),
        queryset=Project.objects.none(),
        required=False,
        empty_label=_("All your projects (the whole account)"),
        help_text=_("A token scoped to one project can only upload to that project."),
    )
    expiry = forms.ChoiceField(label=_("Expires"), choices=EXPIRY_CHOICES, initial="90d")
    expiry_date = forms.DateField(
        label=_("Expiry date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Only used when “On the date below” is chosen. The token stops working "
                    "at the end of this day (UTC)."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the user's own projects are offered, and only they validate: a posted id of
        # any other project is "not one of the available choices".
        project_field = self.fields["project"]
        assert isinstance(project_field, forms.ModelChoiceField)
        project_field.queryset = token_scope_projects(user=user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        expiry = cleaned.get("expiry")
        expires: datetime | None = None
        now = timezone.now()
        if expiry in EXPIRY_DAYS:
            expires = now + timedelta(days=EXPIRY_DAYS[expiry])
        elif expiry == EXPIRY_DATE:
            day = cleaned.get("expiry_date")
            if day is None:
                if "expiry_date" not in self.errors:
                    self.add_error("expiry_date", _("Choose the date the token expires."))
            else:
                expires = datetime.combine(day + timedelta(days=1), time.min,
                                           tzinfo=UTC)
                if day < now.date():
                    self.add_error("expiry_date", _("The expiry date must not be in the past."))
        cleaned["expires"] = expires
        return cleaned
