"""The security page, the authenticator app (TOTP) and recovery codes.

Every change sits behind `@require_reauth`: a session cookie alone (stolen, or a browser
left signed in) must not be enough to swap the second factor for the thief's own."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from warden.accounts.decorators import require_reauth
from warden.accounts.twofactor import policy, recovery, secretbox, services, totp
from warden.accounts.twofactor.errors import SecondFactorError
from warden.accounts.twofactor.forms import RecoveryCodeForm, TotpCodeForm
from warden.accounts.twofactor.views_common import (
    key_is_passkey,
    key_name,
    safe_next,
    signed_in_user,
    user_keys,
    user_totp,
    with_next,
)
from warden.audit.origin import Origin

# The secret being set up waits in the session between showing the QR code and the first
# code, sealed: a session store is not where a TOTP secret may sit in the clear.
TOTP_SETUP_SESSION_KEY = "warden.2fa.totp_setup"
TOTP_SETUP_PURPOSE = "totp-setup"


def _issuer() -> str:
    return str(settings.WARDEN_WEBAUTHN_RP_NAME)


@never_cache
@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    keys = [{"id": key.pk, "name": key_name(key), "passkey": key_is_passkey(key),
             "created_at": key.created_at, "last_used_at": key.last_used_at}
            for key in user_keys(user)]
    next_url = safe_next(request)
    return render(request, "mfa/index.html", {
        "totp": user_totp(user),
        "keys": keys,
        "recovery": services.recovery_codes_status(user),
        "codes_pending": services.pending_codes(request) is not None,
        "has_two_factor": policy.has_two_factor(user),
        "two_factor_required": policy.two_factor_required(user),
        "reason_required": request.GET.get("reason") == "required",
        "next_url": next_url,
        "activate_totp_url": with_next(reverse("mfa_activate_totp"), next_url),
        "add_key_url": with_next(reverse("mfa_add_webauthn"), next_url),
    })


def _setup_secret(request: HttpRequest) -> str | None:
    sealed = request.session.get(TOTP_SETUP_SESSION_KEY)
    if not sealed:
        return None
    try:
        return secretbox.unseal(sealed, purpose=TOTP_SETUP_PURPOSE)
    except secretbox.SecretBoxError:
        return None


def _setup_secret_new(request: HttpRequest) -> str:
    secret = totp.totp_secret_generate()
    request.session[TOTP_SETUP_SESSION_KEY] = secretbox.seal(secret, purpose=TOTP_SETUP_PURPOSE)
    return secret


def _after_first_factor(request: HttpRequest, codes: list[str] | None, next_url: str) -> str:
    """Where to go once a factor is added: to the new recovery codes if there are some
    (they are shown once, until the user confirms they kept them), else back."""
    if codes:
        services.pending_codes_store(request, codes)
        return with_next(reverse("mfa_view_recovery_codes"), next_url)
    return next_url or reverse("mfa_index")


@never_cache
@login_required
@require_reauth
@require_http_methods(["GET", "POST"])
def totp_activate(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    next_url = safe_next(request)
    if user_totp(user) is not None:
        messages.info(request, _("Your authenticator app is set up already. To move to "
                                 "another app, remove this one first."))
        return HttpResponseRedirect(reverse("mfa_index"))
    form = TotpCodeForm(request.POST or None, auto_id="totp_%s")
    # Reloading the page keeps the secret: someone who scanned the code and then reloaded
    # must not end up with an app entry that can never work.
    secret = _setup_secret(request)
    if request.method == "POST":
        if secret is None:
            # Session expired or was replaced (a new login) between the QR code and the code.
            secret = _setup_secret_new(request)
            form = TotpCodeForm(auto_id="totp_%s")
            form.add_error(None, _("The set-up took too long and has been started again. "
                                   "Remove the Warden entry from your app, scan the new QR "
                                   "code below, then type the code it shows."))
        elif form.is_valid():
            try:
                codes = services.totp_activate(user=user, secret=secret,
                                               code=form.cleaned_data["code"],
                                               origin=Origin.from_request(request))
            except SecondFactorError as exc:
                form.add_error("code", str(exc.message))
            else:
                request.session.pop(TOTP_SETUP_SESSION_KEY, None)
                messages.success(request, _("Your authenticator app is set up. From now on "
                                            "you log in with your password and a code."))
                return HttpResponseRedirect(_after_first_factor(request, codes, next_url))
    elif secret is None:
        secret = _setup_secret_new(request)
    uri = totp.otpauth_uri(secret=secret, account=user.get_username(),
                           issuer=_issuer())
    return render(request, "mfa/totp_activate.html", {
        "form": form,
        "qr_svg": totp.qr_svg(uri),
        "secret_groups": [secret[i:i + 4] for i in range(0, len(secret), 4)],
        "issuer": _issuer(),
        "account": user.get_username(),
        "next_url": next_url,
    })


@never_cache
@login_required
@require_reauth
@require_http_methods(["GET", "POST"])
def totp_deactivate(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user_totp(user) is None:
        return HttpResponseRedirect(reverse("mfa_index"))
    error = ""
    if request.method == "POST":
        try:
            services.totp_deactivate(user=user, origin=Origin.from_request(request))
        except SecondFactorError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Your authenticator app has been removed from your "
                                        "account."))
            return HttpResponseRedirect(reverse("mfa_index"))
    return render(request, "mfa/totp_deactivate.html", {
        "error": error, "keys_count": len(user_keys(user)),
        "two_factor_required": policy.two_factor_required(user),
    }, status=400 if error else 200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Fresh codes are shown until the user types one back, which proves they kept them
    somewhere; after that they are never shown again (we keep only their hashes)."""
    user = signed_in_user(request)
    next_url = safe_next(request)
    pending = services.pending_codes(request)
    form = RecoveryCodeForm(request.POST or None, auto_id="confirm_%s")
    if pending and request.method == "POST" and form.is_valid():
        try:
            services.recovery_codes_confirm(user=user, code=form.cleaned_data["code"])
        except SecondFactorError as exc:
            form.add_error("code", str(exc.message))
        else:
            services.pending_codes_clear(request)
            messages.success(request, _("Thank you. Keep your recovery codes somewhere safe, "
                                        "away from your phone and your security keys."))
            return HttpResponseRedirect(next_url or reverse("mfa_index"))
    elif request.method == "POST" and not pending:
        messages.info(request, _("Those recovery codes are no longer shown. Generate new "
                                 "ones if you did not keep them."))
        return HttpResponseRedirect(reverse("mfa_view_recovery_codes"))
    return render(request, "mfa/recovery_codes.html", {
        "codes": pending,
        "form": form,
        "status": services.recovery_codes_status(user),
        "has_two_factor": policy.has_two_factor(user),
        "next_url": next_url,
    }, status=400 if form.errors else 200)


@never_cache
@login_required
@require_POST
def recovery_codes_download(request: HttpRequest) -> HttpResponse:
    """The pending codes as a text file. A POST (with its CSRF token), so no other site can
    make the browser fetch it; no-store, so no cache keeps a copy."""
    codes = services.pending_codes(request)
    if not codes:
        messages.info(request, _("Those recovery codes are no longer shown. Generate new "
                                 "ones if you did not keep them."))
        return HttpResponseRedirect(reverse("mfa_view_recovery_codes"))
    user = signed_in_user(request)
    lines = [
        _("Recovery codes for %(account)s on %(site)s") % {
            "account": user.get_username(), "site": _issuer()},
        _("Each code works once, in place of a code from your app or a security key."),
        "",
        *codes,
        "",
    ]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="warden-recovery-codes.txt"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_reauth
@require_http_methods(["GET", "POST"])
def recovery_codes_generate(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not policy.has_two_factor(user):
        messages.info(request, _("Recovery codes come with an authenticator app or a "
                                 "security key. Set one of them up first."))
        return HttpResponseRedirect(reverse("mfa_index"))
    if request.method == "POST":
        codes = services.recovery_codes_regenerate(user=user,
                                                   origin=Origin.from_request(request))
        services.pending_codes_store(request, codes)
        return HttpResponseRedirect(reverse("mfa_view_recovery_codes"))
    return render(request, "mfa/recovery_codes_generate.html", {
        "status": services.recovery_codes_status(user), "count": recovery.COUNT,
    })
