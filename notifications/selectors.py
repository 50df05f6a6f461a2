"""Reads of the notification centre and of the digest's notifications."""

from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from goals.access import visible_goals
from goals_project.people.models import User

from . import kinds
from .models import Delivery, Notification
from .preferences import delivery_for


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
    """The week's notifications the user asked to receive in the digest rather than at once
    (kinds their app reports in its own digest section are left to it)."""
    start = _local_midnight(week_start)
    end = _local_midnight(week_start + timedelta(days=7))
    own_section = [kind.key for kind in kinds.notification_kinds() if not kind.in_digest]
    week = with_goal_visibility(
        Notification.objects.filter(user=user, created_at__gte=start, created_at__lt=end).exclude(
            kind__in=own_section
        ),
        user,
    )
    return [
        notification
        for notification in week.order_by("created_at", "pk")
        if delivery_for(user, notification.kind) == Delivery.DIGEST
    ]


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))
