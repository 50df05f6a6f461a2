import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from checkins import signals
from checkins.digest import send_checkin_reminders, send_weekly_updates
from checkins.models import CheckIn, DigestDelivery, SupportRequest
from goals.models import Goal, ProgressHistory
from notifications.preferences import notification_settings_update

# The digest's as-of history lookups and week arithmetic must agree on SQLite (the embedded
# default, where `make run` sends digests by hand) and PostgreSQL.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]

MONDAY = dt.date(2026, 11, 30)  # ISO 2026-W49
MONDAY_9AM = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
FRIDAY_2PM = dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC)  # in 2026-W48


def history(goal, day, value, progress, status, version):
    ProgressHistory.objects.create(
        goal=goal,
        as_of=day,
        value=value,
        progress=progress,
        status=status,
        recorded_at=dt.datetime.combine(day, dt.time(6), tzinfo=dt.UTC),
        calc_version=version,
    )


@pytest.fixture
def week_of_data(lead, member, teammate, member_goal, teammate_goal):
    """Mo moved from 2 to 5 tasks and checked in; Tia's goal slipped and she missed two weeks;
    Mo has an open request for help."""
    history(member_goal, dt.date(2026, 11, 22), 2, 20, Goal.Status.BEHIND, 1)
    history(member_goal, dt.date(2026, 11, 29), 5, 50, Goal.Status.ON_TRACK, 2)
    Goal.objects.filter(pk=member_goal.pk).update(
        current_value=5,
        progress=50,
        status=Goal.Status.ON_TRACK,
        forecast_value=Decimal("9.2"),
        forecast_target_probability=Decimal("64.3"),
    )
    history(teammate_goal, dt.date(2026, 11, 22), 4, 40, Goal.Status.ON_TRACK, 1)
    history(teammate_goal, dt.date(2026, 11, 29), 4, 40, Goal.Status.AT_RISK, 2)
    Goal.objects.filter(pk=teammate_goal.pk).update(current_value=4, status=Goal.Status.AT_RISK)
    CheckIn.objects.create(
        goal=member_goal, user=member, week_start=dt.date(2026, 11, 23), confidence=4
    )
    SupportRequest.objects.create(goal=member_goal, requester=member, message="Legal review?")


@pytest.fixture
def highlights():
    def receiver(sender, user, week_start, is_lead, **kwargs):
        if is_lead:
            return [{"title": "Contribution highlights", "lines": ["Mo Member +3 tasks"]}]
        return []

    signals.collect_digest_sections.connect(receiver, weak=False)
    yield
    signals.collect_digest_sections.disconnect(receiver)


def outbox_by_recipient():
    return {message.to[0]: message for message in mail.outbox}


@time_machine.travel(MONDAY_9AM, tick=False)
def test_member_and_lead_digests(week_of_data, highlights, member_goal):
    report = send_weekly_updates(week_start=MONDAY)
    assert sorted(report.sent) == ["lead@example.com", "mate@example.com", "member@example.com"]
    emails = outbox_by_recipient()

    mine = emails["member@example.com"]
    assert mine.subject == "Your Goalpost week 2026-W49"
    goal_url = f"http://127.0.0.1:8000/goals/{member_goal.pk}/"
    assert (
        "- [On track] Close 10 onboarding tasks: 5 tasks vs target 10 tasks, +3 tasks since last "
        f"week; 50%; lands at 9 tasks (64% chance of the target)\n  {goal_url}" in mine.body
    )
    assert "Check in for this week: http://127.0.0.1:8000/check-in/" in mine.body
    assert "You did not check in last week." not in mine.body
    html = mine.alternatives[0].content
    assert f'<a href="{goal_url}"' in html and ">Close 10 onboarding tasks</a>" in html
    assert ">+3 tasks</td>" in html and ">On track</span>" in html

    theirs = emails["lead@example.com"]
    assert theirs.subject == "Your Goalpost week 2026-W49: Enterprise and your goals"
    body = theirs.body
    assert "Status: On track 1, At risk 1" in body
    # The team's goals, worst first, each with its owner, value against target and change.
    team_table = body[body.index("TEAM ENTERPRISE") : body.index("Biggest movers")]
    assert team_table.index(
        "[At risk] Tia's tasks (Tia Mate): 4 tasks vs target 10 tasks, no change since last week"
    ) < team_table.index("[On track] Close 10")
    assert "Biggest movers:\n- Close 10 onboarding tasks (Mo Member): +3 tasks to 5 tasks" in body
    assert "Missed check-ins last week:\n- Tia Mate (2 weeks in a row)" in body
    assert "- Mo Member on “Close 10 onboarding tasks” (Open): Legal review?" in body
    assert "CONTRIBUTION HIGHLIGHTS\n- Mo Member +3 tasks" in body
    assert "Contribution highlights" in theirs.alternatives[0].content

    assert "You did not check in last week." in emails["mate@example.com"].body


@time_machine.travel(MONDAY_9AM + dt.timedelta(days=7), tick=False)
def test_a_digest_sent_again_for_a_past_week_shows_that_week_not_today(week_of_data):
    # A week later Mo's goal is achieved and Tia's behind; the operator re-sends W49's digest.
    Goal.objects.filter(pk__in=Goal.objects.values("pk")).update(status=Goal.Status.BEHIND)
    send_weekly_updates(week_start=MONDAY)
    emails = outbox_by_recipient()
    assert (
        "- [On track] Close 10 onboarding tasks: 5 tasks vs target 10 tasks, +3 tasks since last "
        "week; 50%\n" in emails["member@example.com"].body  # W49's status, no forecast of today's
    )
    body = emails["lead@example.com"].body
    assert "Status: On track 1, At risk 1" in body
    assert "- [At risk] Tia's tasks (Tia Mate): 4 tasks vs target 10 tasks" in body


@time_machine.travel(MONDAY_9AM, tick=False)
def test_running_twice_sends_one_digest_per_user(week_of_data):
    send_weekly_updates(week_start=MONDAY)
    assert len(mail.outbox) == 3
    again = send_weekly_updates(week_start=MONDAY)
    assert len(mail.outbox) == 3
    assert (again.sent, len(again.already_sent)) == ([], 3)
    out = io.StringIO()
    call_command("send_weekly_updates", "--week", "2026-W49", stdout=out)
    assert len(mail.outbox) == 3
    assert "2026-W49 digest: sent 0, already sent 3" in out.getvalue()
    assert DigestDelivery.objects.filter(status="sent", week_start=MONDAY).count() == 3


@time_machine.travel(MONDAY_9AM, tick=False)
def test_a_crashed_workers_claim_is_retried_and_a_live_one_is_not(week_of_data, member, teammate):
    now = dt.datetime.now(tz=dt.UTC)
    # The worker died after claiming Mo's digest an hour ago; another is sending Tia's right now.
    DigestDelivery.objects.create(
        user=member, week_start=MONDAY, claimed_at=now - dt.timedelta(hours=1), attempts=1
    )
    DigestDelivery.objects.create(
        user=teammate, week_start=MONDAY, claimed_at=now - dt.timedelta(minutes=1), attempts=1
    )
    report = send_weekly_updates(week_start=MONDAY)
    assert sorted(report.sent) == ["lead@example.com", "member@example.com"]
    assert report.in_progress == ["mate@example.com"]
    assert sorted(outbox_by_recipient()) == ["lead@example.com", "member@example.com"]
    assert DigestDelivery.objects.get(user=member).attempts == 2


@time_machine.travel(MONDAY_9AM, tick=False)
def test_the_command_shows_its_progress(week_of_data, monkeypatch):
    from goals_project import progress_bars

    monkeypatch.setattr(progress_bars, "LINES_AFTER_SECONDS", 0)
    monkeypatch.setattr(progress_bars, "LINES_EVERY_SECONDS", 0)
    err = io.StringIO()
    call_command("send_weekly_updates", stdout=io.StringIO(), stderr=err)
    assert "Sending weekly digests: 3 of 3 (100%)" in err.getvalue()
    assert len(mail.outbox) == 3


@time_machine.travel(MONDAY_9AM, tick=False)
def test_dry_run_sends_and_records_nothing(week_of_data):
    out = io.StringIO()
    call_command("send_weekly_updates", "--dry-run", stdout=out)
    assert "would send: member@example.com" in out.getvalue()
    assert "2026-W49 digest: would send 3" in out.getvalue()
    assert mail.outbox == []
    assert not DigestDelivery.objects.exists()


def test_a_bad_week_is_refused():
    with pytest.raises(CommandError, match="'2026-48' is not an ISO week: use YYYY-Www"):
        call_command("send_weekly_updates", "--week", "2026-48")
    with pytest.raises(CommandError, match="2026 has no ISO week 54"):
        call_command("send_weekly_updates", "--week", "2026-W54")


@time_machine.travel(MONDAY_9AM, tick=False)
def test_a_user_who_turned_the_digest_off_gets_none(week_of_data, member):
    notification_settings_update(user=member, weekly_digest=False, deliveries={})
    send_weekly_updates(week_start=MONDAY)
    assert "member@example.com" not in outbox_by_recipient()
    assert len(mail.outbox) == 2


@time_machine.travel(MONDAY_9AM, tick=False)
def test_digest_only_support_requests_show_in_the_addressees_digest(
    week_of_data, member, teammate, member_goal
):
    notification_settings_update(
        user=teammate, weekly_digest=True, deliveries={"support_request": "digest"}
    )
    SupportRequest.objects.create(
        goal=member_goal, requester=member, addressee=teammate, message="Your deck please"
    )
    send_weekly_updates(week_start=MONDAY)
    body = outbox_by_recipient()["mate@example.com"].body
    assert "WAITING FOR YOU\n\n- Mo Member on “Close 10 onboarding tasks”: Your deck please" in body


def test_friday_reminder_goes_once_to_who_has_not_checked_in(
    member, teammate, member_goal, teammate_goal
):
    CheckIn.objects.create(
        goal=teammate_goal, user=teammate, week_start=dt.date(2026, 11, 23), confidence=3
    )
    with time_machine.travel(FRIDAY_2PM, tick=False):
        week = dt.date(2026, 11, 23)
        first = send_checkin_reminders(week_start=week)
        second = send_checkin_reminders(week_start=week)
    assert first.sent == ["member@example.com"]
    assert second.sent == [] and second.already_sent == ["member@example.com"]
    assert len(mail.outbox) == 1
    reminder = mail.outbox[0]
    assert reminder.subject == "Reminder: your weekly check-in (2026-W48)"
    assert "- Close 10 onboarding tasks" in reminder.body
    assert "http://127.0.0.1:8000/check-in/" in reminder.alternatives[0].content


@pytest.mark.parametrize("choice", ["digest", "off"])
def test_no_reminder_email_unless_wanted_immediately(member, member_goal, choice):
    notification_settings_update(
        user=member, weekly_digest=True, deliveries={"checkin_reminder": choice}
    )
    with time_machine.travel(FRIDAY_2PM, tick=False):
        report = send_checkin_reminders(week_start=dt.date(2026, 11, 23))
    assert report.sent == []
    assert mail.outbox == []


def test_two_missed_weeks_escalate_to_the_lead(client, lead, member, member_goal):
    # Mo checked in three weeks ago, then missed W47 and W48.
    CheckIn.objects.create(
        goal=member_goal, user=member, week_start=dt.date(2026, 11, 9), confidence=3
    )
    client.force_login(lead)
    with time_machine.travel(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC), tick=False):
        one_week = client.get("/attention/").text  # W48: only W47 missed so far
    with time_machine.travel(dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC), tick=False):
        two_weeks = client.get("/attention/").text  # W49: W47 and W48 missed
        send_weekly_updates(week_start=MONDAY)
    assert "Mo Member" in one_week and "weeks in a row" not in one_week
    assert 'Mo Member <span class="chip behind">2 weeks in a row</span>' in two_weeks
    assert "- Mo Member (2 weeks in a row)" in outbox_by_recipient()["lead@example.com"].body


def test_a_goal_set_up_last_week_was_not_owed_the_week_before(client, lead, member, member_goal):
    # Mo's first goal was set up on Tuesday of W48 and Mo did not check in that week: W48 is
    # missed, W47 owed nothing, so it is one missed week, not two in a row.
    Goal.objects.filter(pk=member_goal.pk).update(
        created_at=dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
    )
    client.force_login(lead)
    with time_machine.travel(dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC), tick=False):
        page = client.get("/attention/").text
        send_weekly_updates(week_start=MONDAY)
    assert "Mo Member" in page and "weeks in a row" not in page
    lead_digest = outbox_by_recipient()["lead@example.com"].body
    assert "- Mo Member" in lead_digest and "weeks in a row" not in lead_digest


@time_machine.travel(dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC), tick=False)
def test_the_queue_lists_goals_that_turned_at_risk_this_week(
    client, lead, week_of_data, teammate_goal
):
    history(teammate_goal, dt.date(2026, 12, 1), 4, 35, Goal.Status.BEHIND, 3)
    Goal.objects.filter(pk=teammate_goal.pk).update(status=Goal.Status.BEHIND)
    client.force_login(lead)
    page = client.get("/attention/").text
    assert 'Turned at risk or behind this week <span class="muted">(1)</span>' in page
    assert "Tia&#x27;s tasks" in page and "was at risk" in page


@time_machine.travel(MONDAY_9AM, tick=False)
def test_the_requester_reads_last_weeks_answers_in_the_digest(
    week_of_data, member, lead, member_goal
):
    answered = SupportRequest.objects.get()
    SupportRequest.objects.filter(pk=answered.pk).update(
        status="resolved",
        reply="Legal signed off",
        resolved_at=dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC),
    )
    send_weekly_updates(week_start=MONDAY)
    body = outbox_by_recipient()["member@example.com"].body
    assert (
        "YOUR REQUESTS FOR HELP\n\n- “Close 10 onboarding tasks”: Resolved – Legal signed off"
        in body
    )
