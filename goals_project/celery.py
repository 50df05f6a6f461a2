"""The Celery app. Tasks run eagerly in-process when no broker is configured (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goals_project.settings")

app = Celery("goalpost")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
