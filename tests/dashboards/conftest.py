"""A quarter of a team's goals, with history and contributions, as the engine would leave them."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from goals.models import ContributionSnapshot, Goal, ProgressHistory
from tests.factories import GoalFactory, GoalPeriodFactory

TODAY = dt.date(2026, 11, 16)
Q4_START = dt.date(2026, 10, 1)
Q4_END = dt.date(2026, 12, 31)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Many users per test: the production hasher's deliberate slowness only costs time here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def quarter(db):
    return GoalPeriodFactory(name="Q4 2026", start=Q4_START, end=Q4_END, status="active")


@pytest.fixture
def last_quarter(db):
    return GoalPeriodFactory(
        name="Q3 2026", start=dt.date(2026, 7, 1), end=dt.date(2026, 9, 30), status="completed"
    )


def add_history(goal: Goal, values: list[tuple[dt.date, str]]) -> None:
    """Daily history rows, one calc_version each, as recalculations would write them."""
    ProgressHistory.objects.bulk_create(
        ProgressHistory(
            goal=goal,
            as_of=day,
            value=Decimal(value),
            progress=Decimal(value),
            expected_progress=None,
            status=goal.status,
            recorded_at=timezone.make_aware(dt.datetime.combine(day, dt.time(6))),
            calc_version=index + 1,
        )
        for index, (day, value) in enumerate(values)
    )


def metric_goal(team, period, *, owner=None, name, metric_key="nrr", **calculated) -> Goal:
    defaults = {
        "baseline": Decimal("100"),
        "target": Decimal("105"),
        "stretch_target": Decimal("108"),
        "current_value": Decimal("103.7"),
        "progress": Decimal("74"),
        "expected_progress": Decimal("50.5"),
        "status": Goal.Status.ON_TRACK,
        "last_calculated_at": timezone.now(),
    }
    defaults.update(calculated)
    return GoalFactory(
        team=team,
        period=period,
        owner=owner,
        name=name,
        goal_type=Goal.Type.METRIC,
        metric_key=metric_key,
        task_target=None,
        **defaults,
    )


def contribution(goal, member, *, points, member_value, denominator, share, individual=None):
    return ContributionSnapshot.objects.create(
        goal=goal,
        member=member,
        individual_goal=individual,
        as_of=TODAY,
        points=Decimal(points),
        member_value=Decimal(member_value),
        denominator=Decimal(denominator),
        share=Decimal(share),
        numerator=Decimal(member_value) * Decimal(denominator) / 100,
    )


@pytest.fixture
def book(team, quarter, lead, member, teammate):
    """A team NRR goal, Mo's own NRR goal (at risk) and both members' contributions."""
    team_nrr = metric_goal(team, quarter, name="Team NRR", current_value=Decimal("103.7"))
    mine = metric_goal(
        team,
        quarter,
        owner=member,
        name="Mo NRR",
        current_value=Decimal("104.2"),
        status=Goal.Status.AT_RISK,
    )
    add_history(mine, [(TODAY - dt.timedelta(days=d), f"{104 + d / 10:.1f}") for d in range(5)])
    contribution(
        team_nrr,
        member,
        points="38.1",
        member_value="104.2",
        denominator="1200000",
        share="0.3656",
        individual=mine,
    )
    contribution(
        team_nrr,
        teammate,
        points="65.6",
        member_value="103.4",
        denominator="2082000",
        share="0.6344",
    )
    return {"team_nrr": team_nrr, "mine": mine}
