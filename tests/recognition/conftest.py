"""Goals that reach their targets, for the recognition tests (in `quarter`, Q4 2026, from
tests/conftest.py)."""

from decimal import Decimal

import pytest

from goals.models import Goal
from goals.signals import goal_status_changed

from ..factories import GoalFactory


@pytest.fixture
def member_goal(quarter, team, member):
    return GoalFactory(
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


@pytest.fixture
def team_goal(quarter, team, lead, member, teammate):
    return GoalFactory(
        period=quarter,
        team=team,
        name="Team NRR",
        goal_type=Goal.Type.METRIC,
        metric_key="nrr",
        baseline=Decimal("100"),
        target=Decimal("105"),
        stretch_target=Decimal("110"),
    )


def reach(goal: Goal, status: str, value: str = "85", old_status: str = "on_track") -> None:
    """What the engine does when a recalculation changes a goal's status: store it, then send."""
    goal.status = status
    goal.current_value = Decimal(value)
    goal.save(update_fields=["status", "current_value"])
    goal_status_changed.send(sender=Goal, goal=goal, old_status=old_status, new_status=status)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Every factory user gets a password; hashing it for real would dominate these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
