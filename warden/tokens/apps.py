from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "warden.tokens"
    label = "tokens"
