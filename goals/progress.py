"""Progress, expected progress and status of a goal (DESIGN.md section 4).

Pure functions over numbers and dates, so the recalculation service, the backfill and the pages
all apply the same rules:

- increase/decrease: progress = (current - baseline) / (target - baseline) x 100
  (a decrease goal from 100 to 60 is 50% at 80, 75% at 70 and 125% at 50);
- maintain: 100 while current is at or above target, else current / target x 100;
- task: tasks done / task target x 100; milestone: done weight / total weight x 100;
- status: exceeded (stretch reached), achieved (target reached), else by pace against the
  expected progress (elapsed share of the period): on_track within
  settings.GOAL_STATUS_ON_TRACK_MARGIN points of it, at_risk within
  settings.GOAL_STATUS_AT_RISK_MARGIN points, behind beyond; no_data without a value.

Progress is not clamped: 125% is a real answer for a goal beyond its target.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings

HUNDRED = Decimal(100)
ZERO = Decimal(0)
PLACES = Decimal("0.0001")

INCREASE = "increase"
DECREASE = "decrease"
MAINTAIN = "maintain"

EXCEEDED = "exceeded"
ACHIEVED = "achieved"
ON_TRACK = "on_track"
AT_RISK = "at_risk"
BEHIND = "behind"
NO_DATA = "no_data"


@dataclass(frozen=True)
class GoalState:
    """What a recalculation finds for one goal on one day (the stored precision, 4 places)."""

    value: Decimal | None
    progress: Decimal | None
    expected_progress: Decimal
    status: str


def quantize(number: Decimal | int | None) -> Decimal | None:
    """Round to the stored precision, so that comparing with stored values is exact."""
    if number is None:
        return None
    return (number if type(number) is Decimal else Decimal(number)).quantize(PLACES)


@functools.cache
def expected_progress(*, start: date, end: date, as_of: date) -> Decimal:
    """The share of the period elapsed on `as_of`, in percent, counting whole days inclusively.

    The first day of a quarter expects 1/90 of the way, its last day all of it; before the start
    nothing is expected and after the end everything is. Cached: a recalculation asks the same
    question for every goal of a period.
    """
    total_days = (end - start).days + 1
    elapsed_days = min(max((as_of - start).days + 1, 0), total_days)
    return Decimal(elapsed_days) / Decimal(total_days) * HUNDRED


def metric_progress(
    *, direction: str, baseline: Decimal | None, target: Decimal | None, value: Decimal | None
) -> Decimal | None:
    """Progress of a value from its baseline to its target, in percent (not clamped)."""
    if value is None or target is None:
        return None
    if direction == MAINTAIN:
        if value >= target:
            return HUNDRED
        return value / target * HUNDRED if target else None
    if baseline is None or target == baseline:
        return None
    return (value - baseline) / (target - baseline) * HUNDRED


def count_progress(*, done: Decimal | None, total: Decimal | None) -> Decimal | None:
    """Tasks done over the task target, or done milestone weight over the total weight."""
    if done is None or not total:
        return None
    return Decimal(done) / Decimal(total) * HUNDRED


def weighted_progress(children: list[tuple[Decimal | None, Decimal]]) -> Decimal | None:
    """A roll-up: the weighted average of the children's progress (those without data skipped)."""
    known = [(progress, weight) for progress, weight in children if progress is not None]
    total_weight = sum((weight for _, weight in known), ZERO)
    if not total_weight:
        return None
    return sum((progress * weight for progress, weight in known), ZERO) / total_weight


def reached(*, direction: str, value: Decimal, mark: Decimal) -> bool:
    """Whether a value has reached a mark (a target or stretch) in the goal's direction."""
    return value <= mark if direction == DECREASE else value >= mark


def goal_status(
    *,
    progress: Decimal | None,
    expected: Decimal,
    value: Decimal | None = None,
    direction: str = INCREASE,
    stretch_target: Decimal | None = None,
) -> str:
    """The status for a progress against the expected progress (see the module docstring)."""
    if progress is None:
        return NO_DATA
    if (
        stretch_target is not None
        and value is not None
        and reached(direction=direction, value=value, mark=stretch_target)
    ):
        return EXCEEDED
    if progress >= HUNDRED:
        return ACHIEVED
    gap = expected - progress
    if gap <= Decimal(settings.GOAL_STATUS_ON_TRACK_MARGIN):
        return ON_TRACK
    if gap <= Decimal(settings.GOAL_STATUS_AT_RISK_MARGIN):
        return AT_RISK
    return BEHIND


def goal_state(
    *,
    value: Decimal | None,
    progress: Decimal | None,
    start: date,
    end: date,
    as_of: date,
    direction: str = INCREASE,
    stretch_target: Decimal | None = None,
) -> GoalState:
    """Value, progress, expected progress and status, rounded to the stored precision."""
    value, progress = quantize(value), quantize(progress)
    expected = quantize(expected_progress(start=start, end=end, as_of=as_of))
    status = goal_status(
        progress=progress,
        expected=expected,
        value=value,
        direction=direction,
        stretch_target=stretch_target,
    )
    return GoalState(value=value, progress=progress, expected_progress=expected, status=status)


def goal_window(*, start: date, end: date, today: date) -> tuple[date, date] | None:
    """A goal's metric window: [period start, min(today, period end)]; None before the start."""
    if today < start:
        return None
    return start, min(today, end)
