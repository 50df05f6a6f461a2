"""Early warnings (goals/early_warning.py): a goal whose trend leads away from its target is
warned while its pace status still looks fine, once a week at most, with the numbers."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
import time_machine

from goals.early_warning import raise_early_warnings
from goals.models import EarlyWarning, Goal
from goals.recalc import backfill_history, recalculate_goals
from goals.services import goal_create, period_create
from tests.builders import customer

pytestmark = pytest.mark.django_db
START = date(2026, 1, 1)


def _at(day: date):
    return time_machine.travel(f"{day.isoformat()} 12:00Z", tick=False)


@pytest.fixture
def sliding_book(member):
    """Ten accounts of 1,000: one expands to 1,320 on 5 January (NRR 103.2 %), then every
    three days one contracts by 10-30 (NRR slides about 0.07 points a day towards 99 %)."""
    accounts = [customer(member, {START: 1000}, name=f"Account {n}") for n in range(10)]
    accounts[0].arr_records.create(effective_date=date(2026, 1, 5), arr=1320)
    arr = {account.pk: 1000 for account in accounts[1:]}
    day, step = date(2026, 1, 8), 0
    while day <= date(2026, 3, 31):
        account = accounts[1 + step % 9]
        arr[account.pk] -= 10 + 10 * (step % 3)
        account.arr_records.create(effective_date=day, arr=arr[account.pk])
        day, step = day + timedelta(days=3), step + 1
    return accounts


@pytest.fixture
def nrr_goal(member, lead, sliding_book):
    with _at(date(2026, 1, 10)):
        q1 = period_create(
            name="Q1 2026", period_type="quarterly", start=START, end=date(2026, 3, 31)
        )
        goal = goal_create(
            period=q1,
            owner=member,
            name="Grow NRR",
            goal_type="metric",
            metric_key="nrr",
            baseline="100",
            target="104",
            created_by=lead,
        )
        backfill_history([goal.pk])
    return goal


def test_a_goal_sliding_away_is_warned_before_its_status_turns_and_only_once(nrr_goal):
    warned_on, statuses = None, {}
    day = date(2026, 1, 11)
    while day <= date(2026, 3, 20):
        with _at(day):
            recalculate_goals([nrr_goal.pk])
            new = raise_early_warnings([nrr_goal.pk])
        goal = Goal.objects.get(pk=nrr_goal.pk)
        statuses[day] = goal.status
        if new and warned_on is None:
            warned_on = day
            assert goal.status in (Goal.Status.ON_TRACK, Goal.Status.AT_RISK)
            assert goal.forecast_target_probability < 30
            line = new[0].reason
            assert line.startswith("Trend lands at ")
            assert "vs target 104%" in line and "% chance)" in line
            assert "accounts contracted or churned in the last 30 days: Account " in line
        day += timedelta(days=1)
    assert warned_on is not None, statuses
    turned = min(d for d, status in statuses.items() if status == Goal.Status.BEHIND)
    assert warned_on < turned
    # Warned once in the first week, then at most once a week: never two within seven days.
    days = sorted(EarlyWarning.objects.values_list("raised_at", flat=True))
    assert all(later - earlier >= timedelta(days=7) for earlier, later in pairwise(days))
    assert (
        EarlyWarning.objects.filter(raised_at__date__lt=warned_on + timedelta(days=7)).count() == 1
    )


def test_no_warning_once_behind_or_for_a_closed_period_or_a_likely_goal(nrr_goal):
    with _at(date(2026, 3, 25)):
        recalculate_goals([nrr_goal.pk])
        goal = Goal.objects.get(pk=nrr_goal.pk)
        assert goal.status == Goal.Status.BEHIND
        assert raise_early_warnings([goal.pk]) == []
    Goal.objects.filter(pk=goal.pk).update(status=Goal.Status.ON_TRACK)
    with _at(date(2026, 4, 2)):  # the period is over
        assert raise_early_warnings([goal.pk]) == []
    with _at(date(2026, 3, 25)):
        Goal.objects.filter(pk=goal.pk).update(forecast_target_probability=45)
        assert raise_early_warnings([goal.pk]) == []


def test_a_maintain_floor_is_warned_in_its_own_words(nrr_goal):
    Goal.objects.filter(pk=nrr_goal.pk).update(
        direction=Goal.Direction.MAINTAIN,
        target=100,
        status=Goal.Status.AT_RISK,
        forecast_value="99.4",
        forecast_target_probability="12",
    )
    with _at(date(2026, 2, 20)):
        (warning,) = raise_early_warnings([nrr_goal.pk])
    assert warning.reason.startswith("Trend ends at 99.4%, below the floor of 100% (12% chance it")
