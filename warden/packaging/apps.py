from django.apps import AppConfig


class PackagingConfig(AppConfig):
    name = "warden.packaging"
    label = "packaging"
