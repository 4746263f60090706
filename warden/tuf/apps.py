from django.apps import AppConfig


class TufConfig(AppConfig):
    name = "warden.tuf"
    label = "tuf"
