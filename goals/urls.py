from django.urls import path

from . import views

app_name = "goals"

urlpatterns = [
    path("periods/", views.period_list, name="period_list"),
    path("periods/new/", views.period_form, name="period_create"),
    path("periods/<int:period_id>/", views.period_detail, name="period_detail"),
    path("periods/<int:period_id>/edit/", views.period_form, name="period_edit"),
    path(
        "periods/<int:period_id>/attainment.<str:file_format>",
        views.period_attainment,
        name="period_attainment",
    ),
    path("periods/<int:period_id>/carry-over/", views.period_carry_over, name="period_carry_over"),
    path("periods/<int:period_id>/activate/", views.period_activate, name="period_activate"),
    path("periods/<int:period_id>/close/", views.period_close, name="period_close"),
    path("goals/new/", views.goal_create, name="goal_create"),
    path("goals/new/fields/", views.goal_form_fields, name="goal_form_fields"),
    path("goals/<int:goal_id>/", views.goal_detail, name="goal_detail"),
    path("goals/<int:goal_id>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:goal_id>/adjust/", views.goal_adjust, name="goal_adjust"),
    path("goals/<int:goal_id>/cascade/", views.goal_cascade, name="goal_cascade"),
    path("goals/<int:goal_id>/progress/", views.goal_progress, name="goal_progress"),
    path("goals/<int:goal_id>/delete/", views.goal_delete, name="goal_delete"),
    path("goals/<int:goal_id>/share/", views.goal_share_view, name="goal_share"),
    path(
        "goals/<int:goal_id>/closing-comment/",
        views.goal_closing_comment,
        name="goal_closing_comment",
    ),
    path("goals/<int:goal_id>/correct/", views.goal_correct, name="goal_correct"),
    path("goals/<int:goal_id>/share/remove/", views.goal_unshare_view, name="goal_unshare"),
    path("goals/<int:goal_id>/milestones/", views.milestone_add, name="milestone_add"),
    path(
        "goals/<int:goal_id>/milestones/<int:milestone_id>/move/",
        views.milestone_move,
        name="milestone_move",
    ),
    path(
        "goals/<int:goal_id>/milestones/<int:milestone_id>/tick/",
        views.milestone_tick,
        name="milestone_tick",
    ),
    path(
        "goals/<int:goal_id>/milestones/<int:milestone_id>/remove/",
        views.milestone_remove,
        name="milestone_remove",
    ),
]
