"""How a goal's numbers read: values in their unit, changes, and progress a person can read.

Progress is stored as it is (it may be negative, or far past 100), but pages, charts, emails and
rankings show it readably:

- a bar from 0 to 100 % of the way to the target, with a stretch zone after the target's mark
  when the goal has a stretch target (filled as far as the value has gone towards it);
- "below baseline" (or "above baseline" for a goal to decrease) rather than "-137.7 %", and
  "125 % · past target" rather than a bar running off the page;
- a maintain goal "holds the 90 % floor" (100 %), or says by how much it is breached, in the
  metric's unit: "1.9 pts under the 90 % floor";
- charts and rankings use progress clamped to PROGRESS_RANGE, so one absurd value (a goal whose
  target sits a hair above its baseline) neither stretches an axis nor wins a leaderboard;
- task and milestone goals count things (a milestone goal's stored value is its done *weight*,
  not a count): "4 of 5 tasks", "2 of 5 milestones (40 %)".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q

from metrics.registry import get_metric

from .models import Goal, Milestone


def count_progress(
    goal: Goal, *, milestones_done: int | None = None, milestones_total: int | None = None
) -> str:
    """A task or milestone goal's progress in what it counts: "4 of 5 tasks", "2 of 5
    milestones (40 %)" (milestones are weighted, so the share is said too). Empty for a metric
    goal, or a milestone goal whose counts were not read."""
    if goal.goal_type == Goal.Type.TASK and goal.task_target:
        done = int(goal.current_value or 0)
        return f"{done} of {goal.task_target} task{'s' if goal.task_target != 1 else ''}"
    if goal.goal_type == Goal.Type.MILESTONE and milestones_total:
        done = milestones_done or 0
        share = f" ({goal.progress:,.0f} %)" if goal.progress is not None else ""
        plural = "s" if milestones_total != 1 else ""
        return f"{done} of {milestones_total} milestone{plural}{share}"
    return ""


def count_progress_of(goal: Goal, milestones: Sequence[Milestone]) -> str:
    """`count_progress` from the goal's milestones already loaded (no query)."""
    return count_progress(
        goal,
        milestones_done=sum(1 for milestone in milestones if milestone.done_at),
        milestones_total=len(milestones),
    )


def counted_progress(goal: Goal) -> str:
    """`count_progress` for one goal, reading its milestone counts (one query) when it has any."""
    if goal.goal_type != Goal.Type.MILESTONE:
        return count_progress(goal)
    counts = goal.milestones.aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False))
    )
    return count_progress(goal, milestones_done=counts["done"], milestones_total=counts["total"])


NO_DATA = "no data"
HUNDRED = Decimal(100)
ZERO = Decimal(0)
# Progress as charts and leaderboards count it: below 0 is "below baseline", past 150 % ranks
# (and plots) with every goal further past its target.
PROGRESS_RANGE = (Decimal(0), Decimal(150))
# With a stretch target, the bar's first 80 % run to the target and the rest is the stretch zone.
STRETCH_ZONE_START = Decimal(80)

# Worst first: sorting by status puts the goals that need attention on top (dashboards, digests).
STATUS_ORDER = [
    Goal.Status.BEHIND,
    Goal.Status.AT_RISK,
    Goal.Status.ON_TRACK,
    Goal.Status.ACHIEVED,
    Goal.Status.EXCEEDED,
    Goal.Status.NO_DATA,
]
# How a goal measured by hand reads its unit (see Goal.Unit).
UNIT_WORDS = {
    Goal.Unit.COUNT: "count",
    Goal.Unit.DAYS: "days",
    Goal.Unit.PERCENT: "%",
    Goal.Unit.CURRENCY: "$",
    Goal.Unit.SCORE: "score",
}


def goal_unit(goal: Goal) -> str:
    """The unit a goal's value is read in: the metric's unit, tasks, percent for milestones,
    or the unit a goal measured by hand states."""
    if goal.goal_type == Goal.Type.TASK:
        return "tasks"
    if goal.goal_type == Goal.Type.MILESTONE:
        return "%"
    if goal.metric_key:
        try:
            return get_metric(goal.metric_key).unit
        except KeyError:
            return ""
    return UNIT_WORDS.get(goal.unit, "")


def with_unit(value: Decimal | None, unit: str) -> str:
    """104.2%, 32.0 pts, 3 tasks, 38.0 days, $1,200, or "no data"."""
    if value is None:
        return NO_DATA
    if unit == "%":
        return f"{value:,.1f}%"
    if unit == "points":
        return f"{value:,.1f} pts"
    if unit == "tasks":
        return f"{value:,.0f} tasks"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "$":
        return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"
    if unit in ("score", ""):
        return f"{value:,.1f}"
    return f"{value:,.1f} {unit}"


def amount(value: Decimal, unit: str) -> str:
    """A difference in the unit: a change of a percentage is in percentage points."""
    size = abs(value)
    if unit in ("%", "points"):
        return f"{size:,.1f} pts"
    if unit == "tasks":
        return f"{size:,.0f} task{'' if size == 1 else 's'}"
    if unit == "days":
        return f"{size:,.1f} day{'' if size == 1 else 's'}"
    if unit == "count":
        return f"{size:,.0f}"
    if unit == "$":
        return f"${size:,.0f}"
    return f"{size:,.1f}"


def signed_change(value: Decimal | None, unit: str) -> str:
    """+1.3 pts / -0.4 pts / +2 tasks / -$1,200: a change in the unit ("" without one)."""
    if value is None:
        return ""
    return f"{'-' if value < 0 else '+'}{amount(value, unit)}"


def short(value: Decimal, unit: str) -> str:
    """A target in a sentence: 90%, 30 days, 10, $50,000 (one decimal only when needed)."""
    if unit == "$":
        return with_unit(value, unit)
    text = f"{value:,.1f}".removesuffix(".0")
    if unit == "%":
        return f"{text}%"
    if unit == "points":
        return f"{text} pts"
    if unit in ("days", "tasks"):
        return f"{text} {unit}"
    return text


def percent(value: Decimal | None, places: int = 0) -> str:
    if value is None:
        return NO_DATA
    return f"{value:,.{places}f}%"


def chance(value: Decimal | None) -> str:
    """A forecast's chance: "62%", and "under 1%" / "over 99%" for a calibrated chance that
    rounds to 0 or 100 but is not certain (0% and 100% are kept for what cannot or must happen)."""
    if value is not None and 0 < value < 1:
        return "under 1%"
    if value is not None and 99 < value < 100:
        return "over 99%"
    return percent(value)


def clamped(progress: Decimal | None) -> Decimal | None:
    """Progress within PROGRESS_RANGE (what charts draw and leaderboards rank)."""
    if progress is None:
        return None
    low, high = PROGRESS_RANGE
    return min(max(progress, low), high)


@dataclass(frozen=True)
class ProgressReading:
    """A goal's progress as a person reads it (see the module docstring)."""

    text: str  # "64%", "below baseline", "125% · past target", "1.9 pts under the 90% floor"
    expected: str  # "expected 50%", or "" (a maintain goal has no pace)
    bar: str  # the bar's width, percent of the track
    pace: str | None  # where the expected progress sits on the track
    stretch_zone: bool  # the track ends with a stretch zone
    stretch_fill: str  # how much of the stretch zone is filled, percent
    breached: bool  # a maintain goal on the wrong side of its target

    @property
    def label(self) -> str:
        """For assistive technology: the bar in words."""
        return f"Progress {self.text}" + (f", {self.expected} by now" if self.expected else "")


def _percent(number: Decimal) -> str:
    return f"{number:,.0f}%"


def _share(part: Decimal, whole: Decimal) -> Decimal:
    return min(max(part / whole, ZERO), Decimal(1)) * HUNDRED if whole else ZERO


def _maintain_reading(goal: Goal, unit: str) -> ProgressReading:
    ceiling = goal.maintain_side == Goal.Side.CEILING
    mark = f"the {short(goal.target, unit)} {'ceiling' if ceiling else 'floor'}"
    value = goal.current_value
    breached = goal.progress is not None and goal.progress < HUNDRED and value is not None
    if goal.progress is None or value is None:
        text = NO_DATA
    elif breached:
        text = f"{amount(value - goal.target, unit)} {'over' if ceiling else 'under'} {mark}"
    else:
        text = f"100% · holds {mark}"
    return ProgressReading(
        text=text,
        expected="",
        bar="0" if breached or goal.progress is None else "100",
        pace=None,
        stretch_zone=False,
        stretch_fill="0",
        breached=breached,
    )


def progress_reading(goal: Goal) -> ProgressReading:
    """How the goal's stored progress reads on a page, a chart or in an email."""
    unit = goal_unit(goal)
    if (
        goal.goal_type == Goal.Type.METRIC
        and goal.direction == Goal.Direction.MAINTAIN
        and goal.target is not None
    ):
        return _maintain_reading(goal, unit)
    progress = goal.progress
    target = Decimal(goal.task_target) if goal.goal_type == Goal.Type.TASK else goal.target
    stretch = goal.stretch_target if goal.goal_type != Goal.Type.MILESTONE else None
    has_zone = stretch is not None and target is not None and stretch != target
    scale = STRETCH_ZONE_START / HUNDRED if has_zone else Decimal(1)
    expected = goal.expected_progress
    stretch_fill = ZERO
    if progress is None:
        text = NO_DATA
    elif progress < 0:
        text = "above baseline" if goal.direction == Goal.Direction.DECREASE else "below baseline"
    elif progress > HUNDRED:
        text = f"{_percent(progress)} · past target"
        if has_zone and goal.current_value is not None:
            stretch_fill = _share(goal.current_value - target, stretch - target)
            if stretch_fill >= HUNDRED:
                text = f"{_percent(progress)} · past the stretch target"
    else:
        text = _percent(progress)
    within = min(max(progress or ZERO, ZERO), HUNDRED)
    return ProgressReading(
        text=text,
        expected=f"expected {_percent(expected)}" if expected is not None else "",
        bar=f"{within * scale:.1f}",
        pace=(f"{min(max(expected, ZERO), HUNDRED) * scale:.1f}" if expected is not None else None),
        stretch_zone=has_zone,
        stretch_fill=f"{stretch_fill:.1f}",
        breached=False,
    )


@dataclass(frozen=True)
class Marks:
    """What a metric goal aims at, for the goal page: a headline and what it means."""

    headline: str
    caption: str


def goal_marks(goal: Goal) -> Marks:
    """ "95.6 → 98" (baseline → target), "Floor 90%" for a maintain goal, or "Target 85.4%" for
    an accumulating metric, which counts from 0 each period (its baseline is only last
    period's value, to compare)."""
    unit = goal_unit(goal)

    def text(value: Decimal | None) -> str:
        return "—" if value is None else short(value, unit)

    stretch = f" · stretch {text(goal.stretch_target)}" if goal.stretch_target is not None else ""
    last = f" · last period {text(goal.baseline)}" if goal.baseline is not None else ""
    if goal.direction == Goal.Direction.MAINTAIN:
        ceiling = goal.maintain_side == Goal.Side.CEILING
        return Marks(
            f"{'Ceiling' if ceiling else 'Floor'} {text(goal.target)}",
            f"Keeps at or {'below' if ceiling else 'above'} it{stretch}{last}",
        )
    try:
        accumulates = bool(goal.metric_key) and get_metric(goal.metric_key).accumulates
    except KeyError:
        accumulates = False
    if accumulates:
        return Marks(
            f"Target {text(goal.target)}",
            f"Counts from 0 each period{stretch}{last}",
        )
    return Marks(
        f"{text(goal.baseline)} → {text(goal.target)}",
        f"Baseline → target{stretch} · {goal.get_direction_display().lower()}",
    )
