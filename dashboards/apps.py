from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """Dashboards, charts, leaderboard and program health: reads goals, never written by them."""

    name = "dashboards"

    def ready(self) -> None:
        from goals.panels import GoalPanel, register_goal_panel

        from .customers import goal_page_breakdown_panel
        from .goal_detail import goal_page_panel

        # The goal page's chart, contributions and comparison: they show the goal's numbers.
        register_goal_panel(
            GoalPanel(
                name="dashboards",
                template="dashboards/goal_panels.html",
                read=goal_page_panel,
                redrawn=True,
            )
        )
        # The accounts behind a metric goal's value: a button that loads them on demand.
        register_goal_panel(
            GoalPanel(
                name="breakdown",
                template="dashboards/goal_breakdown_panel.html",
                read=goal_page_breakdown_panel,
                order=10,
            )
        )
