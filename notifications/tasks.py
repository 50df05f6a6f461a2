"""The one email task of notifications: every notification's email goes through it."""

from celery import shared_task

from goals_project.celery import RETRY_ANY, BrokerFallbackTask

from . import sending


class NotificationEmailTask(BrokerFallbackTask):
    """When its retries are spent, the failure is recorded on the notification (and wherever
    its kind records it). With the broker unreachable the email is sent in-process."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        notification_id = kwargs.get("notification_id", args[0] if args else None)
        if notification_id is not None:
            sending.notification_email_failed(notification_id=notification_id, error=exc)


# Any failure (SMTP down, a header the mail library refuses) is retried with backoff; the claim
# rolls back so nothing is lost, and the last failure is recorded for admins.
@shared_task(base=NotificationEmailTask, **RETRY_ANY)
def notification_email_send(notification_id: int) -> bool:
    return sending.notification_email(notification_id=notification_id)
