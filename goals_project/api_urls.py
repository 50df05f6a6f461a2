"""The REST API root: OpenAPI schema, interactive docs, then each app's endpoints."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from checkins import api as checkins_api
from goals import api as goals_api

router = SimpleRouter()
router.register("goal-periods", goals_api.GoalPeriodViewSet, basename="goal-period")
router.register("goals", goals_api.GoalViewSet, basename="goal")
router.register("support-requests", checkins_api.SupportRequestViewSet, basename="support-request")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, which the Content Security Policy allows.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "users/<int:user_id>/contributions/",
        goals_api.UserContributionsView.as_view({"get": "list"}),
        name="user-contributions",
    ),
    path(
        "goals/<int:goal_id>/check-ins/",
        checkins_api.GoalCheckInsView.as_view(),
        name="goal-checkins",
    ),
    path(
        "goals/<int:goal_id>/support-requests/",
        checkins_api.GoalSupportRequestsView.as_view(),
        name="goal-support-requests",
    ),
    # Before the router: its goals/<pk>/ would otherwise take goals/achievements.
    path("", include("recognition.api_urls")),
    path("", include("dashboards.api_urls")),
    *router.urls,
]
