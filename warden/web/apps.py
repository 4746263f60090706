from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "warden.web"
    label = "web"
