"""Sending one notification's email, once: what the email task runs.

The task (notifications.tasks) calls these; notify() (notifications.services) queues the task.
"""

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from goals.access import can_view_goal

from . import kinds
from .emails import absolute_url, one_line
from .models import Notification


def notification_email(*, notification_id: int) -> bool:
    """Email one notification unless it was emailed already; True when this call sent it.

    The conditional UPDATE claims the notification, so a retried or duplicated task sends it once;
    a failed send rolls the claim back (the retry sends it) and is recorded on the notification.
    The texts are those the recipient may read now."""
    try:
        return _notification_email(notification_id)
    except Exception as error:
        Notification.objects.filter(pk=notification_id).update(
            email_attempts=F("email_attempts") + 1,
            email_error=f"{type(error).__name__}: {error}"[:1000],
        )
        raise


@transaction.atomic
def _notification_email(notification_id: int) -> bool:
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("user", "goal").get(pk=notification_id)
    notification.goal_visible = notification.goal is not None and can_view_goal(
        notification.user, notification.goal
    )
    kind = kinds.get(notification.kind)
    message = kind.email(notification) if kind is not None and kind.email else None
    (message or plain_email(notification)).send()
    return True


def plain_email(notification: Notification) -> EmailMessage:
    """ "Goalpost: <title>", the body and the link, as the recipient may read them."""
    lines = [notification.shown_body] if notification.shown_body else []
    if notification.shown_url:
        lines.append(absolute_url(notification.shown_url))
    # send_mail's kind of message, as before kinds could write their own.
    return EmailMultiAlternatives(
        subject=one_line(f"Goalpost: {notification.shown_title}"),
        body="\n\n".join(lines),
        to=[notification.user.email],
    )


def notification_email_failed(*, notification_id: int, error: BaseException) -> None:
    """The retries are spent: record it where an admin sees it (Notifications, "email failed"),
    and wherever the kind records it (a support request's own "email failed")."""
    failed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        email_failed_at=timezone.now(), email_error=f"{type(error).__name__}: {error}"[:1000]
    )
    if not failed:
        return
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    kind = kinds.get(notification.kind)
    if kind is not None and kind.email_failed is not None:
        kind.email_failed(notification, error)
