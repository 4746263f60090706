from django.apps import AppConfig


class TufConfig(AppConfig):
    name = "warden.tuf"
    label = "tuf"

    def ready(self) -> None:
        from warden.tuf import sync  # noqa: F401  (connects its receiver)
