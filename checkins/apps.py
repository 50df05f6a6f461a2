from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "checkins"

    def ready(self) -> None:
        from goals.panels import GoalPanel, register_goal_panel

        from .selectors import checkins_for_goal

        # The goal page's check-in history, as the viewer may read it.
        register_goal_panel(
            GoalPanel(
                name="checkins",
                template="checkins/_goal_checkins.html",
                read=lambda *, viewer, goal: checkins_for_goal(goal, viewer),
            )
        )
