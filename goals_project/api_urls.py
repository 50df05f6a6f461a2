"""The REST API root: OpenAPI schema, interactive docs, then each app's endpoints."""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from checkins import api as checkins_api
from goals import api as goals_api
from goals import objectives_api, template_api
from goals_project.api import error_body


@csrf_exempt  # it changes nothing; a POST to an unknown path is a 404, not a CSRF failure
def api_not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Unknown API paths answer JSON. A GET without its trailing slash is redirected, as
    APPEND_SLASH would (this view matching every path keeps that middleware from doing it)."""
    if request.method in ("GET", "HEAD") and not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return JsonResponse(error_body("Not found.", "not_found"), status=404)


router = SimpleRouter()
router.register("goal-periods", goals_api.GoalPeriodViewSet, basename="goal-period")
router.register("goals", goals_api.GoalViewSet, basename="goal")
router.register("objectives", objectives_api.ObjectiveViewSet, basename="objective")
router.register("goal-templates", template_api.GoalTemplateViewSet, basename="goal-template")
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
        checkins_api.GoalCheckInViewSet.as_view({"get": "list", "post": "create"}),
        name="goal-checkins",
    ),
    path(
        "goals/<int:goal_id>/support-requests/",
        checkins_api.GoalSupportRequestViewSet.as_view({"get": "list", "post": "create"}),
        name="goal-support-requests",
    ),
    # Before the router: its goals/<pk>/ would otherwise take goals/achievements.
    path("", include("recognition.api_urls")),
    path("", include("dashboards.api_urls")),
    *router.urls,
    # Last: any other /api/ path answers a JSON 404, like every API error (never an HTML page).
    re_path(r"", api_not_found),
]
