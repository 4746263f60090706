from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "warden.audit"
    label = "audit"
