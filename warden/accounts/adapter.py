from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Private indexes usually close sign-up and create accounts with `warden user create`.
        return bool(settings.WARDEN_SIGNUP_OPEN)
