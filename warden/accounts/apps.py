from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "warden.accounts"
    label = "accounts"

    def ready(self) -> None:
        from allauth.account import signals
        from allauth.mfa.signals import on_add_email

        # allauth refuses new email addresses on accounts with two-factor authentication.
        # Its reason is the first factor (an account with an unverified address must not
        # add one: `services.factor_add_allowed` keeps that rule); an account that already
        # has a factor gains nothing from being unable to add a work address, and adding
        # one needs re-authentication and mail verification anyway.
        signals._add_email.disconnect(on_add_email)

        # The account flows belong to allauth; their signals tell us what to record.
        from warden.accounts.receivers import receivers_connect
        from warden.accounts.session_rotation import session_rotation_connect

        receivers_connect()
        session_rotation_connect()
