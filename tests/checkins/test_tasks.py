import datetime as dt

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core import mail

from checkins.tasks import send_checkin_reminders_task, send_weekly_updates_task

pytestmark = pytest.mark.django_db


def test_beat_runs_the_digest_on_monday_9am_and_the_reminder_on_friday():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["checkins-weekly-updates"]["task"] == "checkins.tasks.send_weekly_updates_task"
    assert schedule["checkins-weekly-updates"]["schedule"] == crontab(
        hour=9, minute=0, day_of_week="mon"
    )
    assert schedule["checkins-friday-reminder"]["schedule"] == crontab(
        hour=14, minute=0, day_of_week="fri"
    )
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


def test_the_tasks_send_this_weeks_emails_once(member, member_goal):
    with time_machine.travel(dt.datetime(2026, 11, 27, 14, tzinfo=dt.UTC), tick=False):
        assert send_checkin_reminders_task.delay().get() == (
            "2026-W48 reminder: sent 1, already sent 0, being sent elsewhere 0, failed 0"
        )
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC), tick=False):
        first = send_weekly_updates_task.delay().get()
        second = send_weekly_updates_task.delay().get()
    assert first.startswith("2026-W49 digest: sent 1,")
    assert second.startswith("2026-W49 digest: sent 0, already sent 1,")
    assert [message.subject for message in mail.outbox] == [
        "Reminder: your weekly check-in (2026-W48)",
        "Your Goalpost week 2026-W49",
    ]
