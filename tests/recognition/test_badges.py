"""Badge rules over the data, with frozen time; awards are idempotent and can be switched off."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from checkins.models import CheckIn, SupportRequest
from goals.models import ContributionSnapshot, Goal
from goals.signals import goals_recalculated
from notifications.models import Notification
from recognition.models import BadgeAward, BadgeSetting
from recognition.services import badges_award
from recognition.tasks import badges_award_daily
from tests.builders import GoalFactory, GoalPeriodFactory, reach, recalculated


def badges(user):
    return sorted(BadgeAward.objects.filter(user=user).values_list("badge", "scope"))


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


@pytest.mark.sqlite_parity
def test_first_goal_is_awarded_once_with_when_and_why(member_goal, member):
    with time_machine.travel(at(dt.date(2026, 11, 20)), tick=False):
        reach(member_goal, Goal.Status.ACHIEVED)

    assert badges_award(today=dt.date(2026, 11, 19)) == []  # not yet achieved on that day
    assert len(badges_award(today=dt.date(2026, 11, 20))) == 1
    assert badges_award(today=dt.date(2026, 11, 21)) == []

    award = BadgeAward.objects.get(user=member)
    assert (award.badge, award.earned_on) == ("first_goal", dt.date(2026, 11, 20))
    assert award.reason == "First goal achieved: “QBR completion” (Q4 2026)."
    assert Notification.objects.filter(user=member, kind="badge").get().title == (
        "You earned the badge “First goal”"
    )


def test_stretch_achiever_once_per_period(quarter, team, member):
    next_quarter = GoalPeriodFactory(
        name="Q1 2027", start=dt.date(2027, 1, 1), end=dt.date(2027, 3, 31)
    )
    for period in (quarter, quarter, next_quarter):
        reach(GoalFactory(period=period, team=team, owner=member), Goal.Status.EXCEEDED)

    with time_machine.travel(at(dt.date(2027, 4, 2)), tick=False):
        badges_award()

    stretch = [scope for badge, scope in badges(member) if badge == "stretch_achiever"]
    assert stretch == sorted([f"period:{quarter.pk}", f"period:{next_quarter.pk}"])


def quarters(*starts):
    return [
        GoalPeriodFactory(
            name=f"Q {start:%Y-%m}",
            start=start,
            end=(start.replace(day=28) + dt.timedelta(days=70)).replace(day=1)
            - dt.timedelta(days=1),
        )
        for start in starts
    ]


@pytest.mark.parametrize(
    ("achieved_in", "expected"), [((0, 1, 2), True), ((0, 1, 3), False), ((1, 2, 3), True)]
)
def test_three_periods_in_a_row(team, member, achieved_in, expected):
    periods = quarters(
        dt.date(2027, 1, 1), dt.date(2027, 4, 1), dt.date(2027, 7, 1), dt.date(2027, 10, 1)
    )
    for index in achieved_in:
        with time_machine.travel(at(periods[index].start + dt.timedelta(days=30)), tick=False):
            reach(GoalFactory(period=periods[index], team=team, owner=member), "achieved")

    badges_award(today=dt.date(2028, 1, 5))

    awarded = BadgeAward.objects.filter(user=member, badge="three_in_a_row").first()
    assert (awarded is not None) == expected
    if expected:
        assert awarded.reason.startswith("Goals achieved three quarterly periods in a row")


def checkins(goal, user, mondays):
    for monday in mondays:
        CheckIn.objects.create(goal=goal, user=user, week_start=monday, confidence=4)


@pytest.mark.sqlite_parity
def test_checkin_streaks_count_consecutive_weeks_up_to_today(member_goal, member):
    first = dt.date(2026, 10, 5)
    weeks = [first + dt.timedelta(weeks=n) for n in range(9)]
    checkins(member_goal, member, weeks[:8])  # eight weeks in a row
    checkins(member_goal, member, [weeks[8] + dt.timedelta(weeks=2)])  # after a gap

    badges_award(today=weeks[5])  # only six weeks have happened by then
    assert [badge for badge, _ in badges(member)] == ["checkin_streak_4"]

    with time_machine.travel(at(dt.date(2026, 12, 30)), tick=False):
        badges_award()
    assert [badge for badge, _ in badges(member)] == ["checkin_streak_4", "checkin_streak_8"]
    eight = BadgeAward.objects.get(user=member, badge="checkin_streak_8")
    assert eight.earned_on == weeks[7]
    assert eight.reason == "Checked in 8 weeks in a row (weeks of 05 Oct 2026 to 23 Nov 2026)."


def test_two_checkins_in_one_week_count_once(quarter, team, member):
    goals = [GoalFactory(period=quarter, team=team, owner=member) for _ in range(2)]
    monday = dt.date(2026, 10, 5)
    for goal in goals:
        checkins(goal, member, [monday + dt.timedelta(weeks=n) for n in range(3)])
    badges_award(today=dt.date(2026, 12, 1))
    assert badges(member) == []


@pytest.mark.sqlite_parity
def test_top_contributor_of_a_completed_period(team, member, teammate):
    period = GoalPeriodFactory(
        name="Q3 2026", start=dt.date(2026, 7, 1), end=dt.date(2026, 9, 30), status="completed"
    )
    nrr = GoalFactory(period=period, team=team, name="NRR", goal_type="metric", metric_key="nrr")
    grr = GoalFactory(period=period, team=team, name="GRR", goal_type="metric", metric_key="grr")
    for goal, member_points, teammate_points in ((nrr, "60", "45"), (grr, "40", "52")):
        for person, points in ((member, member_points), (teammate, teammate_points)):
            ContributionSnapshot.objects.create(
                goal=goal, member=person, as_of=period.end, points=Decimal(points)
            )
            # Earlier snapshots do not count: each goal's last day of the period does.
            ContributionSnapshot.objects.create(
                goal=goal, member=person, as_of=dt.date(2026, 8, 1), points=Decimal("99")
            )

    # As after a recalculation (only the team's people): the same ranking as the daily job's.
    badges_award(today=dt.date(2026, 10, 1), user_ids=[member.pk, teammate.pk])
    assert badges_award(today=dt.date(2026, 10, 1)) == []

    assert BadgeAward.objects.filter(badge="top_contributor").get().user == member
    award = BadgeAward.objects.get(badge="top_contributor")
    assert award.reason == "Top contributor of Enterprise in Q3 2026 (100.0 points)."
    assert award.earned_on == dt.date(2026, 9, 30)


def test_active_period_has_no_top_contributor_yet(quarter, team, member):
    nrr = GoalFactory(period=quarter, team=team, goal_type="metric", metric_key="nrr")
    ContributionSnapshot.objects.create(
        goal=nrr, member=member, as_of=dt.date(2026, 11, 1), points=Decimal("50")
    )
    badges_award(today=dt.date(2026, 11, 2))
    assert not BadgeAward.objects.filter(badge="top_contributor").exists()


def test_helper_after_three_resolved_requests_of_teammates(member_goal, member, teammate):
    for day in (3, 10, 17):
        SupportRequest.objects.create(
            goal=member_goal,
            requester=member,
            message="Help",
            status="resolved",
            replied_by=teammate,
            resolved_by=member,
            resolved_at=timezone.make_aware(dt.datetime(2026, 11, day, 12)),
        )
    SupportRequest.objects.create(
        goal=member_goal,
        requester=teammate,
        message="Own",
        status="resolved",
        resolved_by=teammate,
        resolved_at=timezone.make_aware(dt.datetime(2026, 11, 18, 12)),
    )

    badges_award(today=dt.date(2026, 11, 16))
    assert badges(teammate) == []
    badges_award(today=dt.date(2026, 11, 20))
    award = BadgeAward.objects.get(user=teammate)
    assert (award.badge, award.earned_on) == ("helper", dt.date(2026, 11, 17))


def test_a_badge_switched_off_is_not_awarded(member_goal, member):
    BadgeSetting.objects.create(badge="first_goal", enabled=False)
    reach(member_goal, Goal.Status.ACHIEVED)

    badges_award_daily()

    assert badges(member) == []


def test_the_recalculation_signal_awards_badges(
    member_goal, member, django_capture_on_commit_callbacks
):
    recalculated(member_goal, Goal.Status.ACHIEVED)  # its status signal was lost
    with django_capture_on_commit_callbacks(execute=True):
        goals_recalculated.send(sender=Goal, goal_ids=[member_goal.pk])
    with django_capture_on_commit_callbacks(execute=True):
        goals_recalculated.send(sender=Goal, goal_ids=[member_goal.pk])

    assert badges(member) == [("first_goal", "")]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("member", 200), ("teammate", 200), ("admin_user", 200), ("other_member", 404)],
)
def test_badges_page(client, request, member_goal, member, persona, expected):
    reach(member_goal, Goal.Status.ACHIEVED)
    badges_award()
    client.force_login(request.getfixturevalue(persona))

    response = client.get(f"/recognition/people/{member.pk}/badges/")

    assert response.status_code == expected
    if expected == 200:
        page = response.content.decode()
        assert "First goal" in page
        assert "First goal achieved: “QBR completion” (Q4 2026)." in page


def test_the_command_awards_as_of_a_date_and_names_a_bad_one(member_goal, member):
    with time_machine.travel(at(dt.date(2026, 11, 20)), tick=False):
        reach(member_goal, Goal.Status.ACHIEVED)
    out = io.StringIO()
    call_command("award_badges", "--today", "2026-11-20", stdout=out)
    assert out.getvalue().strip() == "1 new badge(s) awarded."
    with pytest.raises(CommandError, match="--today: 'soon' is not a date"):
        call_command("award_badges", "--today", "soon")
