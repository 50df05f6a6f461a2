"""Reactions of the goals app to signals of the apps below it."""


def connect_signals() -> None:
    """Called from GoalsConfig.ready()."""
