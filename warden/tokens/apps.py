from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "warden.tokens"
    label = "tokens"

    def ready(self) -> None:
        from warden.tokens.receivers import receivers_connect

        receivers_connect()
