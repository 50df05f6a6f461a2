from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = "Recognition"

    def ready(self) -> None:
        from . import kinds, receivers

        kinds.register_kinds()
        receivers.connect_signals()
