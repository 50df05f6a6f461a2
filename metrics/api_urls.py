from django.urls import path

from . import api

urlpatterns = [
    path(
        "<str:kind>/",
        api.DataImportViewSet.as_view({"post": "create"}),
        name="api-import-data",
    )
]
