"""Security keys and passkeys: list, add, rename, remove. The WebAuthn ceremony itself is
`warden.accounts.twofactor.webauthn`; the browser's half is static/warden/webauthn.js."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from warden.accounts.decorators import require_reauth
from warden.accounts.models import User
from warden.accounts.twofactor import policy, services, webauthn
from warden.accounts.twofactor.errors import SecondFactorError
from warden.accounts.twofactor.forms import KeyAddForm, KeyRenameForm
from warden.accounts.twofactor.views_common import (
    key_is_passkey,
    key_name,
    safe_next,
    signed_in_user,
    user_keys,
    wants_json,
    with_next,
)
from warden.accounts.twofactor.webauthn import KeyNameRequired, KeyNameTaken, KeyNameTooLong
from warden.audit.origin import Origin

NAME_ERRORS = (KeyNameRequired, KeyNameTaken, KeyNameTooLong)


def _own_key(request: HttpRequest, pk: int) -> Authenticator:
    # Another account's key id is a 404, exactly like an id that does not exist: the
    # answer must not tell anyone which ids are taken.
    return get_object_or_404(Authenticator, pk=pk, user_id=request.user.pk,
                             type=Authenticator.Type.WEBAUTHN)


@never_cache
@login_required
def keys_list(request: HttpRequest) -> HttpResponse:
    keys = [{"id": key.pk, "name": key_name(key), "passkey": key_is_passkey(key),
             "created_at": key.created_at, "last_used_at": key.last_used_at}
            for key in user_keys(signed_in_user(request))]
    return render(request, "mfa/keys.html", {"keys": keys})


def _default_key_name(user: User) -> str:
    taken = {key_name(key) for key in user_keys(user)}
    number = len(taken) + 1
    while _("Security key %(number)d") % {"number": number} in taken:
        number += 1
    return _("Security key %(number)d") % {"number": number}


@never_cache
@login_required
@require_reauth
@require_http_methods(["GET", "POST"])
def key_add(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "GET" and wants_json(request):
        # The page's script asks for the options when the button is pressed, with the
        # passkey box as it is then: a passkey needs other options (discoverable, user
        # verified), and the challenge remembers which were asked for.
        wanted = request.GET.get("passkey") == "1"
        return JsonResponse({"creation_options": webauthn.registration_begin(
            request=request, user=user, passkey=wanted)})
    next_url = safe_next(request)
    form = KeyAddForm(request.POST or None, auto_id="key_%s",
                      initial={"name": _default_key_name(user)})
    if request.method == "POST" and form.is_valid():
        passkey = form.cleaned_data["passkey"]
        try:
            # Checked before the challenge is spent, so the page says at once why no key can
            # be added yet (services.webauthn_add checks again, under the account's lock).
            services.factor_add_allowed(user=user)
            key = webauthn.registration_verify(
                request=request, user=user,
                name=form.cleaned_data["name"] or _default_key_name(user),
                credential=form.cleaned_data["credential"], passkey=passkey)
            authenticator, codes = services.webauthn_add(
                user=user, key=key, origin=Origin.from_request(request))
        except NAME_ERRORS as exc:
            form.add_error("name", str(exc.message))
        except SecondFactorError as exc:
            form.add_error(None, str(exc.message))
        else:
            text = (_("Your passkey “%(name)s” is added. You can use it to log in without "
                      "your password.") if passkey else
                    _("Your security key “%(name)s” is added. You will be asked for it when "
                      "you log in."))
            messages.success(request, text % {"name": key_name(authenticator)})
            if codes:
                services.pending_codes_store(request, codes)
                return HttpResponseRedirect(
                    with_next(reverse("mfa_view_recovery_codes"), next_url))
            return HttpResponseRedirect(next_url or reverse("mfa_list_webauthn"))
    return render(request, "mfa/key_add.html", {
        "form": form,
        "has_two_factor": policy.has_two_factor(user),
        "next_url": next_url,
    }, status=400 if form.errors else 200)


@never_cache
@login_required
@require_reauth
@require_http_methods(["GET", "POST"])
def key_edit(request: HttpRequest, pk: int) -> HttpResponse:
    key = _own_key(request, pk)
    form = KeyRenameForm(request.POST or None, initial={"name": key_name(key)})
    if request.method == "POST" and form.is_valid():
        try:
            services.webauthn_rename(user=signed_in_user(request), authenticator_id=key.pk,
                                     name=form.cleaned_data["name"])
        except SecondFactorError as exc:
            form.add_error("name", str(exc.message))
        else:
            messages.success(request, _("The key is now called “%(name)s”.") % {
                "name": form.cleaned_data["name"]})
            return HttpResponseRedirect(reverse("mfa_list_webauthn"))
    return render(request, "mfa/key_edit.html", {"form": form, "key_name": key_name(key),
                                                 "key": key},
                  status=400 if form.errors else 200)


@never_cache
@login_required
@require_reauth
@require_http_methods(["GET", "POST"])
def key_remove(request: HttpRequest, pk: int) -> HttpResponse:
    key = _own_key(request, pk)
    error = ""
    if request.method == "POST":
        try:
            services.webauthn_remove(user=signed_in_user(request), authenticator_id=key.pk,
                                     origin=Origin.from_request(request))
        except SecondFactorError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("The key “%(name)s” is removed from your account.")
                             % {"name": key_name(key)})
            return HttpResponseRedirect(reverse("mfa_list_webauthn"))
    return render(request, "mfa/key_remove.html", {
        "key": key, "key_name": key_name(key), "passkey": key_is_passkey(key),
        "error": error,
    }, status=400 if error else 200)
