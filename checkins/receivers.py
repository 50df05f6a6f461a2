"""The digest's Notifications section: the week's notifications each user routed to the digest
(notifications.selectors), listed before the sections other apps add."""

from datetime import date, timedelta

from goals_project.people.models import User
from notifications.selectors import digest_notifications

from . import signals


def on_collect_digest_sections(sender, user: User, week_start: date, **kwargs) -> list[dict]:
    """The digest sent on Monday `week_start` reports the full week before it."""
    pending = digest_notifications(user, week_start - timedelta(days=7))
    if not pending:
        return []
    return [
        {"title": "Notifications", "lines": [notification.shown_title for notification in pending]}
    ]


def connect_signals() -> None:
    """Called from CheckinsConfig.ready() (before the apps above it connect theirs)."""
    signals.collect_digest_sections.connect(
        on_collect_digest_sections, dispatch_uid="checkins.digest_notifications"
    )
