"""notify(): one in-app notification per user and, for those who want it now, one email sent by
one retried task. Marking read. The email path (claim, send, record a failure).

Preferences (notifications.preferences) decide the email: "immediate" sends it after commit,
"digest" leaves it for the weekly digest (notifications.selectors.digest_notifications), "off"
sends none. The in-app notification is always created.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from goals.access import can_view_goal
from goals.models import Goal
from goals_project.people.models import User

from . import kinds
from .emails import absolute_url, one_line
from .models import Delivery, Notification
from .preferences import delivery_for

# Set while seeding the demo: notifications are created but never emailed.
_emails_suppressed: ContextVar[bool] = ContextVar("notification_emails_suppressed", default=False)


@contextmanager
def emails_suppressed() -> Iterator[None]:
    """Create in-app notifications without emailing them (the demo data is not news)."""
    token = _emails_suppressed.set(True)
    try:
        yield
    finally:
        _emails_suppressed.reset(token)


def notify(
    *,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    goal: Goal | None = None,
    neutral_title: str = "",
    neutral_body: str = "",
    neutral_url: str | None = None,
    data: dict | None = None,
) -> list[Notification]:
    """Create one in-app notification per user and email those who want it immediately.

    `kind` is a registered kind (notifications.kinds.register). A notification that names a
    goal gives the goal and the neutral form of its texts (and of its link: None keeps `url`,
    "" drops a link to the goal or its win): each reader gets the named form only while they
    may see the goal (goals.mentions). `data` holds what the kind's own email needs (ids).
    The emails are queued after commit, so a rolled-back change sends nothing."""
    if kinds.get(kind) is None:
        raise ValueError(f"Unknown notification kind {kind!r}: register it first.")
    if goal is not None and not neutral_title:
        raise ValueError("A notification that names a goal needs its neutral title.")
    from .tasks import notification_email_send

    users = list(users)
    if not users:
        return []
    now = timezone.now()
    quiet = _emails_suppressed.get()
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind=kind,
                title=title,
                body=body,
                goal=goal,
                neutral_title=neutral_title if goal is not None else "",
                neutral_body=neutral_body if goal is not None else "",
                url=url,
                neutral_url=url if neutral_url is None else neutral_url,
                data=data or {},
                created_at=now,
                emailed_at=now if quiet else None,
            )
            for user in users
        ]
    )
    if quiet:
        return notifications
    immediate = [
        notification.pk
        for notification, user in zip(notifications, users, strict=True)
        if delivery_for(user, kind) == Delivery.IMMEDIATE
    ]
    for notification_id in immediate:
        transaction.on_commit(
            lambda pk=notification_id: notification_email_send.delay(pk), robust=True
        )
    return notifications


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


def mark_read(*, user: User, notification_id: int) -> int:
    """Mark one of the user's notifications read; returns how many changed (0 or 1)."""
    return Notification.objects.filter(user=user, pk=notification_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
