from django.urls import path

from . import views

app_name = "checkins"

urlpatterns = [
    path("check-in/", views.week, name="week"),
    path("check-in/goals/<int:goal_id>/", views.save, name="save"),
    path("attention/", views.attention, name="attention"),
    path("attention/count/", views.attention_count, name="attention_count"),
    *[
        path(
            f"support-requests/<int:pk>/{action}/",
            views.support_request_action,
            {"action": action},
            name=f"support_request_{action}",
        )
        for action in ("acknowledge", "reply", "resolve")
    ],
    path(
        "check-ins/<int:pk>/acknowledge-blocker/",
        views.blocker_acknowledge,
        name="blocker_acknowledge",
    ),
]
