"""A quarter of a team's goals, with history and contributions, as the engine would leave them."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from goals.models import Goal
from tests.builders import (
    Q4_END,
    Q4_START,
    TODAY,
    GoalPeriodFactory,
    add_history,
    calculated_goal,
    contribution,
)


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


@pytest.fixture
def book(team, quarter, lead, member, teammate):
    """A team NRR goal, Mo's own NRR goal (at risk) and both members' contributions."""
    team_nrr = calculated_goal(team, quarter, name="Team NRR", current_value=Decimal("103.7"))
    mine = calculated_goal(
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
