from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Goalpost administration"
admin.site.site_title = "Goalpost admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("goals_project.people.urls")),
]
