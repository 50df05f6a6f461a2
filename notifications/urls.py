from django.urls import path

from . import views

app_name = "notifications"

# The centre keeps the addresses it had when recognition served it.
urlpatterns = [
    path("recognition/notifications/", views.notification_list, name="list"),
    path("recognition/notifications/bell/", views.notification_bell, name="bell"),
    path("recognition/notifications/read-all/", views.notification_read_all, name="read_all"),
    path(
        "recognition/notifications/<int:notification_id>/read/",
        views.notification_read,
        name="read",
    ),
    path("preferences/notifications/", views.notification_preferences, name="preferences"),
]
