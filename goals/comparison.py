"""Historical comparison of metric goals: previous period, same period last year, same point.

For a goal on a calculated metric, the same metric for the same owner (the team for a team goal)
over:
- the previous period of the same type (the stored GoalPeriod if there is one, else the calendar
  months just before the period);
- the same period one year earlier;
- the previous period cut at the same elapsed point (as many days in as the current window).

Evaluation is set-based: goals that share a metric and a window are one engine call.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from metrics.registry import evaluate

from .models import Goal, GoalPeriod
from .progress import goal_window, quantize

PERIOD_MONTHS = {
    GoalPeriod.Type.MONTHLY: 1,
    GoalPeriod.Type.QUARTERLY: 3,
    GoalPeriod.Type.ANNUAL: 12,
}

Window = tuple[date, date]


@dataclass(frozen=True)
class Comparison:
    previous_window: Window
    previous_value: Decimal | None
    last_year_window: Window
    last_year_value: Decimal | None
    same_point_window: Window | None
    same_point_value: Decimal | None


def shift_months(day: date, months: int) -> date:
    """The same day `months` later (earlier if negative), clamped to the end of shorter months."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def previous_window(period: GoalPeriod) -> Window:
    """The previous period of the same type: its stored dates, else the calendar months before."""
    previous = (
        GoalPeriod.objects.filter(period_type=period.period_type, end__lt=period.start)
        .order_by("-end")
        .only("start", "end")
        .first()
    )
    if previous is not None:
        return previous.start, previous.end
    months = PERIOD_MONTHS[GoalPeriod.Type(period.period_type)]
    return shift_months(period.start, -months), period.start - timedelta(days=1)


def last_year_window(period: GoalPeriod) -> Window:
    return shift_months(period.start, -12), shift_months(period.end, -12)


def same_point_window(period: GoalPeriod, previous: Window, today: date) -> Window | None:
    """The previous period cut as many days in as the current window has run (None before it)."""
    window = goal_window(start=period.start, end=period.end, today=today)
    if window is None:
        return None
    elapsed = window[1] - window[0]
    return previous[0], min(previous[0] + elapsed, previous[1])


def scope_values(requests: Iterable[tuple[str, Window, int, int | None]]) -> dict:
    """Values for (metric key, window, team id, owner id or None) requests, one call per window.

    Returns {request: Decimal | None}. An owner id asks for the individual's book, None for the
    team's.
    """
    grouped: dict[tuple[str, Window], tuple[set[int], set[int]]] = defaultdict(
        lambda: (set(), set())
    )
    requests = list(requests)
    for metric_key, window, team_id, owner_id in requests:
        users, teams = grouped[(metric_key, window)]
        if owner_id is None:
            teams.add(team_id)
        else:
            users.add(owner_id)
    results = {
        group: evaluate(
            group[0], start=group[1][0], end=group[1][1], user_ids=users, team_ids=teams
        )
        for group, (users, teams) in grouped.items()
    }
    values = {}
    for request in requests:
        metric_key, window, team_id, owner_id = request
        result = results[(metric_key, window)]
        ratio = result.teams[team_id] if owner_id is None else result.users[owner_id]
        values[request] = quantize(ratio.value)
    return values


def goal_comparisons(goals: Iterable[Goal], *, today: date | None = None) -> dict[int, Comparison]:
    """Comparisons for the calculated metric goals among `goals` (others are left out)."""
    today = today or timezone.localdate()
    goals = [goal for goal in goals if goal.goal_type == Goal.Type.METRIC and goal.metric_key]
    windows: dict[int, tuple[Window, Window, Window | None]] = {}
    previous_by_period: dict[int, Window] = {}
    for goal in goals:
        period = goal.period
        if period.pk not in previous_by_period:
            previous_by_period[period.pk] = previous_window(period)
        previous = previous_by_period[period.pk]
        windows[goal.pk] = (
            previous,
            last_year_window(period),
            same_point_window(period, previous, today),
        )
    requests = {
        (goal.metric_key, window, goal.team_id, goal.owner_id)
        for goal in goals
        for window in windows[goal.pk]
        if window is not None
    }
    values = scope_values(requests)
    comparisons = {}
    for goal in goals:
        previous, last_year, same_point = windows[goal.pk]

        def value(window, goal=goal):
            if window is None:
                return None
            return values[(goal.metric_key, window, goal.team_id, goal.owner_id)]

        comparisons[goal.pk] = Comparison(
            previous_window=previous,
            previous_value=value(previous),
            last_year_window=last_year,
            last_year_value=value(last_year),
            same_point_window=same_point,
            same_point_value=value(same_point),
        )
    return comparisons


def goal_comparison(goal: Goal, *, today: date | None = None) -> Comparison | None:
    """The comparison of one goal, or None if it is not a calculated metric goal."""
    return goal_comparisons([goal], today=today).get(goal.pk)
