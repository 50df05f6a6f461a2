"""Progress, expected progress and status of a goal (DESIGN.md section 4).

Pure functions over numbers and dates, so the recalculation service, the backfill and the pages
all apply the same rules:

- increase/decrease: progress = (current - start) / (target - start) x 100, where the start is
  the baseline for a *level* metric (a decrease goal from 100 to 60 is 50% at 80, 75% at 70 and
  125% at 50) and the metric's range floor (0) for an *accumulating* one, whose period-to-date
  value fills up from 0 every period (QBR completion);
- maintain: a floor (hold at or above the target) or a ceiling (at or below): progress is 100
  while it holds and 0 once breached (pages show the breach in the metric's unit);
- task: tasks done / task target x 100; milestone: done weight / total weight x 100;
- expected progress: the elapsed share of the period, or for an accumulating metric the share
  of its period value the metric's pace expects by now (metrics.registry);
- status of increase/decrease/task/milestone goals: exceeded (stretch reached), achieved
  (target reached), else by pace against the expected progress: on_track within
  settings.GOAL_STATUS_ON_TRACK_MARGIN points of it, at_risk within
  settings.GOAL_STATUS_AT_RISK_MARGIN points, behind beyond; no_data without a value;
- status of maintain goals (maintain_status): behind as soon as the value is on the wrong side;
  at_risk while it holds but the forecast's end value or the near edge of its 80% band is on
  the wrong side; exceeded beyond the stretch; otherwise on_track; achieved (or exceeded) only
  once the period is over and the value held at its end. Pace does not apply.

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

# The side a maintain goal keeps.
FLOOR = "floor"
CEILING = "ceiling"

EXCEEDED = "exceeded"
ACHIEVED = "achieved"
ON_TRACK = "on_track"
AT_RISK = "at_risk"
BEHIND = "behind"
NO_DATA = "no_data"
REACHED = (ACHIEVED, EXCEEDED)


@dataclass(frozen=True)
class GoalState:
    """What a recalculation finds for one goal on one day (the stored precision, 4 places).
    A maintain goal has no expected progress: it holds or it does not."""

    value: Decimal | None
    progress: Decimal | None
    expected_progress: Decimal | None
    status: str


@dataclass(frozen=True)
class Outlook:
    """The stored forecast a maintain goal's status reads: the central end value and the 80%
    band (see goals.forecast)."""

    value: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None


def quantize(number: Decimal | int | None) -> Decimal | None:
    """Round to the stored precision, so that comparing with stored values is exact."""
    if number is None:
        return None
    return (number if type(number) is Decimal else Decimal(number)).quantize(PLACES)


@functools.cache
def expected_progress(
    *, start: date, end: date, as_of: date, share: Decimal | None = None
) -> Decimal:
    """The share of the period elapsed on `as_of`, in percent, counting whole days inclusively;
    or `share` x 100 when the caller knows better (an accumulating metric's pace).

    The first day of a quarter expects 1/90 of the way, its last day all of it; before the start
    nothing is expected and after the end everything is. Cached: a recalculation asks the same
    question for every goal of a period.
    """
    if share is not None:
        return share * HUNDRED
    total_days = (end - start).days + 1
    elapsed_days = min(max((as_of - start).days + 1, 0), total_days)
    return Decimal(elapsed_days) / Decimal(total_days) * HUNDRED


def holds(*, value: Decimal, mark: Decimal, side: str) -> bool:
    """Whether a maintain goal's value is on the right side of a mark (its target or stretch)."""
    return value <= mark if side == CEILING else value >= mark


def metric_progress(
    *,
    direction: str,
    baseline: Decimal | None,
    target: Decimal | None,
    value: Decimal | None,
    side: str = FLOOR,
    origin: Decimal | None = None,
) -> Decimal | None:
    """Progress of a value towards its target, in percent (not clamped): from the baseline, or
    from `origin` for an accumulating metric (where every period starts); 100 or 0 for a
    maintain goal (holding or breached)."""
    if value is None or target is None:
        return None
    if direction == MAINTAIN:
        return HUNDRED if holds(value=value, mark=target, side=side) else ZERO
    start = origin if origin is not None else baseline
    if start is None or target == start:
        return None
    return (value - start) / (target - start) * HUNDRED


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


def maintain_status(
    *,
    value: Decimal | None,
    target: Decimal | None,
    side: str = FLOOR,
    stretch_target: Decimal | None = None,
    outlook: Outlook | None = None,
    closed: bool = False,
) -> str:
    """The status of a maintain goal (see the module docstring). `closed`: the period is over,
    so holding at its end is the achievement."""
    if value is None or target is None:
        return NO_DATA
    if not holds(value=value, mark=target, side=side):
        return BEHIND
    beyond_stretch = stretch_target is not None and holds(
        value=value, mark=stretch_target, side=side
    )
    if closed:
        return EXCEEDED if beyond_stretch else ACHIEVED
    outlook = outlook or Outlook()
    near_edge = outlook.high if side == CEILING else outlook.low
    if any(
        mark is not None and not holds(value=mark, mark=target, side=side)
        for mark in (outlook.value, near_edge)
    ):
        return AT_RISK
    return EXCEEDED if beyond_stretch else ON_TRACK


def goal_status(
    *,
    progress: Decimal | None,
    expected: Decimal | None,
    value: Decimal | None = None,
    direction: str = INCREASE,
    stretch_target: Decimal | None = None,
) -> str:
    """The status of an increase/decrease/task/milestone goal for a progress against the
    expected progress (see the module docstring)."""
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
    gap = (expected or ZERO) - progress
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
    target: Decimal | None = None,
    side: str = FLOOR,
    outlook: Outlook | None = None,
    closed: bool = False,
    share: Decimal | None = None,
) -> GoalState:
    """Value, progress, expected progress and status, rounded to the stored precision.

    A maintain goal reads `target`, `side`, `outlook` (its stored forecast) and `closed`; the
    others read `share`, the expected share of the period value of an accumulating metric."""
    value, progress = quantize(value), quantize(progress)
    if direction == MAINTAIN:
        status = maintain_status(
            value=value,
            target=target,
            side=side,
            stretch_target=stretch_target,
            outlook=outlook,
            closed=closed,
        )
        return GoalState(value=value, progress=progress, expected_progress=None, status=status)
    expected = quantize(expected_progress(start=start, end=end, as_of=as_of, share=share))
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
