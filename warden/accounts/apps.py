from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "warden.accounts"
    label = "accounts"
