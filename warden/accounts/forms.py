"""allauth's forms, adjusted where browsers and password managers need it.

Wired in by ACCOUNT_FORMS in settings."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core.exceptions import ImmediateHttpResponse
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from warden.accounts.signup_limits import TooManySignUps, signup_check, signup_count
from warden.audit.client import client_ip
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag


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


class SignupForm(AllauthSignupForm):
    def try_save(self, request: HttpRequest) -> tuple[Any, HttpResponse | None]:
        # Here, not in clean(): only a sign-up about to be answered as done counts, and
        # before allauth tells a new address from a taken one, so that both answers are
        # capped alike (a cap on new accounts only would tell which addresses are taken).
        address = client_ip(request)
        try:
            signup_check(address=address)
        except TooManySignUps as exc:
            record_event(tag=Tag.SITE_SIGNUP_LIMITED,
                         origin=Origin.from_request(request, actor=None),
                         details={"retry_at": exc.retry_at.isoformat()})
            self.add_error(None, exc.message)
            response = render(request, "account/signup.html", {
                "form": self, "login_url": reverse("account_login")}, status=429)
            response["Retry-After"] = str(exc.minutes * 60)
            raise ImmediateHttpResponse(response) from exc
        user, response = super().try_save(request)
        signup_count(address=address)
        return user, response
