from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = "Recognition"

    def ready(self) -> None:
        from . import receivers

        receivers.connect_signals()
