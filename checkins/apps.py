from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "checkins"

    def ready(self) -> None:
        from goals.panels import GoalPanel, register_goal_panel
        from goals.signals import goals_recalculated

        from . import early_warnings, notify, receivers
        from .selectors import checkins_for_goal

        notify.register_kinds()
        early_warnings.register_kind()
        goals_recalculated.connect(
            early_warnings.on_goals_recalculated, dispatch_uid="checkins.early_warnings"
        )
        receivers.connect_signals()
        # The goal page's check-in history, as the viewer may read it.
        register_goal_panel(
            GoalPanel(
                name="checkins",
                template="checkins/_goal_checkins.html",
                read=lambda *, viewer, goal: checkins_for_goal(goal, viewer),
            )
        )
