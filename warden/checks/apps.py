from django.apps import AppConfig


class ChecksConfig(AppConfig):
    name = "warden.checks"
    label = "checks"

    def ready(self) -> None:
        from warden.checks import receivers
        from warden.lib import signals

        signals.project_changed.connect(receivers.on_project_changed,
                                        dispatch_uid="warden.checks.screen_uploads")
