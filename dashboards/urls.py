from django.urls import path

from . import views

urlpatterns = [
    path("teams/", views.team_index, name="team_index"),
    path("teams/<int:team_id>/", views.team_dashboard, name="team_dashboard"),
    path("objectives/", views.objectives_page, name="objectives"),
    path("objectives/align/<int:goal_id>/", views.objective_align, name="objective_align"),
    path("me/", views.my_dashboard, name="my_dashboard"),
    path("people/<int:user_id>/", views.person_dashboard, name="person_dashboard"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path(
        "leaderboard/settings/<int:team_id>/",
        views.leaderboard_settings,
        name="leaderboard_settings",
    ),
    path("health/", views.program_health, name="program_health"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("goals/<int:goal_id>/breakdown/", views.goal_breakdown, name="goal_breakdown"),
]
