"""Celery tasks of the dashboards app (thin wrappers over dashboards.services)."""

from celery import shared_task

from goals_project.celery import RETRY_ON_DATABASE_ERROR

from . import services


@shared_task(**RETRY_ON_DATABASE_ERROR)
def prune_dashboard_views() -> int:
    """Nightly: drop the dashboard-view log's rows older than DASHBOARD_VIEW_RETENTION_DAYS."""
    return services.dashboard_views_prune()
