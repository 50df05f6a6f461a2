"""Set-based recalculation of goals: values, progress, status, forecast, history, contributions.

One run loads its goals in one query, groups the calculated metric goals by (metric, window) and
makes one metric-engine call per group, computes manual goals from their latest entries and
milestones, rolls team goals without a metric up from their children, and writes everything back
in a constant number of statements, whatever the number of goals. On PostgreSQL the writes are
one statement: the conditional UPDATE of the goals with the INSERT of their history rows and the
upsert of their contribution snapshots as data-modifying CTEs, every column passed as one array.

History: a goal gets a ProgressHistory row when its value, progress, expected progress or status
changed, or when it has no row yet for the day the values describe (so the daily series that the
charts and the forecast read has a point per day). Running the same recalculation twice writes
nothing the second time.

Concurrency: each goal carries `calc_version`. A run remembers the version it read; the write
updates only the goals still at that version (compare-and-set), bumps the version and inserts
history rows with the new version numbers (unique per goal) for exactly the goals it updated.
Goals another run changed in between are recalculated again from fresh data, so no update is
lost and no row doubles.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, models, transaction
from django.db.models import Case, F, FloatField, OuterRef, Q, Subquery, Sum, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from goals_project.people.models import Membership
from goals_project.progress_bars import NO_PROGRESS, Progress
from metrics.registry import (
    ACCUMULATING,
    Metric,
    Ratio,
    ScopeResults,
    evaluate_daily,
    evaluate_metrics,
    get_metric,
)

from .calibration import load_calibration
from .forecast import INDIVIDUAL, TEAM, SeriesStats, Trend, forecast_trends
from .models import (
    ContributionSnapshot,
    Goal,
    GoalPeriod,
    ManualEntry,
    Milestone,
    PendingRecalculation,
    ProgressHistory,
    RecalculationSchedule,
)
from .progress import (
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
from .signals import goal_status_changed, goals_recalculated
from .units import UNBOUNDED, UNIT_RANGES

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
QUEUE_NAME = "goals"
# A schedule mark older than this is taken as a lost task: the next change enqueues a new one.
STALE_SCHEDULE = timedelta(seconds=60)
STATE_FIELDS = ("current_value", "progress", "expected_progress", "status")
FORECAST_FIELDS = (
    "forecast_value",
    "forecast_low",
    "forecast_high",
    "forecast_target_probability",
    "forecast_stretch_probability",
)
UPDATE_CHUNK = 2000
# Goals per batch when a command recalculates many with a progress bar (whole teams a batch).
BATCH_GOALS = 500
SHARE_PLACES = Decimal("0.0001")
WRITTEN_FIELDS = (*STATE_FIELDS, *FORECAST_FIELDS, "last_calculated_at", "calc_version")


@dataclass
class RecalcResult:
    goal_ids: list[int] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)
    history_rows: int = 0
    retried: int = 0
    engine_calls: int = 0

    def merge(self, other: RecalcResult) -> None:
        self.changed_ids += other.changed_ids
        self.history_rows += other.history_rows
        self.retried += other.retried
        self.engine_calls += other.engine_calls


@dataclass(slots=True)
class _History:
    """A ProgressHistory row to insert (plain values: no model instance per row)."""

    goal_id: int
    as_of: date
    value: Decimal | None
    progress: Decimal | None
    expected_progress: Decimal | None
    status: str
    recorded_at: datetime
    calc_version: int = 0


class _Snapshot(NamedTuple):
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


HISTORY_COLUMNS = tuple(_History.__slots__)
SNAPSHOT_COLUMNS = _Snapshot._fields
SNAPSHOT_UNIQUE = ("goal_id", "member_id", "as_of")


@dataclass
class _Write:
    """What one run writes for one goal: new state (or none) and history rows to insert."""

    goal: GoalRow
    read_version: int
    history: list[_History]
    update_state: bool = True
    old_status: str = ""
    contributions: list[_Snapshot] = field(default_factory=list)


def is_calculated(goal: GoalRow) -> bool:
    return goal.goal_type == Goal.Type.METRIC and bool(goal.metric_key)


def may_roll_up(goal: GoalRow) -> bool:
    """A team metric goal without its own metric: with children, it rolls their progress up
    (without children its value comes from manual entries)."""
    return goal.owner_id is None and goal.goal_type == Goal.Type.METRIC and not goal.metric_key


def is_rollup(goal: GoalRow) -> bool:
    """Set by the recalculation once it knows the goal's children (see _context)."""
    return goal.rolls_up


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _local_end_of(day: date) -> datetime:
    """The last instant of `day` in the project's zone: when a backfilled "as of" point stood."""
    next_midnight = datetime.combine(day + timedelta(days=1), time.min)
    return timezone.make_aware(next_midnight, timezone.get_default_timezone()) - timedelta(
        microseconds=1
    )


# ---------------------------------------------------------------------------------------------
# Loading


def _among(field: str, ids: Iterable[int]) -> Q:
    """`field__in=ids`, with the ids as one array parameter on PostgreSQL. Django sends a
    placeholder per id, and preparing hundreds of them costs more than the query itself."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [_array_literal(ids)])})
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


def _load_goals(goal_ids: Iterable[int]) -> list[GoalRow]:
    """The live goals with everything a recalculation reads, in a constant number of queries:
    the goals, their periods, and the manual progress of the goals without a calculator.
    Drafts (goals of a planning period) and closed goals are frozen: never loaded."""
    # Only the day is wanted: newest first is the (goal, as_of) index read backwards.
    last_history = ProgressHistory.objects.filter(goal=OuterRef("pk")).order_by("-as_of")
    goals = [
        GoalRow(*values)
        for values in Goal.objects.filter(
            _among("pk", goal_ids), archived_at__isnull=True, closed_at__isnull=True
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


def _with_rollup_parents(goals: list[GoalRow]) -> list[GoalRow]:
    """Add the roll-up parents of the goals (their progress depends on their children's)."""
    loaded = {goal.pk for goal in goals}
    parent_ids = {goal.parent_id for goal in goals if goal.parent_id} - loaded
    if not parent_ids:
        return goals
    parents = [goal for goal in _load_goals(parent_ids) if may_roll_up(goal)]
    return goals + parents


# ---------------------------------------------------------------------------------------------
# Computing


@dataclass
class _Context:
    today: date
    children: dict[int, list[dict]]  # parent id -> live children (pk, owner_id, progress, weight)
    members: dict[int, list[int]]  # team id -> member ids
    engine_calls: int = 0


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


def _scopes(
    by_metric: dict[str, list[GoalRow]], context: _Context
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
    start: date, end: date, by_metric: dict[str, list[GoalRow]], context: _Context
) -> dict[str, ScopeResults]:
    context.engine_calls += 1
    return evaluate_metrics(_scopes(by_metric, context), start=start, end=end)


def _calculated_value(goal: GoalRow, results: ScopeResults) -> Decimal | None:
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


def _progress(goal: GoalRow, value: Decimal | None) -> Decimal | None:
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


def _state_of(
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
    return value, _progress(goal, value)


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


def _contributions(
    goal: GoalRow, results: ScopeResults, as_of: date, context: _Context
) -> list[_Snapshot]:
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
            _Snapshot(
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


def _plan(goals: list[GoalRow], context: _Context, now: datetime) -> list[_Write]:
    """Compute every goal's state; return the writes for the goals that changed."""
    today = context.today
    states: dict[int, tuple[GoalState, date | None]] = {}
    # Team goals' engine results: their contribution rows are built only if the goal is written.
    team_results: dict[int, tuple[ScopeResults, date]] = {}
    for (start, end), by_metric in _engine_groups(goals, today).items():
        results_by_metric = _evaluate_window(start, end, by_metric, context)
        for goal in (goal for group in by_metric.values() for goal in group):
            results = results_by_metric[goal.metric_key]
            value = _calculated_value(goal, results)
            state = _state_of(
                goal, value, _progress(goal, value), end, today=today, outlook=_outlook(goal)
            )
            states[goal.pk] = (state, end)
            if goal.owner_id is None:
                team_results[goal.pk] = (results, end)
    for goal in goals:
        if goal.pk in states or is_rollup(goal):
            continue
        window = goal_window(start=goal.period.start, end=goal.period.end, today=today)
        if window is None:
            states[goal.pk] = (_state_of(goal, None, None, today, today=today), None)
        elif is_calculated(goal):
            continue
        else:
            value, progress = _manual_value_and_progress(goal)
            state = _state_of(goal, value, progress, window[1], today=today, outlook=_outlook(goal))
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
        state = _state_of(goal, progress, progress, as_of, today=today)
        states[goal.pk] = (state, window and window[1])

    writes = []
    for goal in goals:
        state, as_of = states[goal.pk]
        new_day = as_of is not None and goal.last_history_as_of != as_of
        if not (_changed(goal, state) or new_day):
            continue
        write = _Write(
            goal=goal, read_version=goal.calc_version, history=[], old_status=goal.status
        )
        goal.current_value, goal.progress = state.value, state.progress
        goal.expected_progress, goal.status = state.expected_progress, state.status
        goal.last_calculated_at = now
        if as_of is not None:
            write.history.append(
                _History(
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
            write.contributions = _contributions(goal, *team_results[goal.pk], context)
        writes.append(write)
    _forecast(writes)
    _settle_maintain_goals(writes, today)
    return writes


def _settle_maintain_goals(writes: list[_Write], today: date) -> None:
    """A written maintain goal's status reads the forecast this run has just made (the plan
    read the stored one, which is the current forecast of every goal this run leaves alone)."""
    for write in writes:
        goal = write.goal
        if _direction(goal) != MAINTAIN or not write.history:
            continue
        row = write.history[-1]
        state = _state_of(
            goal, row.value, row.progress, row.as_of, today=today, outlook=_outlook(goal)
        )
        goal.status = row.status = state.status


def _history_stats(writes: list[_Write]) -> dict[int, SeriesStats]:
    """Each written goal's stored daily series within its period as SeriesStats: one point per
    day, the latest row (highest calc_version) of the day, days without a value left out, and
    the day this run writes left out too (its new point replaces the stored one). Days count
    from the period start. On PostgreSQL one row per goal, aggregated by the database;
    elsewhere the rows, aggregated here."""
    goals = [write.goal for write in writes]
    skipped = [write.history[-1].as_of if write.history else None for write in writes]
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
                    _array_literal([goal.pk for goal in goals]),
                    _array_literal([goal.period.start for goal in goals]),
                    _array_literal([goal.period.end for goal in goals]),
                    _array_literal(skipped),
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


def _forecast(writes: list[_Write]) -> None:
    """Forecast each written goal from its daily series (stored history plus this run's point),
    all goals in one query, the org's calibration in another, and one vectorised model."""
    if not writes:
        return
    stored = _history_stats(writes)
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


# ---------------------------------------------------------------------------------------------
# Writing


def _commit(writes: list[_Write]) -> tuple[list[_Write], list[int]]:
    """Write the goals still at the version they were read at; return (written, conflicting).

    The goal rows are updated with a conditional UPDATE (compare-and-set on calc_version); only
    the goals it really updated get their history rows and contribution snapshots.
    """
    if not writes:
        return [], []
    for write in writes:
        for offset, row in enumerate(write.history, start=1):
            row.calc_version = write.read_version + offset
        write.goal.calc_version = write.read_version + max(len(write.history), 1)
    postgresql = connection.vendor == "postgresql"
    save = _save_postgresql if postgresql else _save_portable
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if postgresql and outermost:
            # Everything written here is derived from customer data and written again by the
            # next run (idempotent; the safety net runs every few minutes), so the commit need
            # not wait for the WAL flush: a server crash in the next instant can lose this run,
            # never corrupt or half-write it, and other sessions see it at once either way.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        updated = save([w for w in writes if w.update_state], WRITTEN_FIELDS)
        updated |= save([w for w in writes if not w.update_state], ("calc_version",))
        written = [w for w in writes if w.goal.pk in updated]
        conflicting = [w.goal.pk for w in writes if w.goal.pk not in updated]
        transaction.on_commit(lambda: _announce(written))
    return written, conflicting


def _array_type(model: type[models.Model], name: str) -> str:
    """The PostgreSQL array type of a column (by field name or attname), for unnest()."""
    if name == "read_version":
        return "bigint[]"
    return model._meta.get_field(name).db_type(connection) + "[]"


def _array_literal(values: list) -> str:
    """A PostgreSQL array literal ('{1,NULL,"a b"}') for a column of ints, Decimals, strings,
    dates or aware datetimes (one kind per column, and None). Formatting the arrays here costs a
    str() per value; letting the driver adapt the lists costs a dumper look-up per value,
    several times more for 15,000."""
    kind = next((type(value) for value in values if value is not None), int)
    if issubclass(kind, str):
        text = ["NULL" if value is None else _quoted(value) for value in values]
    elif issubclass(kind, date):  # datetime too: ISO 8601 with its UTC offset, no blank
        # A run's dates are few (today, the period bounds, its own time): format each once.
        formatted = {value: value.isoformat() for value in set(values) if value is not None}
        text = ["NULL" if value is None else formatted[value] for value in values]
    else:  # int, Decimal (PostgreSQL reads its exponent notation too)
        text = ["NULL" if value is None else str(value) for value in values]
    return "{" + ",".join(text) + "}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unnest(model: type[models.Model], names: Sequence[str], alias: str) -> str:
    """`unnest(%s::type[], ...) AS alias(names)`: one array parameter per column, whatever the
    number of rows (a VALUES list costs a placeholder, and its adaptation, per value)."""
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{_array_type(model, name)}" for name in names)
    return f"unnest({arrays}) AS {alias}({', '.join(quote(name) for name in names)})"


def _insert_joined(model: type[models.Model], names: Sequence[str], alias: str) -> str:
    """INSERT the unnested rows whose goal the UPDATE in the same statement really updated."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in names)
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {columns} FROM {_unnest(model, names, alias)} "
        f"WHERE {alias}.goal_id IN (SELECT id FROM updated)"
    )


def _save_postgresql(writes: list[_Write], fields: Sequence[str]) -> set[int]:
    """One statement for the whole run: the conditional UPDATE of the goals (RETURNING the ids
    it updated) and, restricted to those ids, the INSERT of their history rows and the upsert
    of their contribution snapshots. One round trip; a goal another run changed in between
    keeps its newer state and gets none of this run's rows. Returns the updated ids."""
    if not writes:
        return set()
    quote = connection.ops.quote_name
    table = quote(Goal._meta.db_table)
    columns = [Goal._meta.get_field(name).column for name in fields]
    assignments = ", ".join(f"{quote(column)} = v.{quote(column)}" for column in columns)
    parameters: list[list] = [
        [w.goal.pk for w in writes],
        [w.read_version for w in writes],
        *([getattr(w.goal, name) for w in writes] for name in fields),
    ]
    ctes = [
        f"updated AS (UPDATE {table} SET {assignments} "
        f"FROM {_unnest(Goal, ['id', 'read_version', *columns], 'v')} "
        f"WHERE {table}.id = v.id AND {table}.calc_version = v.read_version "
        f"RETURNING {table}.id)"
    ]
    history = [row for w in writes for row in w.history]
    if history:
        parameters += [[getattr(row, name) for row in history] for name in HISTORY_COLUMNS]
        ctes.append(f"history AS ({_insert_joined(ProgressHistory, HISTORY_COLUMNS, 'h')})")
    snapshots = [row for w in writes for row in w.contributions]
    if snapshots:
        parameters += [list(column) for column in zip(*snapshots, strict=True)]
        refreshed = ", ".join(
            f"{quote(name)} = EXCLUDED.{quote(name)}"
            for name in SNAPSHOT_COLUMNS
            if name not in SNAPSHOT_UNIQUE
        )
        upsert = (
            _insert_joined(ContributionSnapshot, SNAPSHOT_COLUMNS, "s")
            + f" ON CONFLICT ({', '.join(SNAPSHOT_UNIQUE)}) DO UPDATE SET {refreshed}"
        )
        ctes.append(f"snapshots AS ({upsert})")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {', '.join(ctes)} SELECT id FROM updated",
            [_array_literal(column) for column in parameters],
        )
        return {pk for (pk,) in cursor.fetchall()}


def _save_portable(writes: list[_Write], fields: Sequence[str]) -> set[int]:
    """The same writes in three statements (SQLite and other databases): the conditional
    UPDATE, then the rows of the goals it updated, inside the caller's transaction."""
    updated = _update_goals(writes, fields)
    written = [w for w in writes if w.goal.pk in updated]
    ProgressHistory.objects.bulk_create(
        [
            ProgressHistory(**{name: getattr(row, name) for name in HISTORY_COLUMNS})
            for w in written
            for row in w.history
        ]
    )
    snapshots = [ContributionSnapshot(**row._asdict()) for w in written for row in w.contributions]
    if snapshots:
        ContributionSnapshot.objects.bulk_create(
            snapshots,
            update_conflicts=True,
            unique_fields=["goal", "member", "as_of"],
            update_fields=[
                "individual_goal",
                "points",
                "share",
                "numerator",
                "denominator",
                "member_value",
            ],
        )
    return updated


def _update_goals(writes: list[_Write], fields: Iterable[str]) -> set[int]:
    """UPDATE ... SET fields WHERE calc_version = the version read, for all the writes in one
    statement per chunk; returns the ids it updated (RETURNING). A row another run changed in
    between keeps its newer state. (Django's bulk_update would build a CASE per field and row,
    whose compilation alone costs more than the recalculation, and cannot compare-and-set.)"""
    if not writes:
        return set()
    columns = [Goal._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    postgresql = connection.vendor == "postgresql"

    def typed(name: str, db_type: str) -> str:
        # PostgreSQL types VALUES columns from the parameters: an all-NULL column would be text.
        return f"CAST(v.{name} AS {db_type})" if postgresql else f"v.{name}"

    names = ["id", "read_version", *(quote(column.column) for column in columns)]
    assignments = ", ".join(
        f"{quote(column.column)} = {typed(quote(column.column), column.db_type(connection))}"
        for column in columns
    )
    table = quote(Goal._meta.db_table)
    placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
    rows = [
        [
            write.goal.pk,
            write.read_version,
            *(
                column.get_db_prep_save(getattr(write.goal, column.attname), connection)
                for column in columns
            ),
        ]
        for write in writes
    ]
    updated: set[int] = set()
    with connection.cursor() as cursor:
        for chunk_start in range(0, len(rows), UPDATE_CHUNK):
            chunk = rows[chunk_start : chunk_start + UPDATE_CHUNK]
            cursor.execute(
                f"WITH v({', '.join(names)}) AS (VALUES "
                + ", ".join([placeholders] * len(chunk))
                + f") UPDATE {table} SET {assignments} FROM v WHERE {table}.id = "
                f"{typed('id', 'bigint')} AND {table}.calc_version = "
                f"{typed('read_version', 'integer')} RETURNING {table}.id",
                [value for row in chunk for value in row],
            )
            updated.update(pk for (pk,) in cursor.fetchall())
    return updated


def _announce(written: list[_Write]) -> None:
    changed = [w for w in written if w.update_state and w.old_status != w.goal.status]
    if changed and goal_status_changed.has_listeners(Goal):
        # Listeners get Goal instances (as they stand after this run's commit).
        instances = Goal.objects.select_related("period").in_bulk([w.goal.pk for w in changed])
        for write in changed:
            if write.goal.pk in instances:
                goal_status_changed.send(
                    sender=Goal,
                    goal=instances[write.goal.pk],
                    old_status=write.old_status,
                    new_status=write.goal.status,
                )
    if written:
        goals_recalculated.send(sender=Goal, goal_ids=[w.goal.pk for w in written])


def _context(goals: list[GoalRow], today: date) -> _Context:
    team_goal_ids = [goal.pk for goal in goals if goal.owner_id is None]
    children: dict[int, list[dict]] = defaultdict(list)
    if team_goal_ids:
        for child in (
            Goal.objects.filter(_among("parent_id", team_goal_ids), archived_at__isnull=True)
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
    return _Context(today=today, children=children, members=members)


# ---------------------------------------------------------------------------------------------
# Public services


def recalculate_goals(
    goal_ids: Iterable[int], *, today: date | None = None, _attempt: int = 1
) -> RecalcResult:
    """Recalculate the given goals (and the roll-up parents above them) set-based.

    Idempotent and safe to run concurrently; see the module docstring. Returns the goals looked
    at, those written, the history rows added and the number of metric-engine calls.
    """
    today = today or timezone.localdate()
    goals = _with_rollup_parents(_load_goals(set(goal_ids)))
    result = RecalcResult(goal_ids=[goal.pk for goal in goals])
    if not goals:
        return result
    context = _context(goals, today)
    writes = _plan(goals, context, timezone.now())
    result.engine_calls = context.engine_calls
    written, conflicting = _commit(writes)
    result.changed_ids = [w.goal.pk for w in written]
    result.history_rows = sum(len(w.history) for w in written)
    if conflicting:
        if _attempt >= MAX_ATTEMPTS:
            logger.warning("Goals %s kept changing under recalculation", conflicting)
        else:
            retry = recalculate_goals(conflicting, today=today, _attempt=_attempt + 1)
            result.merge(retry)
            result.retried += len(conflicting)
    return result


def recalculate_in_batches(
    goal_ids: Iterable[int],
    *,
    backfill: bool = False,
    today: date | None = None,
    progress: Progress = NO_PROGRESS,
    batch_size: int = BATCH_GOALS,
) -> RecalcResult:
    """recalculate_goals (or backfill_history) for many goals, a few teams at a time so that
    `progress` hears of the goals done: a batch holds whole teams (a team goal with its
    members' goals and its roll-up parents), so each batch asks the engine for its teams'
    books only and the whole costs about what one pass would."""
    team_of = dict(Goal.objects.filter(_among("pk", goal_ids)).values_list("pk", "team_id"))
    by_team: dict[int, list[int]] = defaultdict(list)
    for goal_id, team_id in sorted(team_of.items(), key=lambda item: (item[1], item[0])):
        by_team[team_id].append(goal_id)
    batches: list[list[int]] = [[]]
    for team_goals in by_team.values():
        if batches[-1] and len(batches[-1]) + len(team_goals) > batch_size:
            batches.append([])
        batches[-1] += team_goals
    result = RecalcResult()
    progress.start("Backfilling goals" if backfill else "Recalculating goals", len(team_of))
    done = 0
    for batch in batches:
        if not batch:
            continue
        run = backfill_history if backfill else recalculate_goals
        batch_result = run(batch, today=today)
        result.goal_ids += batch_result.goal_ids
        result.merge(batch_result)
        done += len(batch)
        progress.update(done)
    return result


def active_goal_ids(*, today: date | None = None) -> list[int]:
    """Live goals of active periods and of periods that cover today."""
    today = today or timezone.localdate()
    return list(
        Goal.objects.filter(archived_at__isnull=True)
        .filter(
            Q(period__status=GoalPeriod.Status.ACTIVE)
            | Q(period__start__lte=today, period__end__gte=today)
        )
        .values_list("pk", flat=True)
    )


def recalculate_active_goals(*, today: date | None = None) -> RecalcResult:
    """The safety net: recalculate every live goal of the current periods."""
    return recalculate_goals(active_goal_ids(today=today), today=today)


def backfill_history(goal_ids: Iterable[int], *, today: date | None = None) -> RecalcResult:
    """Give calculated metric goals one history point per day from their period start to
    yesterday, each computed "as of" that day from the dated customer data (and team goals
    their members' contribution snapshots of that day), then recalculate them for today. Days
    that already have a point are left alone, so running it again adds nothing. One read of
    the customer data per period, for all the goals and days at once (metrics/series.py)."""
    today = today or timezone.localdate()
    goals = [goal for goal in _load_goals(set(goal_ids)) if is_calculated(goal)]
    result = RecalcResult(goal_ids=[goal.pk for goal in goals])
    existing: set[tuple[int, date]] = set(
        ProgressHistory.objects.filter(goal_id__in=[goal.pk for goal in goals]).values_list(
            "goal_id", "as_of"
        )
    )
    context = _context(goals, today)
    periods: dict[int, dict[str, list[GoalRow]]] = defaultdict(lambda: defaultdict(list))
    for goal in goals:
        periods[goal.period_id][goal.metric_key].append(goal)
    history: dict[int, list[_History]] = defaultdict(list)
    snapshots: dict[int, list[_Snapshot]] = defaultdict(list)
    for by_metric in periods.values():
        period = next(iter(by_metric.values()))[0].period
        last_day = min(today - timedelta(days=1), period.end)
        missing_days = [
            day
            for day in _days(period.start, last_day)
            if any((goal.pk, day) not in existing for group in by_metric.values() for goal in group)
        ]
        if not missing_days:
            continue
        context.engine_calls += 1
        daily = evaluate_daily(
            _scopes(by_metric, context), start=period.start, end=missing_days[-1]
        )
        for metric_key, group in by_metric.items():
            for day in missing_days:
                results = daily[metric_key][(day - period.start).days]
                for goal in group:
                    if (goal.pk, day) in existing:
                        continue
                    value = _calculated_value(goal, results)
                    state = _state_of(goal, value, _progress(goal, value), day, today=today)
                    history[goal.pk].append(
                        _History(
                            goal.pk,
                            day,
                            state.value,
                            state.progress,
                            state.expected_progress,
                            state.status,
                            _local_end_of(day),
                        )
                    )
                    if goal.owner_id is None:
                        snapshots[goal.pk] += _contributions(goal, results, day, context)
    writes = [
        _Write(
            goal=goal,
            read_version=goal.calc_version,
            history=history[goal.pk],
            update_state=False,
            contributions=snapshots[goal.pk],
        )
        for goal in goals
        if history[goal.pk]
    ]
    written, conflicting = _commit(writes)
    result.engine_calls = context.engine_calls
    result.history_rows = sum(len(w.history) for w in written)
    if conflicting:
        result.merge(backfill_history(conflicting, today=today))
    result.merge(recalculate_goals(goal_ids, today=today))
    return result


# ---------------------------------------------------------------------------------------------
# Event-driven scheduling (customer data changed)


def goals_for_owners(owner_ids: Iterable[int], *, today: date | None = None) -> list[int]:
    """Live calculated goals whose scope holds these CSMs' books: their individual goals and
    the team goals of their teams, in periods that have started."""
    today = today or timezone.localdate()
    owner_ids = list(owner_ids)
    team_ids = Membership.objects.filter(user_id__in=owner_ids).values("team_id")
    return list(
        Goal.objects.filter(
            Q(owner_id__in=owner_ids) | Q(owner__isnull=True, team_id__in=team_ids),
            goal_type=Goal.Type.METRIC,
            archived_at__isnull=True,
            period__start__lte=today,
        )
        .exclude(metric_key="")
        .values_list("pk", flat=True)
    )


def mark_pending(goal_ids: Iterable[int]) -> bool:
    """Queue goals for the next coalesced run. True when the caller must enqueue that run
    (no run is scheduled yet); False when an already scheduled run will pick them up.

    A goal already in the queue gets the new time: a run that started before this change then
    leaves it queued (see recalculate_pending)."""
    now = timezone.now()
    PendingRecalculation.objects.bulk_create(
        [PendingRecalculation(goal_id=pk, queued_at=now) for pk in goal_ids],
        update_conflicts=True,
        unique_fields=["goal"],
        update_fields=["queued_at"],
    )
    RecalculationSchedule.objects.get_or_create(name=QUEUE_NAME)
    # Only the first change of a burst wins this conditional update and enqueues the run.
    return bool(
        RecalculationSchedule.objects.filter(name=QUEUE_NAME)
        .filter(Q(scheduled_at__isnull=True) | Q(scheduled_at__lt=now - STALE_SCHEDULE))
        .update(scheduled_at=now)
    )


def recalculate_pending(*, today: date | None = None) -> RecalcResult:
    """Recalculate every queued goal in one run (the coalesced task's body).

    The schedule mark is cleared before the queue is read, so a change that arrives while this
    run works enqueues the next run instead of being stranded. A goal leaves the queue only once
    the run has committed, and only if it was not queued again meanwhile: a run that fails or
    whose worker is killed leaves the queue as it was, for the retry, the redelivered task or
    the next run (recalculating a goal twice is harmless).
    """
    RecalculationSchedule.objects.filter(name=QUEUE_NAME).update(scheduled_at=None)
    started = timezone.now()
    goal_ids = list(
        PendingRecalculation.objects.filter(queued_at__lte=started).values_list(
            "goal_id", flat=True
        )
    )
    result = recalculate_goals(goal_ids, today=today)
    PendingRecalculation.objects.filter(goal_id__in=goal_ids, queued_at__lte=started).delete()
    return result
