from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        from . import beat, permissions, receivers  # noqa: F401 - beat registers its tasks

        permissions.connect_signals()
        receivers.connect_signals()
