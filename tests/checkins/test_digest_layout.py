"""A lead's weekly digest reads like a report: per team a table of goals, worst first, each with
a coloured status chip (inline styles), value against target and the change since last week in
the goal's own unit, and a link; movers ranked by that change; the same facts in plain text."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine

from checkins.digest import digest_email
from goals.models import Goal, GoalPeriod, ProgressHistory
from goals.services import goal_create

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]

MONDAY = dt.date(2026, 11, 30)  # ISO 2026-W49
MONDAY_9AM = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def week(goal: Goal, before, now, status: str, progress=None) -> Goal:
    """The goal's value a week before Monday and on Monday (its history), and its stored state."""
    for version, (day, value) in enumerate(
        ((dt.date(2026, 11, 23), before), (dt.date(2026, 11, 30), now)), start=1
    ):
        ProgressHistory.objects.create(
            goal=goal,
            as_of=day,
            value=Decimal(str(value)),
            progress=progress,
            status=status,
            recorded_at=dt.datetime.combine(day, dt.time(6), tzinfo=dt.UTC),
            calc_version=version,
        )
    Goal.objects.filter(pk=goal.pk).update(
        current_value=Decimal(str(now)), progress=progress, status=status, calc_version=2
    )
    return goal


@pytest.fixture
def team_goals(quarter, team, lead, member, teammate):
    GoalPeriod.objects.filter(pk=quarter.pk).update(status="active")
    common = {"period": quarter, "goal_type": "metric", "created_by": lead}
    with time_machine.travel("2026-11-01 12:00Z", tick=False):
        nrr = goal_create(
            team=team,
            name="Enterprise NRR",
            metric_key="nrr",
            baseline="100",
            target="104",
            **common,
        )
        floor = goal_create(
            team=team,
            name="Keep gross retention above 90%",
            metric_key="grr",
            direction="maintain",
            target="90",
            **common,
        )
        qbrs = goal_create(
            team=team, name="QBR completion", metric_key="qbr_completion", target="90", **common
        )
        onboarding = goal_create(
            owner=member,
            name="Onboarding time",
            unit="days",
            direction="decrease",
            baseline="45",
            target="30",
            **common,
        )
        tasks = goal_create(
            period=quarter,
            owner=teammate,
            name="Workshops",
            goal_type="task",
            task_target=8,
            created_by=lead,
        )
    week(nrr, "101.5", "102", "at_risk", Decimal("50"))
    week(floor, "90.2", "88.1", "behind", Decimal(0))
    week(qbrs, "67.6", "76.1", "on_track", Decimal("84.6"))
    week(onboarding, "41", "38", "at_risk", Decimal("46.7"))
    week(tasks, "2", "4", "on_track", Decimal(50))
    return nrr, floor, qbrs, onboarding, tasks


@time_machine.travel(MONDAY_9AM, tick=False)
def test_a_leads_digest_is_a_table_per_team_with_changes_in_each_goals_unit(lead, team_goals):
    nrr, floor, qbrs, onboarding, tasks = team_goals
    message = digest_email(lead, MONDAY)
    text = message.body
    html = message.alternatives[0].content

    team = text[text.index("TEAM ENTERPRISE") :]
    lines = [line for line in team.splitlines() if line.startswith("- [")]
    assert lines[:2] == [
        "- [Behind] Keep gross retention above 90%: 88.1% vs target floor 90%, -2.1 pts since "
        "last week; 1.9 pts under the 90% floor",
        "- [At risk] Enterprise NRR: 102.0% vs target 104%, +0.5 pts since last week; 50%",
    ]
    assert (
        "- [At risk] Onboarding time (Mo Member): 38.0 days vs target 30 days, -3.0 days since "
        "last week; 47%" in team
    )
    assert "- [On track] Workshops (Tia Mate): 4 tasks vs target 8 tasks, +2 tasks" in team
    assert f"  http://127.0.0.1:8000/goals/{floor.pk}/" in team
    # Movers by the size of their change in their own unit, not "-197.71 points of progress".
    movers = team[team.index("Biggest movers:") :].splitlines()[1:4]
    assert movers == [
        "- QBR completion: +8.5 pts to 76.1%",
        "- Onboarding time (Mo Member): -3.0 days to 38.0 days",
        "- Keep gross retention above 90%: -2.1 pts to 88.1%",
    ]
    assert "points of progress" not in text

    # The HTML part says the same, with inline-styled chips and a link per goal.
    assert re.search(
        r'<span style="display:inline-block;[^"]*background:#fde7e5;color:#b42318[^"]*">'
        r"Behind</span>",
        html,
    )
    assert f'<a href="http://127.0.0.1:8000/goals/{qbrs.pk}/"' in html
    assert ">88.1%<br>" in html and "floor 90%</span>" in html
    assert ">+8.5 pts</td>" in html and ">-3.0 days</td>" in html
    assert "<style" not in html and "class=" not in html  # nothing an email client drops
