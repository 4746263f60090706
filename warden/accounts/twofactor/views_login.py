"""Proving the second factor: the login's second step, re-authentication with a code or a
key, and signing in with a passkey alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.internal.decorators import login_stage_required
from allauth.account.internal.stagekit import LOGIN_SESSION_KEY
from allauth.account.models import Login
from allauth.account.utils import get_login_redirect_url
from allauth.account.views import BaseReauthenticateView
from allauth.core import ratelimit
from allauth.mfa.base.internal.flows import post_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.stages import AuthenticateStage
from allauth.mfa.webauthn.internal.flows import perform_passwordless_login
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from warden.accounts.models import User
from warden.accounts.twofactor import policy, services, webauthn
from warden.accounts.twofactor.errors import SecondFactorError
from warden.accounts.twofactor.forms import (
    CredentialForm,
    RecoveryCodeForm,
    SecondFactorCodeForm,
    TotpCodeForm,
)
from warden.accounts.twofactor.views_common import safe_next, user_keys, user_totp, wants_json
from warden.audit.origin import Origin

ViewFunc = Callable[..., HttpResponse]


def _first_error(form: Form) -> str:
    return next((str(e) for errors in form.errors.values() for e in errors), "")


def _expiry_explained(view: ViewFunc) -> ViewFunc:
    """allauth sends a half-finished login that is too old (ACCOUNT_LOGIN_TIMEOUT) back to
    the login page without a word; say why, or people think they mistyped."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        pending = request.session.get(LOGIN_SESSION_KEY)
        started = pending.get("initiated_at") if isinstance(pending, dict) else None
        expired = (isinstance(started, int | float)
                   and time.time() - started > account_settings.LOGIN_TIMEOUT)
        response = view(request, *args, **kwargs)
        if expired:
            messages.info(request, _("Logging in took too long, so it was cancelled for "
                                     "your safety. Enter your password again."))
        return response
    return wrapper


@_expiry_explained
@login_stage_required(stage=AuthenticateStage.key, redirect_urlname="account_login")
@require_http_methods(["GET", "POST"])
def authenticate(request: HttpRequest) -> HttpResponse:
    """The second step, reached only with the right password (allauth's login stage). It
    offers what the account has: the app's code, its keys, a recovery code. Whatever fails
    here, the answer is about the second factor only; the session becomes a logged-in one
    (with a new key) only after success, in `stage.exit()`."""
    stage = request._login_stage  # type: ignore[attr-defined]
    user: User = stage.login.user
    if not policy.has_two_factor(user):
        return HttpResponseRedirect(reverse("account_login"))
    has_totp = user_totp(user) is not None
    has_keys = bool(user_keys(user))
    has_recovery = services.recovery_codes_status(user) is not None
    totp_form = TotpCodeForm(auto_id="totp_%s")
    recovery_form = RecoveryCodeForm(auto_id="recovery_%s")
    key_error = ""
    if request.method == "POST":
        method = request.POST.get("method", "")
        authenticator: Authenticator | None = None
        if method == "key" and has_keys:
            key_form = CredentialForm(request.POST)
            if not key_form.is_valid():
                key_error = _first_error(key_form)
            else:
                try:
                    authenticator = webauthn.authentication_complete(
                        request=request, user=user,
                        credential=key_form.cleaned_data["credential"],
                        origin=Origin.from_request(request))
                except SecondFactorError as exc:
                    key_error = str(exc.message)
        elif method in ("totp", "recovery"):
            form: TotpCodeForm | RecoveryCodeForm
            if method == "totp":
                form = totp_form = TotpCodeForm(request.POST, auto_id="totp_%s")
            else:
                form = recovery_form = RecoveryCodeForm(request.POST, auto_id="recovery_%s")
            if form.is_valid():
                try:
                    authenticator = services.second_factor_verify(
                        user=user, code=form.cleaned_data["code"],
                        origin=Origin.from_request(request),
                        recovery_only=method == "recovery")
                except SecondFactorError as exc:
                    form.add_error("code", str(exc.message))
        if authenticator is not None:
            post_authentication(request, authenticator)
            response: HttpResponse = stage.exit()
            return response
    request_options = (webauthn.authentication_begin(request=request, user=user)
                       if has_keys else None)
    failed = bool(key_error or totp_form.errors or recovery_form.errors)
    return render(request, "mfa/authenticate.html", {
        "has_totp": has_totp, "has_keys": has_keys, "has_recovery": has_recovery,
        "totp_form": totp_form, "recovery_form": recovery_form,
        "key_error": key_error,
        "webauthn_options": {"request_options": request_options},
    }, status=400 if failed else 200)


@method_decorator(never_cache, name="dispatch")
@method_decorator(login_required, name="dispatch")
class ReauthenticateView(BaseReauthenticateView):
    """Confirm it is you with a code instead of the password. allauth's base class checks
    that the account has this method, applies the `reauthenticate` rate limit and replays
    the interrupted request after success."""

    form_class = SecondFactorCodeForm
    template_name = "mfa/reauthenticate.html"

    def form_valid(self, form: Any) -> HttpResponse:
        user = self.request.user
        assert isinstance(user, User)
        try:
            authenticator = services.second_factor_verify(
                user=user, code=form.cleaned_data["code"],
                origin=Origin.from_request(self.request))
        except SecondFactorError as exc:
            form.add_error("code", str(exc.message))
            return self.form_invalid(form)
        post_authentication(self.request, authenticator, reauthenticated=True)
        return super().form_valid(form)  # type: ignore[no-any-return]


reauthenticate = ReauthenticateView.as_view()


@method_decorator(never_cache, name="dispatch")
@method_decorator(login_required, name="dispatch")
class ReauthenticateWebAuthnView(BaseReauthenticateView):
    form_class = CredentialForm
    template_name = "mfa/reauthenticate_key.html"

    def form_valid(self, form: Any) -> HttpResponse:
        user = self.request.user
        assert isinstance(user, User)
        try:
            authenticator = webauthn.authentication_complete(
                request=self.request, user=user, credential=form.cleaned_data["credential"],
                origin=Origin.from_request(self.request))
        except SecondFactorError as exc:
            form.add_error(None, str(exc.message))
            return self.form_invalid(form)
        post_authentication(self.request, authenticator, reauthenticated=True)
        return super().form_valid(form)  # type: ignore[no-any-return]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        user = self.request.user
        assert isinstance(user, User)
        # A fresh challenge for each page shown: a spent or failed one is never reused.
        context["webauthn_options"] = {
            "request_options": webauthn.authentication_begin(request=self.request, user=user)}
        return context


reauthenticate_webauthn = ReauthenticateWebAuthnView.as_view()


@never_cache
@require_http_methods(["GET", "POST"])
def login_webauthn(request: HttpRequest) -> HttpResponse:
    """Sign in with a passkey alone. The key says whose it is (its user handle) and proves
    the person unlocked it (user verification, required); there is no password step to
    fail, so nothing here tells a visitor whether an account exists."""
    if request.user.is_authenticated:
        return HttpResponseRedirect(get_login_redirect_url(request))
    next_url = safe_next(request)
    error = ""
    if request.method == "POST":
        # Each try counts as a login attempt from this address (allauth's `login` limit):
        # passkey guesses get no more room than password guesses.
        limited = ratelimit.consume_or_429(request, action="login")
        if limited is not None:
            return limited
        form = CredentialForm(request.POST)
        if not form.is_valid():
            error = _first_error(form)
        else:
            try:
                authenticator = webauthn.authentication_complete(
                    request=request, user=None, credential=form.cleaned_data["credential"],
                    origin=Origin.from_request(request))
            except SecondFactorError as exc:
                error = str(exc.message)
            else:
                login = Login(user=authenticator.user, redirect_url=next_url or None)
                response: HttpResponse = perform_passwordless_login(request, authenticator,
                                                                    login)
                return response
    options = webauthn.authentication_begin(request=request, user=None)
    if request.method == "GET" and wants_json(request):
        # The login page's button asks for a challenge only when pressed.
        return JsonResponse({"request_options": options})
    return render(request, "mfa/passkey_login.html", {
        "error": error, "next_url": next_url,
        "webauthn_options": {"request_options": options},
    }, status=400 if error else 200)
