from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "warden.tokens"
    label = "tokens"

    def ready(self) -> None:
        from warden.tokens.receivers import receivers_connect

        receivers_connect()
        scanner_keys_check()


def scanner_keys_check() -> None:
    """Fail at start-up, not on the first report, when the scanners' keys are unusable."""
    from django.conf import settings

    from warden.lib.env import ConfigError
    from warden.tokens.scanner import scanner_keys_parse

    if settings.WARDEN_TOKEN_SCANNER_KEYS:
        try:
            scanner_keys_parse(settings.WARDEN_TOKEN_SCANNER_KEYS)
        except ValueError as exc:
            raise ConfigError(f"WARDEN_TOKEN_SCANNER_KEYS: {exc}") from exc
