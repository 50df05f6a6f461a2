"""The notification centre: in-app notifications, and their email per the user's preference.

Preferences belong to the checkins app (`checkins.preferences.delivery_for`): "immediate" sends an
email now (after commit), "digest" leaves it for the weekly digest (see recognition.receivers,
collect_digest_sections), "off" sends no email. The in-app notification is always created.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from checkins.models import Delivery
from checkins.preferences import delivery_for
from goals_project.people.models import User

from .models import Notification

# Set while seeding the demo: notifications are created but never emailed.
_emails_suppressed: ContextVar[bool] = ContextVar("recognition_emails_suppressed", default=False)


@contextmanager
def emails_suppressed() -> Iterator[None]:
    """Create in-app notifications without emailing them (the demo data is not news)."""
    token = _emails_suppressed.set(True)
    try:
        yield
    finally:
        _emails_suppressed.reset(token)


# Badges are routed with achievements ("Achievements and badges" in the user's settings).
PREFERENCE_KIND = {Notification.Kind.BADGE: Notification.Kind.ACHIEVEMENT}


def preference_kind(kind: str) -> str:
    return PREFERENCE_KIND.get(kind, kind)


def notify(
    *,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = True,
) -> list[Notification]:
    """Create one in-app notification per user and email those who want it immediately.

    The emails are queued after commit, so a rolled-back change sends nothing. `email=False`
    when the sending app emails the event itself (support requests: checkins does)."""
    from .tasks import notification_email_send

    users = list(users)
    if not users:
        return []
    now = timezone.now()
    quiet = not email or _emails_suppressed.get()
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind=kind,
                title=title,
                body=body,
                url=url,
                created_at=now,
                emailed_at=now if quiet and email else None,
            )
            for user in users
        ]
    )
    if quiet:
        return notifications
    immediate = [
        notification.pk
        for notification, user in zip(notifications, users, strict=True)
        if delivery_for(user, preference_kind(kind)) == Delivery.IMMEDIATE
    ]
    for notification_id in immediate:
        transaction.on_commit(
            lambda pk=notification_id: notification_email_send.delay(pk), robust=True
        )
    return notifications


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}" if path.startswith("/") else path


@transaction.atomic
def notification_email(*, notification_id: int) -> bool:
    """Email one notification unless it was emailed already; True when this call sent it.

    The conditional UPDATE claims the notification, so a retried or duplicated task sends it once;
    a failed send rolls the claim back and the retry sends it."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    lines = [notification.body] if notification.body else []
    if notification.url:
        lines.append(absolute_url(notification.url))
    send_mail(
        f"Goalpost: {notification.title}",
        "\n\n".join(lines),
        None,
        [notification.user.email],
    )
    return True


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


def unread_count(user: User) -> int:
    """The bell's number: one COUNT on a partial index."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def digest_notifications(user: User, week_start: date) -> list[Notification]:
    """The week's notifications the user asked to receive in the digest rather than at once."""
    start = _local_midnight(week_start)
    end = _local_midnight(week_start + timedelta(days=7))
    # Support requests are in the checkins digest already (it owns that queue).
    week = Notification.objects.filter(
        user=user, created_at__gte=start, created_at__lt=end
    ).exclude(kind__in=[Notification.Kind.SUPPORT_REQUEST, Notification.Kind.SUPPORT_UPDATE])
    return [
        notification
        for notification in week.order_by("created_at", "pk")
        if delivery_for(user, preference_kind(notification.kind)) == Delivery.DIGEST
    ]


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))
