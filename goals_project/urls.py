from django.contrib import admin
from django.urls import include, path

from goals_project.observability import healthz
from goals_project.people.forms import AdminLoginForm
from goals_project.people.views import favicon

admin.site.login_form = AdminLoginForm
# A malformed or oversize request answers JSON on API paths (an HTML page elsewhere).
handler400 = "goals_project.api.bad_request"
admin.site.site_header = "Goalpost administration"
admin.site.site_title = "Goalpost admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the real icon.
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("api/data/", include("metrics.api_urls")),
    path("api/", include("goals_project.api_urls")),
    path("", include("goals.urls")),
    path("", include("notifications.urls")),
    path("recognition/", include("recognition.urls")),
    path("", include("goals_project.people.urls")),
    path("", include("checkins.urls")),
    path("", include("dashboards.urls")),
]
