"""allauth's forms, adjusted where browsers and password managers need it.

Wired in by ACCOUNT_FORMS in settings."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AllauthLoginForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The field takes a username or an email address; "username" is the token that
        # tells password managers "this identifies the account" (allauth says "email").
        login = self.fields["login"]
        login.label = _("Username or email")
        login.widget.attrs["autocomplete"] = "username"
        # The label says it all; a placeholder repeating it only adds noise.
        login.widget.attrs.pop("placeholder", None)
