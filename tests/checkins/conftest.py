"""Goals to check in on, for the check-in tests. Times are frozen with time_machine where the week
matters; the default week is ISO 2026-W48 (Monday 23 November 2026), in `quarter` (Q4 2026, from
tests/conftest.py)."""

import pytest

from goals.models import Goal
from tests.builders import GoalFactory


@pytest.fixture
def member_goal(quarter, team, member):
    return GoalFactory(
        period=quarter, team=team, owner=member, name="Close 10 onboarding tasks", task_target=10
    )


def metric_goal(quarter, team, owner, *, name: str, metric_key: str, baseline, target) -> Goal:
    """A metric goal of `owner` in `quarter`; metric_key "" is one whose values are entered."""
    return GoalFactory(
        period=quarter,
        team=team,
        owner=owner,
        name=name,
        goal_type=Goal.Type.METRIC,
        metric_key=metric_key,
        baseline=baseline,
        target=target,
        task_target=None,
    )


@pytest.fixture
def manual_metric_goal(quarter, team, member):
    return metric_goal(
        quarter, team, member, name="Customer health score", metric_key="", baseline=50, target=80
    )


@pytest.fixture
def nrr_goal(quarter, team, member):
    return metric_goal(
        quarter, team, member, name="My NRR", metric_key="nrr", baseline=100, target=110
    )


@pytest.fixture
def team_goal(quarter, team):
    return GoalFactory(period=quarter, team=team, name="Team onboarding", task_target=40)


@pytest.fixture
def teammate_goal(quarter, team, teammate):
    return GoalFactory(period=quarter, team=team, owner=teammate, name="Tia's tasks")


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
