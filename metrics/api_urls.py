from django.urls import path

from . import api

urlpatterns = [path("<str:kind>/", api.import_data, name="api-import-data")]
