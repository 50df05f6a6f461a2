"""notify(): one in-app notification per user and, for those who want it now, one email sent by
one retried task. Marking read. The email path (claim, send, record a failure).

Preferences (notifications.preferences) decide the email: "immediate" sends it after commit,
"digest" leaves it for the weekly digest (notifications.selectors.digest_notifications), "off"
sends none. The in-app notification is always created.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

from goals.models import Goal
from goals_project.people.models import User

from . import kinds
from .models import Delivery, Notification
from .preferences import delivery_for
from .tasks import notification_email_send

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
