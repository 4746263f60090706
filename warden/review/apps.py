from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "warden.review"
    label = "review"
