"""Beat jobs: thin wrappers around the digest services (also run by management commands)."""

from celery import shared_task

from goals_project.celery import RETRY_ON_DATABASE_ERROR

from .digest import send_checkin_reminders, send_weekly_updates
from .weeks import current_week_start


@shared_task(**RETRY_ON_DATABASE_ERROR)
def send_weekly_updates_task() -> str:
    """Monday 09:00: this week's digests (each user at most once, however often it runs)."""
    return send_weekly_updates(week_start=current_week_start()).summary()


@shared_task(**RETRY_ON_DATABASE_ERROR)
def send_checkin_reminders_task() -> str:
    """Friday: remind who has not checked in this week (once per user and week)."""
    return send_checkin_reminders(week_start=current_week_start()).summary()
