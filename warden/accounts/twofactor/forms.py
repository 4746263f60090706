"""The forms of the two-factor pages. They check the shape of what was typed; whether a code
is right (window, replay, rate limit) is the services' call, which raise, and the views put
the error beside the field (`form.add_error("code", exc.message)`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from warden.accounts.twofactor import totp

# Enough for "Blue YubiKey in the office drawer"; the list of keys stays readable.
KEY_NAME_MAX = 64


class TotpCodeForm(forms.Form):
    """A six-digit code from an authenticator app."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        help_text=_("Six digits. Spaces are fine."),
        max_length=16,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric",
            "autocapitalize": "off", "spellcheck": "false", "size": "10"}),
    )

    def clean_code(self) -> str:
        code = totp.code_normalize(self.cleaned_data["code"])
        if not (code.isascii() and code.isdigit() and len(code) == totp.DIGITS):
            raise forms.ValidationError(
                _("Type the %(digits)d digits your authenticator app shows."),
                params={"digits": totp.DIGITS}, code="shape")
        return code


class RecoveryCodeForm(forms.Form):
    """One of the account's recovery codes, as printed (`abcde-fghij`)."""

    code = forms.CharField(
        label=_("Recovery code"),
        help_text=_("One of the codes you saved when you set up two-factor authentication, "
                    "for example abcd-efgh-ijkl-mnop. Each code works once."),
        max_length=32,
        # Not "one-time-code": browsers would offer an SMS code here, and a password
        # manager must not remember a code that only works once.
        widget=forms.TextInput(attrs={
            "autocomplete": "off", "autocapitalize": "off", "spellcheck": "false",
            "size": "14"}),
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip().lower()
        if not code:
            raise forms.ValidationError(_("Type one of your recovery codes."), code="empty")
        return code


class SecondFactorCodeForm(forms.Form):
    """Re-authentication: a code from the app or a recovery code, in one field (the service
    tells them apart by their shape)."""

    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=32,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false",
            "size": "14"}),
    )


class CredentialForm(forms.Form):
    """The answer of a security key or passkey (`PublicKeyCredential.toJSON()`), which the
    page's script puts in the hidden field."""

    credential = forms.JSONField(widget=forms.HiddenInput, required=True, error_messages={
        "required": _("Your browser did not send an answer from a security key. Press "
                      "the button and follow your browser's instructions."),
        "invalid": _("Your browser sent an answer we could not read. Try again."),
    })

    def clean_credential(self) -> dict[str, Any]:
        credential = self.cleaned_data["credential"]
        if not isinstance(credential, dict):
            raise forms.ValidationError(
                _("Your browser sent an answer we could not read. Try again."), code="shape")
        return credential


class KeyAddForm(CredentialForm):
    name = forms.CharField(
        label=_("Name"),
        help_text=_("So you can tell your keys apart, for example “Blue YubiKey” or "
                    "“Laptop fingerprint”."),
        max_length=KEY_NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    passkey = forms.BooleanField(
        label=_("Use it as a passkey to sign in without a password"),
        help_text=_("The key then keeps your account name and asks for its PIN, fingerprint "
                    "or face each time. Not every security key can do this."),
        required=False,
    )
    field_order = ["name", "passkey", "credential"]


class KeyRenameForm(forms.Form):
    # The field strips spaces first, so a blank name arrives as a missing one.
    name = forms.CharField(label=_("Name"), max_length=KEY_NAME_MAX,
                           error_messages={"required": _("Give the key a name.")},
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
