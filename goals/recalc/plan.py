"""Planning a recalculation: load the goals as rows, evaluate the metric engine once per
(window, metric), compute each goal's state, roll-ups and forecast, and return the writes for the
goals that changed (goals.recalc.store writes them)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Case, F, FloatField, OuterRef, Q, Subquery, Sum, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from goals_project.people.models import Membership
from metrics.registry import (
    ACCUMULATING,
    Metric,
    Ratio,
    ScopeResults,
    evaluate_metrics,
    get_metric,
)

from ..calibration import load_calibration
from ..forecast import INDIVIDUAL, TEAM, SeriesStats, Trend, forecast_trends
from ..models import (
    Goal,
    GoalPeriod,
    ManualEntry,
    Milestone,
    ProgressHistory,
)
from ..progress import (
    HUNDRED,
    INCREASE,
    MAINTAIN,
    ZERO,
    GoalState,
    Outlook,
    count_progress,
    goal_state,
    goal_window,
    metric_progress,
    quantize,
    weighted_progress,
)
from ..units import UNBOUNDED, UNIT_RANGES
from .arrays import array_literal
from .side import Alongside

# From this many goals with a new day in a run (outside a transaction, on PostgreSQL), their
# stored series is read on a connection of its own while the metric engine works; a smaller run
# (an inline recalculation of a goal page or the API) reads it on its own connection after the
# engine. Opening and closing a connection costs about 5 ms; on the 10,000-customer bench org,
# at load 3-6 on two cores, a first run of the day alongside against on its own connection was
# 8 ms slower for 10 goals, 4-5 ms for 100 and 200, even for 300 and 400, 13-14 ms quicker
# for 500 (medians of 20 interleaved rounds).
SIDE_READ_GOALS = 400

STATE_FIELDS = ("current_value", "progress", "expected_progress", "status")

FORECAST_FIELDS = (
    "forecast_value",
    "forecast_low",
    "forecast_high",
    "forecast_target_probability",
    "forecast_stretch_probability",
)

SHARE_PLACES = Decimal("0.0001")

WRITTEN_FIELDS = (*STATE_FIELDS, *FORECAST_FIELDS, "last_calculated_at", "calc_version")


@dataclass(slots=True)
class HistoryRow:
    """A ProgressHistory row to insert (plain values: no model instance per row)."""

    goal_id: int
    as_of: date
    value: Decimal | None
    progress: Decimal | None
    expected_progress: Decimal | None
    status: str
    recorded_at: datetime
    calc_version: int = 0


class SnapshotRow(NamedTuple):
    """A ContributionSnapshot row to insert or refresh."""

    goal_id: int
    member_id: int
    individual_goal_id: int | None
    as_of: date
    points: Decimal | None
    share: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    member_value: Decimal | None


HISTORY_COLUMNS = tuple(HistoryRow.__slots__)

SNAPSHOT_COLUMNS = SnapshotRow._fields

SNAPSHOT_UNIQUE = ("goal_id", "member_id", "as_of")


@dataclass
class Write:
    """What one run writes for one goal: new state (or none) and history rows to insert."""

    goal: GoalRow
    read_version: int
    history: list[HistoryRow]
    update_state: bool = True
    old_status: str = ""
    contributions: list[SnapshotRow] = field(default_factory=list)


def is_calculated(goal: GoalRow) -> bool:
    return goal.goal_type == Goal.Type.METRIC and bool(goal.metric_key)


def may_roll_up(goal: GoalRow) -> bool:
    """A team metric goal without its own metric: with children, it rolls their progress up
    (without children its value comes from manual entries)."""
    return goal.owner_id is None and goal.goal_type == Goal.Type.METRIC and not goal.metric_key


def is_rollup(goal: GoalRow) -> bool:
    """Set by the recalculation once it knows the goal's children (see load_context)."""
    return goal.rolls_up


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def local_end_of(day: date) -> datetime:
    """The last instant of `day` in the project's zone: when a backfilled "as of" point stood."""
    next_midnight = datetime.combine(day + timedelta(days=1), time.min)
    return timezone.make_aware(next_midnight, timezone.get_default_timezone()) - timedelta(
        microseconds=1
    )


def among(field: str, ids: Iterable[int]) -> Q:
    """`field__in=ids`, with the ids as one array parameter on PostgreSQL. Django sends a
    placeholder per id, and preparing hundreds of them costs more than the query itself."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [array_literal(ids)])})
    return Q(**{f"{field}__in": ids})


# What a recalculation reads of a goal. The goals are loaded as rows (values_list), not model
# instances: building hundreds of Goal instances costs more than the rest of a run's Python.
LOADED_FIELDS = (
    "id",
    "period_id",
    "team_id",
    "owner_id",
    "parent_id",
    "goal_type",
    "metric_key",
    "direction",
    "maintain_side",
    "unit",
    "baseline",
    "target",
    "stretch_target",
    "task_target",
    "current_value",
    "progress",
    "expected_progress",
    "status",
    "calc_version",
)

# A maintain goal's status reads its stored forecast; the other goals' are not read (a run
# writes the forecast afresh for every goal it writes), so they cost nothing to load.
STORED_FORECAST = tuple(
    Case(When(direction=Goal.Direction.MAINTAIN, then=F(name)), default=None)
    for name in ("forecast_value", "forecast_low", "forecast_high")
)


@dataclass(slots=True)
class GoalRow:
    """One goal as a recalculation sees it: the LOADED_FIELDS (`pk` for `id`), a maintain
    goal's stored forecast (STORED_FORECAST), the day of its latest history row, its period, its
    manual progress, whether it rolls its children up, and the calculated fields a run writes
    back (WRITTEN_FIELDS)."""

    pk: int
    period_id: int
    team_id: int
    owner_id: int | None
    parent_id: int | None
    goal_type: str
    metric_key: str
    direction: str
    maintain_side: str
    unit: str
    baseline: Decimal | None
    target: Decimal | None
    stretch_target: Decimal | None
    task_target: int | None
    current_value: Decimal | None
    progress: Decimal | None
    expected_progress: Decimal | None
    status: str
    calc_version: int
    # Read as stored for a maintain goal (its status reads them; None for the others) and
    # written back by a run for every goal it writes.
    forecast_value: Decimal | None
    forecast_low: Decimal | None
    forecast_high: Decimal | None
    last_history_as_of: date | None
    period: GoalPeriod | None = None
    manual_value: Decimal | None = None
    manual_tasks_done: int | None = None
    milestone_weight: Decimal | None = None
    milestone_done_weight: Decimal | None = None
    rolls_up: bool = False
    forecast_target_probability: Decimal | None = None
    forecast_stretch_probability: Decimal | None = None
    last_calculated_at: datetime | None = None


MANUAL_FIELDS = ("manual_value", "manual_tasks_done", "milestone_weight", "milestone_done_weight")


def load_goals(goal_ids: Iterable[int]) -> list[GoalRow]:
    """The live goals with everything a recalculation reads, in a constant number of queries:
    the goals, their periods, and the manual progress of the goals without a calculator.
    Drafts (goals of a planning period) and closed goals are frozen: never loaded."""
    # Only the day is wanted: newest first is the (goal, as_of) index read backwards.
    last_history = ProgressHistory.objects.filter(goal=OuterRef("pk")).order_by("-as_of")
    goals = [
        GoalRow(*values)
        for values in Goal.objects.filter(
            among("pk", goal_ids), archived_at__isnull=True, closed_at__isnull=True
        )
        .exclude(period__status=GoalPeriod.Status.PLANNING)
        .annotate(last_history_as_of=Subquery(last_history.values("as_of")[:1]))
        .order_by("pk")
        .values_list(*LOADED_FIELDS, *STORED_FORECAST, "last_history_as_of")
    ]
    # A handful of periods for hundreds of goals: one small query, shared instances.
    periods = GoalPeriod.objects.in_bulk({goal.period_id for goal in goals})
    for goal in goals:
        goal.period = periods[goal.period_id]
    manual = [goal for goal in goals if not is_calculated(goal)]
    if manual:
        latest_entry = ManualEntry.objects.filter(goal=OuterRef("pk")).order_by(
            "-created_at", "-pk"
        )
        milestones = Milestone.objects.filter(goal=OuterRef("pk")).values("goal")
        progress = Goal.objects.filter(pk__in=[goal.pk for goal in manual]).values_list(
            "pk",
            Subquery(latest_entry.filter(value__isnull=False).values("value")[:1]),
            Subquery(latest_entry.filter(tasks_done__isnull=False).values("tasks_done")[:1]),
            Subquery(milestones.annotate(total=Sum("weight")).values("total")),
            Subquery(
                milestones.filter(done_at__isnull=False)
                .annotate(total=Sum("weight"))
                .values("total")
            ),
        )
        by_goal = {pk: values for pk, *values in progress}
        for goal in manual:
            values = by_goal.get(goal.pk) or (None,) * 4
            for name, value in zip(MANUAL_FIELDS, values, strict=True):
                setattr(goal, name, value)
    return goals


def with_rollup_parents(goals: list[GoalRow]) -> list[GoalRow]:
    """Add the roll-up parents of the goals (their progress depends on their children's)."""
    loaded = {goal.pk for goal in goals}
    parent_ids = {goal.parent_id for goal in goals if goal.parent_id} - loaded
    if not parent_ids:
        return goals
    parents = [goal for goal in load_goals(parent_ids) if may_roll_up(goal)]
    return goals + parents


@dataclass
class Context:
    today: date
    children: dict[int, list[dict]]  # parent id -> live children (pk, owner_id, progress, weight)
    members: dict[int, list[int]]  # team id -> member ids
    engine_calls: int = 0


def load_context(goals: list[GoalRow], today: date) -> Context:
    team_goal_ids = [goal.pk for goal in goals if goal.owner_id is None]
    children: dict[int, list[dict]] = defaultdict(list)
    if team_goal_ids:
        for child in (
            Goal.objects.filter(among("parent_id", team_goal_ids), archived_at__isnull=True)
            .order_by("pk")
            .values("pk", "parent_id", "owner_id", "progress", "weight")
        ):
            children[child["parent_id"]].append(child)
    for goal in goals:
        goal.rolls_up = may_roll_up(goal) and bool(children.get(goal.pk))
    members: dict[int, list[int]] = defaultdict(list)
    team_ids = {goal.team_id for goal in goals if goal.owner_id is None and is_calculated(goal)}
    if team_ids:
        for team_id, user_id in (
            Membership.objects.filter(team_id__in=team_ids)
            .order_by("user_id")
            .values_list("team_id", "user_id")
        ):
            members[team_id].append(user_id)
    return Context(today=today, children=children, members=members)


def _engine_groups(
    goals: list[GoalRow], today: date
) -> dict[tuple[date, date], dict[str, list[GoalRow]]]:
    """The calculated goals by window, then by metric: one engine call per window."""
    groups: dict[tuple[date, date], dict[str, list[GoalRow]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for goal in goals:
        if not is_calculated(goal):
            continue
        window = goal_window(start=goal.period.start, end=goal.period.end, today=today)
        if window is not None:
            groups[window][goal.metric_key].append(goal)
    return groups


def engine_scopes(
    by_metric: dict[str, list[GoalRow]], context: Context
) -> dict[str, tuple[set[int], set[int]]]:
    """Each metric's (user ids, team ids) for its goals. Team goals' members are asked for
    too: their ratios give the contribution snapshots, and the engine computes the members of
    every team anyway, so this costs nothing extra."""
    scopes = {}
    for metric_key, goals in by_metric.items():
        user_ids = {goal.owner_id for goal in goals if goal.owner_id}
        team_ids = {goal.team_id for goal in goals if goal.owner_id is None}
        for team_id in team_ids:
            user_ids.update(context.members.get(team_id, ()))
        scopes[metric_key] = (user_ids, team_ids)
    return scopes


def _evaluate_window(
    start: date, end: date, by_metric: dict[str, list[GoalRow]], context: Context
) -> dict[str, ScopeResults]:
    context.engine_calls += 1
    return evaluate_metrics(engine_scopes(by_metric, context), start=start, end=end)


def calculated_value(goal: GoalRow, results: ScopeResults) -> Decimal | None:
    ratio = results.teams[goal.team_id] if goal.owner_id is None else results.users[goal.owner_id]
    return ratio.value


@functools.cache
def _metric(metric_key: str) -> Metric | None:
    try:
        return get_metric(metric_key) if metric_key else None
    except KeyError:
        return None


@functools.cache
def _expected_share(metric_key: str, start: date, end: date, as_of: date) -> Decimal | None:
    """The share of its period value an accumulating metric is expected to have by `as_of`
    (None for a level metric: the elapsed share of the period is the expected progress)."""
    metric = _metric(metric_key)
    if metric is None or not metric.accumulates:
        return None
    return metric.expected_share(start=start, end=end, as_of=as_of)


def metric_progress_of(goal: GoalRow, value: Decimal | None) -> Decimal | None:
    """A metric goal's progress: from its baseline, or from the range's floor for an
    accumulating metric (it fills up from there every period)."""
    metric = _metric(goal.metric_key)
    origin = (metric.value_range[0] or ZERO) if metric and metric.accumulates else None
    return metric_progress(
        direction=goal.direction,
        baseline=goal.baseline,
        target=goal.target,
        value=value,
        side=goal.maintain_side,
        origin=origin,
    )


def _direction(goal: GoalRow) -> str:
    if goal.goal_type != Goal.Type.METRIC or is_rollup(goal):
        return INCREASE
    return goal.direction


def _outlook(goal: GoalRow) -> Outlook | None:
    """The stored forecast a maintain goal's status reads (none for the other goals)."""
    if goal.direction != MAINTAIN:
        return None
    return Outlook(goal.forecast_value, goal.forecast_low, goal.forecast_high)


def state_of(
    goal: GoalRow,
    value: Decimal | None,
    progress: Decimal | None,
    as_of: date,
    *,
    today: date,
    outlook: Outlook | None = None,
) -> GoalState:
    """The goal's state on `as_of`, computed `today`. A maintain goal's status reads `outlook`
    (its forecast; none for a day in the past) and is settled once the period is over."""
    period = goal.period
    stretch = goal.stretch_target
    if goal.goal_type == Goal.Type.MILESTONE or is_rollup(goal):
        stretch = None
    return goal_state(
        value=value,
        progress=progress,
        start=period.start,
        end=period.end,
        as_of=as_of,
        direction=_direction(goal),
        stretch_target=stretch,
        target=goal.target,
        side=goal.maintain_side,
        outlook=outlook,
        closed=as_of >= period.end and today > period.end,
        share=_expected_share(goal.metric_key, period.start, period.end, as_of),
    )


def _manual_value_and_progress(goal: GoalRow) -> tuple[Decimal | None, Decimal | None]:
    if goal.goal_type == Goal.Type.TASK:
        done = Decimal(goal.manual_tasks_done or 0)
        return done, count_progress(done=done, total=goal.task_target)
    if goal.goal_type == Goal.Type.MILESTONE:
        if not goal.milestone_weight:
            return None, None
        done = goal.milestone_done_weight or Decimal(0)
        return done, count_progress(done=done, total=goal.milestone_weight)
    value = goal.manual_value
    return value, metric_progress_of(goal, value)


def forecast_terms(goal: GoalRow) -> dict:
    """What a goal's forecast is measured against and what its series is like (the Trend
    fields besides the series): a calculated metric's range, shape and calibration cell; tasks,
    milestones and roll-ups accumulate from 0 (milestones up to their total weight), and other
    values entered by hand follow their trend (a random walk with drift)."""
    if goal.goal_type == Goal.Type.TASK:
        target = Decimal(goal.task_target) if goal.task_target else None
        return {
            "target": target,
            "stretch_target": goal.stretch_target,
            "accumulating": True,
            "value_range": (Decimal(0), None),
        }
    if goal.goal_type == Goal.Type.MILESTONE:
        return {
            "target": goal.milestone_weight,
            "accumulating": True,
            "value_range": (Decimal(0), goal.milestone_weight),
        }
    if is_rollup(goal):
        return {"target": HUNDRED, "accumulating": True}
    direction = goal.direction
    if direction == MAINTAIN:
        # Holding a ceiling is staying at or below it: "reaching" it is being below.
        below = goal.maintain_side == Goal.Side.CEILING
        direction = "decrease" if below else "increase"
    unit = UNIT_RANGES.get(goal.unit, UNBOUNDED)
    terms = {
        "target": goal.target,
        "stretch_target": goal.stretch_target,
        "direction": direction,
        # A value entered by hand has no history to calibrate on: it follows its own trend,
        # within the range of the unit it states.
        "accumulating": True,
        "value_range": (unit.low, unit.high),
    }
    if is_calculated(goal):
        metric = get_metric(goal.metric_key)
        terms |= {
            "metric_key": metric.key,
            "scope": TEAM if goal.owner_id is None else INDIVIDUAL,
            "value_range": metric.value_range,
            "accumulating": metric.shape == ACCUMULATING,
        }
    return terms


def contribution_rows(
    goal: GoalRow, results: ScopeResults, as_of: date, context: Context
) -> list[SnapshotRow]:
    team = results.teams[goal.team_id]
    points = results.contributions.get(goal.team_id, {})
    own_goal = {}
    for child in context.children.get(goal.pk, ()):
        own_goal.setdefault(child["owner_id"], child["pk"])
    rows = []
    empty = Ratio()
    for member_id in context.members.get(goal.team_id, ()):
        ratio: Ratio = results.users.get(member_id, empty)
        rows.append(
            SnapshotRow(
                goal.pk,
                member_id,
                own_goal.get(member_id),
                as_of,
                quantize(points.get(member_id)),
                (
                    (ratio.denominator / team.denominator).quantize(SHARE_PLACES)
                    if team.denominator
                    else None
                ),
                quantize(ratio.numerator),
                quantize(ratio.denominator),
                quantize(ratio.value),
            )
        )
    return rows


def _changed(goal: GoalRow, state: GoalState) -> bool:
    return (
        quantize(goal.current_value),
        quantize(goal.progress),
        quantize(goal.expected_progress),
        goal.status,
    ) != (state.value, state.progress, state.expected_progress, state.status)


def plan_writes(goals: list[GoalRow], context: Context, now: datetime) -> list[Write]:
    """Compute every goal's state; return the writes for the goals that changed."""
    today = context.today
    states: dict[int, tuple[GoalState, date | None]] = {}
    # Team goals' engine results: their contribution rows are built only if the goal is written.
    team_results: dict[int, tuple[ScopeResults, date]] = {}
    groups = _engine_groups(goals, today)
    # A goal whose window ends on a day without a point yet is written whatever the engine says
    # (it gets that day's point): its stored series for the forecast is read while the engine
    # works, on a connection of its own when the database can and the read is worth one
    # (SIDE_READ_GOALS; see goals.recalc.side), else on this one after the engine.
    days = [(goal, _window_end(goal, today)) for goal in goals]
    new_days = [(goal, day) for goal, day in days if day and goal.last_history_as_of != day]
    read_early = Alongside(
        _history_stats,
        [goal for goal, _ in new_days],
        [day for _, day in new_days],
        overlap=bool(groups) and len(new_days) >= SIDE_READ_GOALS,
    )
    try:
        for (start, end), by_metric in groups.items():
            results_by_metric = _evaluate_window(start, end, by_metric, context)
            for goal in (goal for group in by_metric.values() for goal in group):
                results = results_by_metric[goal.metric_key]
                value = calculated_value(goal, results)
                progress = metric_progress_of(goal, value)
                state = state_of(goal, value, progress, end, today=today, outlook=_outlook(goal))
                states[goal.pk] = (state, end)
                if goal.owner_id is None:
                    team_results[goal.pk] = (results, end)
        for goal in goals:
            if goal.pk in states or is_rollup(goal):
                continue
            window = goal_window(start=goal.period.start, end=goal.period.end, today=today)
            if window is None:
                states[goal.pk] = (state_of(goal, None, None, today, today=today), None)
            elif is_calculated(goal):
                continue
            else:
                value, progress = _manual_value_and_progress(goal)
                state = state_of(
                    goal, value, progress, window[1], today=today, outlook=_outlook(goal)
                )
                states[goal.pk] = (state, window[1])
        # Roll-ups last: their children's fresh progress (this run) wins over the stored one.
        for goal in goals:
            if not is_rollup(goal):
                continue
            window = goal_window(start=goal.period.start, end=goal.period.end, today=today)
            children = [
                (
                    states[child["pk"]][0].progress if child["pk"] in states else child["progress"],
                    child["weight"],
                )
                for child in context.children.get(goal.pk, ())
            ]
            progress = weighted_progress(children) if window else None
            as_of = window[1] if window else today
            state = state_of(goal, progress, progress, as_of, today=today)
            states[goal.pk] = (state, window and window[1])

        writes = []
        for goal in goals:
            state, as_of = states[goal.pk]
            new_day = as_of is not None and goal.last_history_as_of != as_of
            if not (_changed(goal, state) or new_day):
                continue
            write = Write(
                goal=goal, read_version=goal.calc_version, history=[], old_status=goal.status
            )
            goal.current_value, goal.progress = state.value, state.progress
            goal.expected_progress, goal.status = state.expected_progress, state.status
            goal.last_calculated_at = now
            if as_of is not None:
                write.history.append(
                    HistoryRow(
                        goal.pk,
                        as_of,
                        state.value,
                        state.progress,
                        state.expected_progress,
                        state.status,
                        now,
                    )
                )
            if goal.pk in team_results:
                write.contributions = contribution_rows(goal, *team_results[goal.pk], context)
            writes.append(write)
        stats = read_early()
    finally:
        # Joined whatever happened (the engine's error, a time limit): nothing of this run
        # goes on reading after it.
        read_early.wait()
    _forecast(writes, stats)
    _settle_maintain_goals(writes, today)
    return writes


def _window_end(goal: GoalRow, today: date) -> date | None:
    """The day a run computes the goal's state for (the day of the point it writes), if any."""
    window = goal_window(start=goal.period.start, end=goal.period.end, today=today)
    return window and window[1]


def _settle_maintain_goals(writes: list[Write], today: date) -> None:
    """A written maintain goal's status reads the forecast this run has just made (the plan
    read the stored one, which is the current forecast of every goal this run leaves alone)."""
    for write in writes:
        goal = write.goal
        if _direction(goal) != MAINTAIN or not write.history:
            continue
        row = write.history[-1]
        state = state_of(
            goal, row.value, row.progress, row.as_of, today=today, outlook=_outlook(goal)
        )
        goal.status = row.status = state.status


def _history_stats(goals: list[GoalRow], skipped: list[date | None]) -> dict[int, SeriesStats]:
    """Each goal's stored daily series within its period as SeriesStats: one point per day, the
    latest row (highest calc_version) of the day, days without a value left out, and the day
    `skipped` (the day this run writes: its new point replaces the stored one) left out too.
    Days count from the period start. On PostgreSQL one row per goal, aggregated by the
    database; elsewhere the rows, aggregated here."""
    if not goals:
        return {}
    if connection.vendor == "postgresql":
        history = connection.ops.quote_name(ProgressHistory._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                # Per goal, a range scan of the (goal, as_of, calc_version) index: no join. The
                # latest rows come out in day order, so the window needs no sort of its own; the
                # latest value is the first plus the changes (they telescope).
                "SELECT g.id, s.n, s.first_day, s.first_value, s.last_day, s.first_value + "
                "s.change, s.squared_rate FROM unnest(%s::bigint[], %s::date[], %s::date[], "
                "%s::date[]) AS g(id, first, last, skipped) CROSS JOIN LATERAL (SELECT count(*) "
                "AS n, min(day) AS first_day, max(day) AS last_day, min(value) FILTER (WHERE "
                "previous_day IS NULL) AS first_value, coalesce(sum(value - previous_value), 0) "
                "AS change, coalesce(sum((value - previous_value) ^ 2 / (day - previous_day)), "
                "0) AS squared_rate FROM (SELECT day, value, lag(day) OVER w AS previous_day, "
                "lag(value) OVER w AS previous_value FROM (SELECT DISTINCT ON (as_of) as_of, as_of "
                f"- g.first AS day, CAST(value AS double precision) AS value FROM {history} WHERE "
                "goal_id = g.id AND as_of BETWEEN g.first AND g.last AND as_of IS DISTINCT FROM "
                "g.skipped ORDER BY as_of, calc_version DESC) AS latest WHERE value IS NOT NULL "
                "WINDOW w AS (ORDER BY as_of)) AS changes) AS s",
                [
                    array_literal([goal.pk for goal in goals]),
                    array_literal([goal.period.start for goal in goals]),
                    array_literal([goal.period.end for goal in goals]),
                    array_literal(skipped),
                ],
            )
            return {pk: SeriesStats(n, *rest) if n else SeriesStats() for pk, n, *rest in cursor}
    by_day: dict[int, dict[date, float | None]] = defaultdict(dict)
    for goal_id, as_of, value in (
        ProgressHistory.objects.filter(goal_id__in=[goal.pk for goal in goals])
        .order_by("goal_id", "as_of", "calc_version")
        .values_list("goal_id", "as_of", Cast("value", FloatField()))
    ):
        by_day[goal_id][as_of] = value  # the last row of a day wins
    series = {}
    for goal, skip in zip(goals, skipped, strict=True):
        start, end = goal.period.start, goal.period.end
        points = [
            ((day - start).days, value)
            for day, value in by_day.get(goal.pk, {}).items()
            if value is not None and start <= day <= end and day != skip
        ]
        series[goal.pk] = SeriesStats.of([day for day, _ in points], [v for _, v in points])
    return series


def _forecast(writes: list[Write], stored: dict[int, SeriesStats]) -> None:
    """Forecast each written goal from its daily series (stored history plus this run's point),
    all goals in one query (those `stored` has not read already), the org's calibration in
    another, and one vectorised model."""
    if not writes:
        return
    rest = [write for write in writes if write.goal.pk not in stored]
    stored = stored | _history_stats(
        [write.goal for write in rest],
        [write.history[-1].as_of if write.history else None for write in rest],
    )
    trends = []
    for write in writes:
        goal = write.goal
        series = stored.get(goal.pk, SeriesStats())
        if write.history:
            row = write.history[-1]
            if row.value is not None and goal.period.start <= row.as_of <= goal.period.end:
                series = series.plus((row.as_of - goal.period.start).days, float(row.value))
        trends.append(
            Trend(
                stats=series,
                end_day=(goal.period.end - goal.period.start).days,
                **forecast_terms(goal),
            )
        )
    forecasts = forecast_trends(trends, load_calibration())
    for write, forecast in zip(writes, forecasts, strict=True):
        goal = write.goal
        goal.forecast_value = forecast and forecast.value
        goal.forecast_low = forecast and forecast.low
        goal.forecast_high = forecast and forecast.high
        goal.forecast_target_probability = forecast and forecast.target_probability
        goal.forecast_stretch_probability = forecast and forecast.stretch_probability
