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
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from checkins.models import Delivery
from checkins.preferences import delivery_for
from goals.access import can_view_goal, visible_goals
from goals.models import Goal
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
    goal: Goal | None = None,
    neutral_title: str = "",
    neutral_body: str = "",
    neutral_url: str | None = None,
    email: bool = True,
) -> list[Notification]:
    """Create one in-app notification per user and email those who want it immediately.

    A notification that names a goal gives the goal and the neutral form of its texts (and of
    its link: None keeps `url`, "" drops a link to the goal or its win): each reader gets the
    named form only while they may see the goal (goals.mentions). The emails are
    queued after commit, so a rolled-back change sends nothing. `email=False` when the sending
    app emails the event itself (support requests: checkins does)."""
    if goal is not None and not neutral_title:
        raise ValueError("A notification that names a goal needs its neutral title.")
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
                goal=goal,
                neutral_title=neutral_title if goal is not None else "",
                neutral_body=neutral_body if goal is not None else "",
                url=url,
                neutral_url=url if neutral_url is None else neutral_url,
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


def one_line(text: str) -> str:
    """A header value (an email subject) on one line, whatever the text it comes from holds."""
    return " ".join(text.split())


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
    lines = [notification.shown_body] if notification.shown_body else []
    if notification.shown_url:
        lines.append(absolute_url(notification.shown_url))
    send_mail(
        one_line(f"Goalpost: {notification.shown_title}"),
        "\n\n".join(lines),
        None,
        [notification.user.email],
    )
    return True


def notification_email_failed(*, notification_id: int, error: BaseException) -> None:
    """The retries are spent: record it where an admin sees it (Notifications, "email failed")."""
    Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        email_failed_at=timezone.now(), email_error=f"{type(error).__name__}: {error}"[:1000]
    )


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


def with_goal_visibility(notifications: QuerySet[Notification], user: User):
    """Annotate `goal_visible` (whether the reader may see the goal a notification names), so
    `shown_title` and `shown_body` give the reader's form of the texts (in the same query)."""
    visible = visible_goals(user, include_archived=True).filter(pk=OuterRef("goal_id"))
    return notifications.annotate(goal_visible=Exists(visible))


def notifications_for(user: User) -> QuerySet[Notification]:
    return with_goal_visibility(Notification.objects.filter(user=user), user).order_by(
        "-created_at", "-pk"
    )


def digest_notifications(user: User, week_start: date) -> list[Notification]:
    """The week's notifications the user asked to receive in the digest rather than at once."""
    start = _local_midnight(week_start)
    end = _local_midnight(week_start + timedelta(days=7))
    # Support requests are in the checkins digest already (it owns that queue).
    week = with_goal_visibility(
        Notification.objects.filter(user=user, created_at__gte=start, created_at__lt=end).exclude(
            kind__in=[Notification.Kind.SUPPORT_REQUEST, Notification.Kind.SUPPORT_UPDATE]
        ),
        user,
    )
    return [
        notification
        for notification in week.order_by("created_at", "pk")
        if delivery_for(user, preference_kind(notification.kind)) == Delivery.DIGEST
    ]


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))
