"""Celery tasks of the dashboards app (thin wrappers over dashboards.services)."""

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def prune_dashboard_views() -> int:
    """Nightly: drop the dashboard-view log's rows older than DASHBOARD_VIEW_RETENTION_DAYS."""
    return services.dashboard_views_prune()
