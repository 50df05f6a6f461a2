"""Recognition API routes, included by goals_project/api_urls.py before the goals router (whose
goals/<pk>/ would otherwise take goals/achievements). The trailing slash is optional."""

from django.urls import re_path

from . import api

urlpatterns = [
    re_path(
        r"^goals/achievements/?$",
        api.AchievementViewSet.as_view({"get": "list"}),
        name="achievement-list",
    ),
    re_path(
        r"^achievements/(?P<achievement_id>[0-9]+)/acknowledge/?$",
        api.AchievementViewSet.as_view({"post": "acknowledge"}),
        name="achievement-acknowledge",
    ),
    re_path(
        r"^achievements/(?P<achievement_id>[0-9]+)/celebrate/?$",
        api.AchievementViewSet.as_view({"post": "celebrate"}),
        name="achievement-celebrate",
    ),
]
