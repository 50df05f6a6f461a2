"""Backfilling: the daily history of calculated metric goals from their period start to
yesterday, each day computed "as of" that day from the dated customer data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.utils import timezone

from metrics.registry import (
    evaluate_daily,
)

from ..models import (
    ProgressHistory,
)
from .plan import (
    GoalRow,
    HistoryRow,
    SnapshotRow,
    Write,
    calculated_value,
    contribution_rows,
    days_between,
    engine_scopes,
    is_calculated,
    load_context,
    load_goals,
    local_end_of,
    metric_progress_of,
    state_of,
)
from .run import RecalcResult, recalculate_goals
from .store import commit


def backfill_history(goal_ids: Iterable[int], *, today: date | None = None) -> RecalcResult:
    """Give calculated metric goals one history point per day from their period start to
    yesterday, each computed "as of" that day from the dated customer data (and team goals
    their members' contribution snapshots of that day), then recalculate them for today. Days
    that already have a point are left alone, so running it again adds nothing. One read of
    the customer data per period, for all the goals and days at once (metrics/series.py)."""
    today = today or timezone.localdate()
    goals = [goal for goal in load_goals(set(goal_ids)) if is_calculated(goal)]
    result = RecalcResult(goal_ids=[goal.pk for goal in goals])
    existing: set[tuple[int, date]] = set(
        ProgressHistory.objects.filter(goal_id__in=[goal.pk for goal in goals]).values_list(
            "goal_id", "as_of"
        )
    )
    context = load_context(goals, today)
    periods: dict[int, dict[str, list[GoalRow]]] = defaultdict(lambda: defaultdict(list))
    for goal in goals:
        periods[goal.period_id][goal.metric_key].append(goal)
    history: dict[int, list[HistoryRow]] = defaultdict(list)
    snapshots: dict[int, list[SnapshotRow]] = defaultdict(list)
    for by_metric in periods.values():
        period = next(iter(by_metric.values()))[0].period
        last_day = min(today - timedelta(days=1), period.end)
        missing_days = [
            day
            for day in days_between(period.start, last_day)
            if any((goal.pk, day) not in existing for group in by_metric.values() for goal in group)
        ]
        if not missing_days:
            continue
        context.engine_calls += 1
        daily = evaluate_daily(
            engine_scopes(by_metric, context), start=period.start, end=missing_days[-1]
        )
        for metric_key, group in by_metric.items():
            for day in missing_days:
                results = daily[metric_key][(day - period.start).days]
                for goal in group:
                    if (goal.pk, day) in existing:
                        continue
                    value = calculated_value(goal, results)
                    state = state_of(goal, value, metric_progress_of(goal, value), day, today=today)
                    history[goal.pk].append(
                        HistoryRow(
                            goal.pk,
                            day,
                            state.value,
                            state.progress,
                            state.expected_progress,
                            state.status,
                            local_end_of(day),
                        )
                    )
                    if goal.owner_id is None:
                        snapshots[goal.pk] += contribution_rows(goal, results, day, context)
    writes = [
        Write(
            goal=goal,
            read_version=goal.calc_version,
            history=history[goal.pk],
            update_state=False,
            contributions=snapshots[goal.pk],
        )
        for goal in goals
        if history[goal.pk]
    ]
    written, conflicting = commit(writes)
    result.engine_calls = context.engine_calls
    result.history_rows = sum(len(w.history) for w in written)
    if conflicting:
        result.merge(backfill_history(conflicting, today=today))
    result.merge(recalculate_goals(goal_ids, today=today))
    return result
