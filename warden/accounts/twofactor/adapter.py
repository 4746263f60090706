"""allauth's MFA adapter with our settings and rules."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from warden.accounts.twofactor import secretbox


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        # Our own TOTP and recovery codes seal their secrets themselves; anything allauth
        # stores through this hook is sealed too rather than kept in the clear.
        return secretbox.seal(text, purpose="allauth")

    def decrypt(self, encrypted_text: str) -> str:
        return secretbox.unseal(encrypted_text, purpose="allauth")

    def get_totp_issuer(self) -> str:
        return str(settings.WARDEN_WEBAUTHN_RP_NAME)

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        # From configuration, never from the request's Host header: keys are bound to this
        # name, and a forged Host must not make them sign for another one.
        return {"id": settings.WARDEN_WEBAUTHN_RP_ID, "name": settings.WARDEN_WEBAUTHN_RP_NAME}

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        from warden.accounts.twofactor.policy import FACTOR_TYPES, two_factor_required

        user = authenticator.user
        if authenticator.type not in FACTOR_TYPES or not two_factor_required(user):
            return True
        others = Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES) \
            .exclude(pk=authenticator.pk)
        return others.exists()

    def is_mfa_enabled(self, user: AbstractBaseUser, types: object = None) -> bool:
        # Leftover recovery codes without a factor (after a staff reset) are not 2FA.
        if types is None:
            from warden.accounts.twofactor.policy import FACTOR_TYPES
            types = FACTOR_TYPES
        return super().is_mfa_enabled(user, types=types)
