"""Early warnings told (checkins/early_warnings.py): after a recalculation the owner and the
team's leads are notified as they chose; the attention queue, the team dashboard and the weekly
digest (first) show the warning."""

from datetime import date

import pytest
import time_machine
from django.core import mail

from checkins.digest import digest_email
from goals.models import EarlyWarning, Goal
from goals.services import goal_create, period_create
from goals.signals import goals_recalculated
from notifications.models import Notification
from notifications.preferences import notification_settings_update

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 2, 16)


@pytest.fixture
def frozen():
    with time_machine.travel("2026-02-18 12:00Z", tick=False):
        yield


@pytest.fixture
def slipping(frozen, lead, member, teammate):
    """Mo's health score is on track by pace, but its trend gives it 12% to reach 60."""
    period = period_create(
        name="Q1 2026", period_type="quarterly", start=date(2026, 1, 1), end=date(2026, 3, 31)
    )
    goal = goal_create(
        period=period,
        owner=member,
        name="Health score",
        goal_type="metric",
        unit="score",
        baseline="50",
        target="60",
        created_by=lead,
    )
    Goal.objects.filter(pk=goal.pk).update(
        current_value="55.0",
        progress="50",
        expected_progress="53",
        status=Goal.Status.ON_TRACK,
        forecast_value="56.2",
        forecast_low="53",
        forecast_high="59",
        forecast_target_probability="12",
    )
    return goal


def _recalculated(goal, capture):
    with capture(execute=True):
        goals_recalculated.send(sender=Goal, goal_ids=[goal.pk])


def test_owner_and_leads_are_told_once_in_app_and_by_email(
    slipping, lead, member, teammate, django_capture_on_commit_callbacks
):
    _recalculated(slipping, django_capture_on_commit_callbacks)
    told = Notification.objects.filter(kind="early_warning")
    assert {notification.user for notification in told} == {lead, member}
    notification = told.first()
    assert notification.title == "Early warning: Health score"
    assert notification.body == "Trend lands at 56.2 vs target 60 (12% chance)."
    assert notification.url == f"/goals/{slipping.pk}/#breakdown"
    assert sorted(message.to[0] for message in mail.outbox) == [lead.email, member.email]
    assert "Trend lands at 56.2 vs target 60 (12% chance)." in mail.outbox[0].body
    # The next recalculation the same week warns nobody again.
    _recalculated(slipping, django_capture_on_commit_callbacks)
    assert told.count() == 2 and EarlyWarning.objects.count() == 1


def test_the_attention_queue_and_the_team_dashboard_show_the_warning(
    client, slipping, lead, member, team, django_capture_on_commit_callbacks
):
    _recalculated(slipping, django_capture_on_commit_callbacks)
    client.force_login(lead)
    queue = client.get("/attention/").text
    assert 'Early warnings <span class="muted">(1)</span>' in queue
    assert f'href="/goals/{slipping.pk}/#breakdown">Health score</a> (Mo Member)' in queue
    assert "Trend lands at 56.2 vs target 60 (12% chance)." in queue
    dashboard = client.get(f"/teams/{team.pk}/").text
    assert 'class="chip early-warning"' in dashboard
    client.force_login(member)  # a member has no queue of the team, but sees the mark
    assert "Early warnings" not in client.get("/attention/").text
    assert 'class="chip early-warning"' in client.get(f"/teams/{team.pk}/").text


def test_the_weekly_digest_lists_early_warnings_first_unless_turned_off(
    slipping, lead, member, django_capture_on_commit_callbacks
):
    _recalculated(slipping, django_capture_on_commit_callbacks)
    next_monday = date(2026, 2, 23)
    text = digest_email(lead, next_monday).body
    assert text.index("EARLY WARNINGS") < text.index("TEAM ENTERPRISE")
    assert "- Health score (Mo Member): Trend lands at 56.2 vs target 60 (12% chance)." in text
    html = digest_email(member, next_monday).alternatives[0].content
    assert html.index("Early warnings") < html.index("Your goals")
    notification_settings_update(
        user=member, weekly_digest=True, deliveries={"early_warning": "off"}
    )
    assert "EARLY WARNINGS" not in digest_email(member, next_monday).body
    assert "EARLY WARNINGS" not in digest_email(lead, MONDAY).body  # raised after that Monday


def test_turned_off_no_email_and_digest_only_no_email_now(
    slipping, lead, member, django_capture_on_commit_callbacks
):
    notification_settings_update(
        user=member, weekly_digest=True, deliveries={"early_warning": "digest"}
    )
    notification_settings_update(user=lead, weekly_digest=True, deliveries={"early_warning": "off"})
    _recalculated(slipping, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert Notification.objects.filter(kind="early_warning").count() == 2  # in-app always
