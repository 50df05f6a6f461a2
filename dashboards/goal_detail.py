"""The dashboards' part of the goal page: the chart, contributions, and historical comparison.

`goal_detail_panels(viewer=, goal=, today=)` is the selector: it reads a fixed handful of
queries for any goal and computes the comparisons. Dashboards registers it as a goal page panel
(goals.panels, in DashboardsConfig.ready); the goal view calls it and the page includes
`dashboards/goal_panels.html` with the result as `panel`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Subquery, Sum
from django.utils import timezone

from checkins.selectors import goal_checkins
from goals.access import can_edit_goal, visible_goals, visible_team_goals
from goals.comparison import goal_comparison
from goals.display import counted_progress
from goals.models import ContributionSnapshot, Goal
from goals.selectors import goal_adjustments
from goals_project.people.models import User
from metrics.registry import METRICS

from . import display
from .charts import (
    ForecastBand,
    Marker,
    Point,
    contributions_figure,
    goal_progress_figure,
)
from .selectors import HistoryPoint, goal_url, history_by_goal, local_today, period_elapsed_day

HUNDRED = Decimal(100)
COMPARISON_CACHE_SECONDS = 15 * 60
NOTE_LENGTH = 160


@dataclass
class ContributionRow:
    member_id: int
    member_name: str
    member_value_display: str
    book_display: str
    share_display: str
    points: Decimal | None
    points_display: str
    individual_goal_url: str
    individual_goal_name: str


@dataclass
class ComparisonRow:
    label: str
    value_display: str
    change_display: str


@dataclass
class GoalPanels:
    goal: Goal
    has_contributions: bool  # a team goal on a calculated metric decomposes into members' books
    chart: dict
    chart_id: str
    chart_summary: str
    forecast_sentence: str
    contributions: list[ContributionRow]
    contributions_as_of: date | None
    contributions_total_display: str
    team_value_display: str
    contributions_chart: dict | None
    comparisons: list[ComparisonRow]


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= NOTE_LENGTH else text[: NOTE_LENGTH - 1] + "…"


def _value_on(points: list[Point], day: date) -> Decimal | None:
    """The last known value on or before the day (markers sit on the line)."""
    known = [point.value for point in points if point.day <= day and point.value is not None]
    if known:
        return known[-1]
    return points[0].value if points else None


def _uses_progress_scale(goal: Goal) -> bool:
    # Task and milestone goals are charted as percent done, so target and pace read alike.
    return goal.goal_type != Goal.Type.METRIC


def _earlier_goals(viewer: User, goal: Goal) -> list[Goal]:
    """The same owner's goals on the same measure in earlier periods of the same type, those the
    viewer may see (last quarter's goal may have been private)."""
    same = visible_team_goals(viewer, goal.team_id, include_archived=True).filter(
        owner_id=goal.owner_id,
        goal_type=goal.goal_type,
        period__period_type=goal.period.period_type,
        period__start__lt=goal.period.start,
    )
    same = (
        same.filter(metric_key=goal.metric_key) if goal.metric_key else same.filter(name=goal.name)
    )
    # What the chart's last-period line and the comparison read of them.
    same = same.select_related("period").only(
        "period",
        "goal_type",
        "progress",
        "current_value",
        "period__name",
        "period__start",
        "period__end",
    )
    return list(same.order_by("-period__start")[:8])


def _one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _chart_points(goal: Goal, rows: list[HistoryPoint]) -> list[Point]:
    if _uses_progress_scale(goal):
        return [Point(row.as_of, row.progress) for row in rows]
    return [Point(row.as_of, row.value) for row in rows]


def _markers(goal: Goal, points: list[Point]) -> list[Marker]:
    markers = []
    zone = timezone.get_current_timezone()
    # The page's adjustments table and check-in history read the same rows: one read each.
    for adjustment in goal_adjustments(goal):
        day = timezone.localtime(adjustment.changed_at, zone).date()
        who = adjustment.changed_by.get_full_name() if adjustment.changed_by else "someone"
        note = (
            f"{adjustment.field}: {adjustment.old_value or '–'} → {adjustment.new_value or '–'}"
            f" by {who}: {adjustment.reason}"
        )
        markers.append(Marker(day, _value_on(points, day), "adjustment", _shorten(note)))
    for checkin in goal_checkins(goal):
        day = timezone.localtime(checkin.created_at, zone).date()
        note = f"{checkin.user.get_full_name()}, confidence {checkin.confidence}/5"
        if checkin.note:
            note += f": {checkin.note}"
        markers.append(Marker(day, _value_on(points, day), "check-in", _shorten(note)))
    return markers


def _contributions(
    viewer: User, goal: Goal
) -> tuple[list[ContributionRow], date | None, Decimal | None]:
    """The members' latest contribution snapshot to a team goal (one query for the columns the
    table shows, and one more for which individual goals a member may open)."""
    if not goal.is_team_goal or not goal.metric_key:
        return [], None, None
    latest = ContributionSnapshot.objects.filter(goal=goal).order_by("-as_of").values("as_of")[:1]
    snapshots = list(
        ContributionSnapshot.objects.filter(goal=goal, as_of=Subquery(latest))
        .order_by("-points", "member__name")
        .values_list(
            "as_of",
            "member_id",
            "member__name",
            "member__email",
            "member_value",
            "denominator",
            "share",
            "points",
            "individual_goal_id",
            "individual_goal__name",
        )
    )
    linked = {snapshot[8] for snapshot in snapshots if snapshot[8] is not None}
    if linked and not can_edit_goal(viewer, goal):
        # Leads and admins see every goal of the team; anyone else only what access allows.
        linked = set(visible_goals(viewer).filter(pk__in=linked).values_list("pk", flat=True))
    unit = display.goal_unit(goal)
    rows = []
    total = Decimal(0)
    as_of = None
    for (
        day,
        member_id,
        member_name,
        member_email,
        member_value,
        denominator,
        share,
        points,
        individual_id,
        individual_name,
    ) in snapshots:
        as_of = day
        total += points or 0
        individual = individual_id in linked
        rows.append(
            ContributionRow(
                member_id=member_id,
                member_name=member_name or member_email,
                member_value_display=display.with_unit(member_value, unit),
                book_display=display.denominator_words(goal.metric_key, denominator),
                share_display=display.percent(share * HUNDRED if share is not None else None, 1),
                points=points,
                points_display=display.number(points),
                individual_goal_url=goal_url(individual_id) if individual else "",
                individual_goal_name=individual_name if individual else "",
            )
        )
    return rows, as_of, (total if rows else None)


def _measured_comparison(goal: Goal, today: date):
    """goals.comparison for the goal, kept for a few minutes: it evaluates the metric over three
    past windows (a third of the page's time) and changes only with the day or when the goal is
    recalculated, both of which are in the key. A miss is one read and one write of the cache
    (get_or_set would read it a second time)."""
    key = f"dashboards:comparison:{goal.pk}:{goal.calc_version}:{today.isoformat()}"
    measured = cache.get(key)
    if measured is None:
        measured = goal_comparison(goal, today=today)
        cache.set(key, measured, COMPARISON_CACHE_SECONDS)
    return measured


def _window(window: tuple[date, date]) -> str:
    start, end = window
    return f"{start:%-d %b} – {end:%-d %b %Y}"


def _comparisons(
    goal: Goal, earlier: list[Goal], previous_points: list[Point], today: date
) -> list[ComparisonRow]:
    unit = display.goal_unit(goal)
    current = goal.progress if _uses_progress_scale(goal) else goal.current_value
    shown_unit = "%" if _uses_progress_scale(goal) else unit

    def row(label: str, value: Decimal | None) -> ComparisonRow:
        change = current - value if current is not None and value is not None else None
        return ComparisonRow(
            label=label,
            value_display=display.with_unit(value, shown_unit),
            change_display=display.signed_change(change, shown_unit),
        )

    def final(other: Goal) -> Decimal | None:
        return other.progress if _uses_progress_scale(goal) else other.current_value

    if goal.goal_type == Goal.Type.METRIC and goal.metric_key:
        # Calculated metrics are compared from the customer data itself, goal or no goal.
        measured = _measured_comparison(goal, today)
        if measured is not None:
            return [
                row(
                    f"Previous period ({_window(measured.previous_window)})",
                    measured.previous_value,
                ),
                row(
                    f"Same period last year ({_window(measured.last_year_window)})",
                    measured.last_year_value,
                ),
                row(
                    "Previous period at the same point"
                    + (
                        f" ({_window(measured.same_point_window)})"
                        if measured.same_point_window
                        else ""
                    ),
                    measured.same_point_value,
                ),
            ]
    rows = []
    previous = earlier[0] if earlier else None
    rows.append(
        row(f"Previous period ({previous.period.name})", final(previous))
        if previous
        else ComparisonRow("Previous period", display.NO_DATA, "")
    )
    year_ago = _one_year_before(goal.period.start)
    last_year = next((other for other in earlier if other.period.start == year_ago), None)
    rows.append(
        row(f"Same period last year ({last_year.period.name})", final(last_year))
        if last_year
        else ComparisonRow("Same period last year", display.NO_DATA, "")
    )
    elapsed = (period_elapsed_day(goal.period, today) - goal.period.start).days
    same_point = _value_on(previous_points, goal.period.start + timedelta(days=elapsed))
    rows.append(
        row(f"Previous period at the same point (day {elapsed + 1})", same_point)
        if previous_points
        else ComparisonRow("Previous period at the same point", display.NO_DATA, "")
    )
    return rows


def _forecast(goal: Goal, points: list[Point]) -> ForecastBand | None:
    known = [point for point in points if point.value is not None]
    if _uses_progress_scale(goal) or goal.forecast_value is None or not known:
        return None
    if known[-1].day >= goal.period.end:
        return None
    probability = goal.forecast_target_probability
    text = f"{display.chance(probability)} chance of target" if probability is not None else ""
    return ForecastBand(
        start=known[-1],
        end_day=goal.period.end,
        value=goal.forecast_value,
        low=goal.forecast_low,
        high=goal.forecast_high,
        probability_text=text,
    )


def _forecast_unit(goal: Goal, unit: str) -> tuple[str, Decimal]:
    """The unit the goal page states the forecast in, and the factor from the stored values: a
    milestone goal's done weight reads as percent of its milestones' total weight."""
    if goal.goal_type == Goal.Type.MILESTONE:
        total = goal.milestones.aggregate(total=Sum("weight"))["total"]
        return "%", (HUNDRED / total if total else Decimal(1))
    return unit, Decimal(1)


def _pace(goal: Goal) -> list[Point]:
    """The expected pace as the chart draws it: from the baseline to the target for a level
    metric, from 0 along the metric's own pace for an accumulating one (QBR completion fills
    up through each quarter), 0 to 100 % for tasks and milestones; none for a maintain goal
    (its target line is what it holds)."""
    period = goal.period
    if _uses_progress_scale(goal):
        return [Point(period.start, Decimal(0)), Point(period.end, HUNDRED)]
    if goal.direction == Goal.Direction.MAINTAIN or goal.target is None:
        return []
    metric = METRICS.get(goal.metric_key)
    if metric is not None and metric.accumulates:
        origin = metric.value_range[0] or Decimal(0)
        days = [
            period.start + timedelta(days=n) for n in range(0, (period.end - period.start).days, 7)
        ]
        return [
            Point(
                day,
                origin
                + metric.expected_share(start=period.start, end=period.end, as_of=day)
                * (goal.target - origin),
            )
            for day in [*days, period.end]
        ]
    if goal.baseline is None:
        return []
    return [Point(period.start, goal.baseline), Point(period.end, goal.target)]


def goal_detail_panels(*, viewer: User, goal: Goal, today: date) -> GoalPanels:
    """Chart, contributions and comparison for a goal the viewer may see (checked by the page)."""
    period = goal.period
    earlier = _earlier_goals(viewer, goal)
    previous = earlier[0] if earlier else None
    # This goal's history and last period's, in one query.
    history = history_by_goal(
        [goal.pk] + ([previous.pk] if previous else []),
        since=previous.period.start if previous else period.start,
        until=period.end,
    )
    rows = [row for row in history.get(goal.pk, []) if row.as_of >= period.start]
    points = _chart_points(goal, rows)
    previous_points: list[Point] = []
    if previous is not None:
        previous_rows = [
            row for row in history.get(previous.pk, []) if row.as_of <= previous.period.end
        ]
        # Last period's line is drawn at the same elapsed day of this period.
        length = (period.end - period.start).days
        previous_points = [
            Point(period.start + timedelta(days=offset), point.value)
            for point in _chart_points(previous, previous_rows)
            if (offset := (point.day - previous.period.start).days) <= length
        ]
    progress_scale = _uses_progress_scale(goal)
    unit = display.goal_unit(goal)
    unit_title = "Progress %" if progress_scale else (display.metric_label(goal.metric_key) or "")
    if not progress_scale and unit:
        unit_title = f"{unit_title} ({unit})"
    chart = goal_progress_figure(
        history=points,
        start=period.start,
        end=period.end,
        unit_title=unit_title,
        target=HUNDRED if progress_scale else goal.target,
        stretch=None if progress_scale else goal.stretch_target,
        pace=_pace(goal),
        value_range=(
            (Decimal(0), None)
            if progress_scale
            else METRICS[goal.metric_key].value_range
            if goal.metric_key in METRICS
            else (None, None)
        ),
        forecast=_forecast(goal, points),
        previous=previous_points,
        previous_name=f"{earlier[0].period.name} (same day)" if earlier else "",
        markers=_markers(goal, points),
    )
    contributions, as_of, total = _contributions(viewer, goal)
    team_value = display.with_unit(goal.current_value, unit)
    counted = counted_progress(goal)
    if counted:
        summary = f"{goal.name}: {counted} done; {len(points)} measured days."
    else:
        summary = (
            f"{goal.name}: {display.with_unit(goal.current_value, unit)} now, target "
            f"{display.with_unit(goal.target, unit)}; {len(points)} measured days."
        )
    return GoalPanels(
        goal=goal,
        forecast_sentence=display.forecast_sentence(goal, *_forecast_unit(goal, unit)),
        has_contributions=goal.is_team_goal and bool(goal.metric_key),
        chart=chart,
        chart_id=f"goal-chart-{goal.pk}",
        chart_summary=summary,
        contributions=contributions,
        contributions_as_of=as_of,
        contributions_total_display=display.number(total),
        team_value_display=team_value,
        contributions_chart=(
            contributions_figure(
                members=[(row.member_name, row.points) for row in contributions],
                team_value=goal.current_value,
                unit_title="Points",
            )
            if contributions
            else None
        ),
        comparisons=_comparisons(goal, earlier, previous_points, today),
    )


def goal_page_panel(*, viewer: User, goal: Goal) -> GoalPanels:
    """The goal page's panel (goals.panels): `goal_detail_panels` as of today."""
    return goal_detail_panels(viewer=viewer, goal=goal, today=local_today())
