"""ISO weeks in the project's time zone: a week starts on Monday 00:00 local time."""

import re
from datetime import date, datetime, timedelta

from django.utils import timezone

ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week_start_of(day: date) -> date:
    """The Monday of the ISO week that contains the day."""
    return day - timedelta(days=day.weekday())


def local_today(now: datetime | None = None) -> date:
    """Today's date in settings.TIME_ZONE (not the server's, not UTC)."""
    return timezone.localdate(now or timezone.now(), timezone=timezone.get_default_timezone())


def current_week_start(now: datetime | None = None) -> date:
    return week_start_of(local_today(now))


def parse_iso_week(text: str) -> date:
    """'2026-W48' -> the Monday of that ISO week; ValueError naming the expected form."""
    match = ISO_WEEK.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO week: use YYYY-Www, e.g. 2026-W48.")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{text!r}: {year} has no ISO week {week}.") from None


def iso_week_label(week_start: date) -> str:
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"
