"""Goals that reach their targets, for the recognition tests (in `quarter`, Q4 2026, from
tests/conftest.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Max
from django.utils import timezone

from goals.models import Goal, ProgressHistory
from goals.signals import goal_status_changed

from ..factories import GoalFactory


def set_at_quarter_start(goal: Goal) -> Goal:
    """The goals of these tests exist from their quarter's start (their history may go back to
    it: an achievement needs the goal to cross its target while it exists)."""
    start = timezone.make_aware(dt.datetime.combine(goal.period.start, dt.time.min))
    start = min(start, timezone.now() - dt.timedelta(seconds=1))  # whatever the clock says
    Goal.objects.filter(pk=goal.pk).update(created_at=start)
    goal.created_at = start
    return goal


@pytest.fixture
def member_goal(quarter, team, member):
    return set_at_quarter_start(
        GoalFactory(
            period=quarter,
            team=team,
            owner=member,
            name="QBR completion",
            goal_type=Goal.Type.METRIC,
            metric_key="qbr_completion",
            baseline=Decimal("50"),
            target=Decimal("80"),
            stretch_target=Decimal("90"),
        )
    )


@pytest.fixture
def team_goal(quarter, team, lead, member, teammate):
    return set_at_quarter_start(
        GoalFactory(
            period=quarter,
            team=team,
            name="Team NRR",
            goal_type=Goal.Type.METRIC,
            metric_key="nrr",
            baseline=Decimal("100"),
            target=Decimal("105"),
            stretch_target=Decimal("110"),
        )
    )


def recalculated(goal: Goal, status: str, value: str = "85", old_status: str = "on_track"):
    """What a recalculation stores when it changes a goal's status: the goal's new status and
    a history row (a goal without history first gets a row of `old_status`: the earlier run
    that saw it there)."""
    now = timezone.now()
    versions = ProgressHistory.objects.filter(goal=goal).aggregate(last=Max("calc_version"))
    version = versions["last"] or 0
    rows = [] if version else [(old_status, goal.current_value)]
    for row_status, row_value in [*rows, (status, Decimal(value))]:
        version += 1
        ProgressHistory.objects.create(
            goal=goal,
            as_of=timezone.localdate(),
            value=row_value,
            status=row_status,
            recorded_at=now,
            calc_version=version,
        )
    goal.status = status
    goal.current_value = Decimal(value)
    goal.save(update_fields=["status", "current_value"])


def reach(goal: Goal, status: str, value: str = "85", old_status: str = "on_track") -> None:
    """What the engine does when a recalculation changes a goal's status: store it (see
    recalculated), then send the signal."""
    recalculated(goal, status, value, old_status)
    goal_status_changed.send(sender=Goal, goal=goal, old_status=old_status, new_status=status)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Every factory user gets a password; hashing it for real would dominate these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
