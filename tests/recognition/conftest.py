"""Goals that reach their targets, for the recognition tests (in `quarter`, Q4 2026, from
tests/conftest.py)."""

from decimal import Decimal

import pytest

from goals.models import Goal
from tests.builders import GoalFactory, set_at_quarter_start


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
