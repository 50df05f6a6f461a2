"""Beat jobs: thin wrappers around the digest services (also run by management commands)."""

from celery import Task, shared_task
from django.db import OperationalError

from . import notify
from .digest import send_checkin_reminders, send_weekly_updates
from .weeks import current_week_start


class SupportEmailTask(Task):
    """When its retries are spent, the failure is recorded on the support request."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        notify.support_email_failed(
            support_request_id=kwargs["support_request_id"],
            recipient_id=kwargs["recipient_id"],
            error=exc,
        )


# Any failure (SMTP down, a header the mail library refuses) is retried with backoff.
@shared_task(
    base=SupportEmailTask,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def support_email_send(
    *, support_request_id: int, recipient_id: int, template: str, by_id: int | None = None
) -> None:
    """A support request's email to one recipient (support_request or support_update)."""
    notify.support_email(
        support_request_id=support_request_id,
        recipient_id=recipient_id,
        template=template,
        by_id=by_id,
    )


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def send_weekly_updates_task() -> str:
    """Monday 09:00: this week's digests (each user at most once, however often it runs)."""
    return send_weekly_updates(week_start=current_week_start()).summary()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def send_checkin_reminders_task() -> str:
    """Friday: remind who has not checked in this week (once per user and week)."""
    return send_checkin_reminders(week_start=current_week_start()).summary()
