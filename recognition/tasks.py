"""Celery tasks: thin, idempotent wrappers around the recognition services."""

from celery import Task, shared_task
from django.db import OperationalError

from goals.models import GoalPeriod

from . import notifications, services, summaries

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True}


class NotificationEmailTask(Task):
    """When its retries are spent, the failure is recorded on the notification."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        notification_id = kwargs.get("notification_id", args[0] if args else None)
        if notification_id is not None:
            notifications.notification_email_failed(notification_id=notification_id, error=exc)


# Any failure (SMTP down, a header the mail library refuses) is retried with backoff; the claim
# rolls back so nothing is lost, and the last failure is recorded for admins.
@shared_task(
    base=NotificationEmailTask,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def notification_email_send(notification_id: int) -> bool:
    return notifications.notification_email(notification_id=notification_id)


@shared_task(**RETRY)
def badges_award_daily() -> int:
    """The daily badge job (beat): every rule over everyone."""
    return len(services.badges_award())


@shared_task(**RETRY)
def badges_award_for_users(user_ids: list[int]) -> int:
    """After a recalculation: the rules for the people on the recalculated goals."""
    return len(services.badges_award(user_ids=user_ids))


@shared_task(**RETRY)
def period_summaries_build_due() -> int:
    """Daily safety net (beat): summaries of completed periods that are missing or unsent."""
    return len(summaries.period_summaries_due())


@shared_task(**RETRY)
def period_summaries_for_period(period_id: int) -> int:
    period = GoalPeriod.objects.filter(pk=period_id).first()
    if period is None:
        return 0
    return len(summaries.period_summaries_complete(period=period))
