from django.urls import path

from . import views

app_name = "recognition"

urlpatterns = [
    path("achievements/", views.achievement_list, name="achievements"),
    path("achievements/<int:achievement_id>/", views.achievement_detail, name="achievement"),
    path(
        "achievements/<int:achievement_id>/celebrate/",
        views.achievement_celebrate,
        name="achievement_celebrate",
    ),
    path(
        "achievements/<int:achievement_id>/acknowledge/",
        views.achievement_acknowledge,
        name="achievement_acknowledge",
    ),
    path("teams/<int:team_id>/celebrations/", views.team_celebrations, name="team_celebrations"),
    path("teams/<int:team_id>/highlights/", views.team_highlights, name="team_highlights"),
    path("teams/<int:team_id>/summaries/", views.team_summaries, name="team_summaries"),
    path(
        "teams/<int:team_id>/periods/<int:period_id>/summary/",
        views.period_summary,
        name="period_summary",
    ),
    path("people/<int:person_id>/badges/", views.person_badges, name="person_badges"),
]
