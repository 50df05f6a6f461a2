from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        from . import permissions, receivers

        permissions.connect_signals()
        receivers.connect_signals()
