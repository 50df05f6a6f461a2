"""Builders shared by the goals-engine tests: a quarter, customers with ARR, goals."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from goals.comparison import shift_months
from goals.models import Goal, GoalPeriod
from goals.services import goal_create, period_create
from tests.metrics.builders import customer

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def quarter(name: str = "Q1 2026", start: date = Q1[0], end: date = Q1[1], **kwargs) -> GoalPeriod:
    return period_create(name=name, period_type="quarterly", start=start, end=end, **kwargs)


def book(csm, *arrs: tuple[int, int], start: date = Q1[0], change: date = date(2026, 2, 1)):
    """Customers of `csm`, each with ARR `first` from `start` and `second` from `change`."""
    return [customer(csm, {start: first, change: second}) for first, second in arrs]


def nrr_goal(period, *, by, owner=None, team=None, parent=None, target="110", baseline="100", **kw):
    return goal_create(
        period=period,
        name=kw.pop("name", "Grow NRR"),
        goal_type="metric",
        metric_key="nrr",
        created_by=by,
        owner=owner,
        team=team,
        parent=parent,
        baseline=baseline,
        target=target,
        **kw,
    )


def this_quarter_nrr_goal(lead, member) -> tuple[Goal, object]:
    """A member's NRR goal (baseline 100, target 110) for the current calendar quarter on one
    customer with ARR 1000 from the quarter's start: the worker and broker-down drills' setup."""
    today = timezone.localdate()
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = shift_months(start, 3) - timedelta(days=1)
    acme = customer(member, {start: 1000})
    period = period_create(name="This quarter", period_type="quarterly", start=start, end=end)
    goal = goal_create(
        period=period,
        name="NRR",
        goal_type="metric",
        metric_key="nrr",
        owner=member,
        baseline="100",
        target="110",
        created_by=lead,
    )
    return goal, acme


def member_metric_goal(owner, *, by, name: str, period=None, **fields) -> Goal:
    """A metric goal of `owner` in `period` (a new Q1 2026 by default): on a metric with
    metric_key=..., else one measured by hand (unit=...)."""
    return goal_create(
        period=period or quarter(),
        owner=owner,
        name=name,
        goal_type="metric",
        created_by=by,
        **fields,
    )


def task_goal(period, team, name: str, tasks: int, *, by, **fields) -> Goal:
    """A goal of `team` to finish `tasks` tasks (an individual one with owner=...)."""
    return goal_create(
        period=period,
        team=team,
        name=name,
        goal_type="task",
        task_target=tasks,
        created_by=by,
        **fields,
    )


def D(value) -> Decimal:
    return Decimal(str(value))


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Factories give every user a password; hashing it properly would dominate these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
