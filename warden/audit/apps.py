from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "warden.audit"
    label = "audit"

    def ready(self) -> None:
        # The account flows belong to allauth; their signals tell us what to record.
        from warden.audit.receivers import receivers_connect

        receivers_connect()
