"""Dashboard endpoints under /api/ (included before the goals router, whose goals/<pk>/ would
otherwise be tried first)."""

from django.urls import path

from . import api

urlpatterns = [
    path("goals/dashboard/team", api.TeamDashboardView.as_view(), name="api-dashboard-team"),
    path(
        "goals/dashboard/individual",
        api.IndividualDashboardView.as_view(),
        name="api-dashboard-individual",
    ),
    path("goals/leaderboard", api.LeaderboardView.as_view(), name="api-leaderboard"),
    path(
        "metrics/<str:metric_name>/breakdown/",
        api.BreakdownView.as_view(),
        name="api-metric-breakdown",
    ),
]
