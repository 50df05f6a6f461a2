from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "checkins"

    def ready(self) -> None:
        from goals.panels import GoalPanel, register_goal_panel

        from . import notify, receivers
        from .selectors import checkins_for_goal

        notify.register_kinds()
        receivers.connect_signals()
        # The goal page's check-in history, as the viewer may read it.
        register_goal_panel(
            GoalPanel(
                name="checkins",
                template="checkins/_goal_checkins.html",
                read=lambda *, viewer, goal: checkins_for_goal(goal, viewer),
            )
        )
