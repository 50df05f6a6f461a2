from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """Dashboards, charts, leaderboard and program health: reads goals, never written by them."""

    name = "dashboards"
