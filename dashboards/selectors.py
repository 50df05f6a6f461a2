"""Every read behind the dashboards: team dashboard, individual view, goal detail panels.

Each page reads a fixed number of queries whatever the number of goals or members: goals come
with their owner and last week's value in one query, history for all sparklines in one more.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, F, Func, Max, OuterRef, QuerySet, Subquery, Sum
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from checkins.models import CheckIn
from goals.access import visible_goals, visible_team_goals
from goals.display import (
    STATUS_ORDER,
    ProgressReading,
    clamped,
    count_progress,
    progress_reading,
)
from goals.early_warning import recent_warnings_q
from goals.models import (
    ContributionSnapshot,
    EarlyWarning,
    Goal,
    GoalPeriod,
    Milestone,
    ProgressHistory,
)
from goals.selectors import current_period, periods_in_order
from goals_project.people.access import can_lead_team
from goals_project.people.models import Team, User
from goals_project.people.selectors import membership_of

from . import display
from .charts import Point, progress_trend_figure, sparkline_svg

ON_TRACK_OR_BETTER = {Goal.Status.ON_TRACK, Goal.Status.ACHIEVED, Goal.Status.EXCEEDED}
SORTS = {
    "status": "Status (needs attention first)",
    "progress": "Progress (lowest first)",
    "-progress": "Progress (highest first)",
    "name": "Name",
    "owner": "Owner",
    "forecast": "Chance of target (lowest first)",
    "updated": "Last updated (newest first)",
}
TEAM_OWNER = "team"


def local_today() -> date:
    return timezone.localdate()


def goal_url(goal_id: int) -> str:
    return reverse("goals:goal_detail", args=[goal_id])


# Periods -------------------------------------------------------------------------------------


def all_periods(today: date) -> list[GoalPeriod]:
    """Every period, current first, then upcoming, then past (the period pills' order)."""
    return periods_in_order(GoalPeriod.objects.all(), today)


def pick_period(periods: Sequence[GoalPeriod], wanted: str | None, today: date) -> GoalPeriod:
    """The asked period, else the one running today (the quarter, then month, then year), else
    the latest that has started, else the soonest to come.

    Raises GoalPeriod.DoesNotExist when there is no period at all or the asked id is unknown."""
    if wanted:
        for period in periods:
            if str(period.pk) == str(wanted):
                return period
        raise GoalPeriod.DoesNotExist(f"No goal period {wanted!r}.")
    running = current_period(periods, today)
    if running is not None:
        return running
    started = sorted((p for p in periods if p.start <= today), key=lambda p: p.start, reverse=True)
    upcoming = sorted((p for p in periods if p.start > today), key=lambda p: p.start)
    if started or upcoming:
        return (started or upcoming)[0]
    raise GoalPeriod.DoesNotExist("There are no goal periods yet.")


def period_elapsed_day(period: GoalPeriod, today: date) -> date:
    """The last day the period's numbers describe: today, or the end of a finished period."""
    return min(max(today, period.start), period.end)


# Goal rows -----------------------------------------------------------------------------------


@dataclass
class GoalRow:
    """One goal as the dashboards show it, in the leader's words and numbers."""

    goal: Goal
    url: str
    name: str
    owner_id: int | None
    owner_name: str
    type_label: str
    metric_key: str
    metric_label: str
    unit: str
    value: Decimal | None
    value_display: str
    target_display: str
    stretch_display: str
    progress: Decimal | None
    progress_display: str  # as it reads: "64%", "below baseline", "1.9 pts under the 90% floor"
    reading: ProgressReading
    expected_display: str
    status: str
    status_label: str
    forecast_display: str
    forecast_probability: Decimal | None
    forecast_probability_display: str
    week_change: Decimal | None
    week_change_display: str
    sparkline: str
    last_updated: datetime | None


@dataclass
class GoalFilters:
    status: str = ""
    owner: str = ""
    goal_type: str = ""
    metric: str = ""
    sort: str = "status"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> GoalFilters:
        """Filters from a query string; a value that is not a choice is ignored (no filter)."""
        status = query.get("status", "")
        goal_type = query.get("type", "")
        owner = query.get("owner", "")
        sort = query.get("sort", "status")
        return cls(
            status=status if status in Goal.Status.values else "",
            owner=owner if owner == TEAM_OWNER or owner.isdigit() else "",
            goal_type=goal_type if goal_type in Goal.Type.values else "",
            metric=query.get("metric", "")[:40],
            sort=sort if sort in SORTS else "status",
        )

    def matches(self, row: GoalRow) -> bool:
        if self.status and row.status != self.status:
            return False
        if self.owner == TEAM_OWNER and row.owner_id is not None:
            return False
        if self.owner.isdigit() and row.owner_id != int(self.owner):
            return False
        if self.goal_type and row.goal.goal_type != self.goal_type:
            return False
        return not (self.metric and row.metric_key != self.metric)

    @property
    def active(self) -> bool:
        return bool(self.status or self.owner or self.goal_type or self.metric)


def dashboard_goals(
    viewer: User, *, period: GoalPeriod, today: date, team: Team | None = None
) -> QuerySet[Goal]:
    """Goals of the period the viewer may see (of one team if given), with owner, the value a
    week ago and the reason of an early warning of the last seven days (`early_warning`, None
    without; one query)."""
    week_ago = ProgressHistory.objects.filter(
        goal=OuterRef("pk"), as_of__lte=today - timedelta(days=7)
    ).order_by("-as_of", "-recorded_at", "-pk")
    warning = EarlyWarning.objects.filter(recent_warnings_q(), goal=OuterRef("pk")).order_by(
        "-raised_at"
    )
    visible = visible_goals(viewer) if team is None else visible_team_goals(viewer, team.pk)
    return with_milestone_counts(
        visible.filter(period=period)
        .select_related("owner", "period")
        .annotate(
            week_ago_value=Subquery(week_ago.values("value")[:1]),
            early_warning=Subquery(warning.values("reason")[:1]),
        )
        .order_by("owner__name", "name", "pk")
    )


def team_dashboard_version(
    *, viewer: User, team: Team, period: GoalPeriod, query: str, today: date
) -> str:
    """An ETag for what the team dashboard's live part and its API show the viewer: it changes
    when a recalculation writes one of the team's goals of the period (calc_version, when it
    was calculated), when one is edited, added, archived or shared (updated_at, the count), with
    the day (the week's change), the viewer's role and the filters; so an idle team's poll is
    one small query and a 304 Not Modified."""
    goals = Goal.objects.filter(team=team, period=period).aggregate(
        count=Count("pk"),
        edited=Max("updated_at"),
        calculated=Max("last_calculated_at"),
        versions=Sum("calc_version"),
    )
    membership = membership_of(viewer)
    state = (
        viewer.pk,
        viewer.is_staff,
        membership and (membership.team_id, membership.role),
        team.pk,
        (period.pk, period.start, period.end, period.status),
        today,
        query,
        sorted(goals.items()),
    )
    return hashlib.blake2b(repr(state).encode(), digest_size=16).hexdigest()


def with_milestone_counts(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    """Annotate each goal with its milestones done and in all (two subqueries, no join)."""
    milestones = Milestone.objects.filter(goal=OuterRef("pk")).order_by().values("goal")
    count = Func(F("pk"), function="COUNT")
    return goals.annotate(
        milestones_total=Subquery(milestones.annotate(n=count).values("n")[:1]),
        milestones_done=Subquery(
            milestones.filter(done_at__isnull=False).annotate(n=count).values("n")[:1]
        ),
    )


class HistoryPoint(NamedTuple):
    as_of: date
    value: Decimal | None
    progress: Decimal | None


def history_by_goal(
    goal_ids: Iterable[int], *, since: date, until: date | None = None
) -> dict[int, list[HistoryPoint]]:
    """History of many goals in one query, the last row of each day only (plain tuples: a
    dashboard reads thousands of them)."""
    rows = ProgressHistory.objects.filter(goal_id__in=list(goal_ids), as_of__gte=since)
    if until is not None:
        rows = rows.filter(as_of__lte=until)
    by_goal: dict[int, dict[date, HistoryPoint]] = defaultdict(dict)
    for goal_id, as_of, value, progress in rows.order_by(
        "goal_id", "as_of", "recorded_at", "pk"
    ).values_list("goal_id", "as_of", "value", "progress"):
        by_goal[goal_id][as_of] = HistoryPoint(as_of, value, progress)
    return {goal_id: list(days.values()) for goal_id, days in by_goal.items()}


def goal_row(goal: Goal, *, history: Sequence[HistoryPoint] = ()) -> GoalRow:
    """A goal in the dashboards' words; `week_ago_value` is read when the query annotated it."""
    unit = display.goal_unit(goal)
    target = Decimal(goal.task_target) if goal.goal_type == Goal.Type.TASK else goal.target
    milestones_total = getattr(goal, "milestones_total", None)
    if goal.goal_type == Goal.Type.MILESTONE:
        target = Decimal(100)
    week_ago = getattr(goal, "week_ago_value", None)
    change = (
        goal.current_value - week_ago
        if goal.current_value is not None and week_ago is not None
        else None
    )
    probability = goal.forecast_target_probability
    owner = goal.owner
    reading = progress_reading(goal)
    return GoalRow(
        goal=goal,
        url=goal_url(goal.pk),
        name=goal.name,
        owner_id=goal.owner_id,
        owner_name=(owner.get_full_name() if owner else "Team"),
        type_label=goal.get_goal_type_display(),
        metric_key=goal.metric_key,
        metric_label=display.metric_label(goal.metric_key) if goal.metric_key else "",
        unit=unit,
        value=goal.current_value,
        value_display=count_progress(
            goal,
            milestones_done=getattr(goal, "milestones_done", None),
            milestones_total=milestones_total,
        )
        or display.with_unit(goal.current_value, unit),
        target_display=(
            f"{milestones_total} milestone{pluralize(milestones_total)}"
            if goal.goal_type == Goal.Type.MILESTONE and milestones_total
            else display.with_unit(target, unit)
            if target is not None
            else ""
        ),
        stretch_display=(
            display.with_unit(goal.stretch_target, unit) if goal.stretch_target is not None else ""
        ),
        progress=goal.progress,
        progress_display=reading.text,
        reading=reading,
        expected_display=reading.expected,
        status=goal.status,
        status_label=goal.get_status_display(),
        forecast_display=display.forecast_words(goal, unit),
        forecast_probability=probability,
        forecast_probability_display=(
            f"{display.chance(probability)} chance of target" if probability is not None else ""
        ),
        week_change=change,
        week_change_display=display.signed_change(change, unit),
        sparkline=sparkline_svg([row.value for row in history]),
        last_updated=goal.last_calculated_at,
    )


def goal_rows(goals: Sequence[Goal], *, period: GoalPeriod) -> list[GoalRow]:
    """Rows for many goals: their sparkline history in one query."""
    history = history_by_goal([goal.pk for goal in goals], since=period.start, until=period.end)
    return [goal_row(goal, history=history.get(goal.pk, ())) for goal in goals]


def _sort_key(sort: str):
    status_rank = {status: index for index, status in enumerate(STATUS_ORDER)}
    low = Decimal("-1e18")
    keys = {
        "status": lambda row: (status_rank.get(row.status, 99), row.progress or low, row.name),
        "progress": lambda row: (row.progress is None, row.progress or low, row.name),
        "-progress": lambda row: (row.progress is None, -(row.progress or low), row.name),
        "name": lambda row: (row.name.lower(), row.goal.pk),
        "owner": lambda row: (row.owner_id is not None, row.owner_name.lower(), row.name),
        "forecast": lambda row: (
            row.forecast_probability is None,
            row.forecast_probability or low,
            row.name,
        ),
        "updated": lambda row: (
            row.last_updated is None,
            -(row.last_updated.timestamp() if row.last_updated else 0),
            row.name,
        ),
    }
    return keys[sort]


def filter_and_sort(rows: Iterable[GoalRow], filters: GoalFilters) -> list[GoalRow]:
    return sorted((row for row in rows if filters.matches(row)), key=_sort_key(filters.sort))


# Team dashboard ------------------------------------------------------------------------------


@dataclass
class StatusCount:
    status: str
    label: str
    count: int


@dataclass
class HeadlineMetric:
    name: str
    metric_label: str
    value_display: str
    change_display: str
    change: Decimal | None
    url: str


@dataclass
class TeamDashboard:
    team: Team
    period: GoalPeriod
    periods: list[GoalPeriod]
    filters: GoalFilters
    rows: list[GoalRow]
    total_goals: int
    status_counts: list[StatusCount]
    on_track_count: int
    on_track_share: Decimal | None
    headlines: list[HeadlineMetric]
    owners: list[tuple[int, str]]
    metrics: list[tuple[str, str]]
    can_open_people: bool  # a lead (or an admin) opens each member's page from the rows


def status_summary(rows: Sequence[GoalRow]) -> tuple[list[StatusCount], int, Decimal | None]:
    counts = {status: 0 for status in STATUS_ORDER}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    on_track = sum(counts[status] for status in ON_TRACK_OR_BETTER)
    share = Decimal(on_track) / len(rows) * 100 if rows else None
    ordered = [
        StatusCount(status=status, label=Goal.Status(status).label, count=counts[status])
        for status in reversed(STATUS_ORDER[:-1])
    ] + [StatusCount(Goal.Status.NO_DATA, Goal.Status.NO_DATA.label, counts[Goal.Status.NO_DATA])]
    return ordered, on_track, share


def team_dashboard(
    *,
    viewer: User,
    team: Team,
    period: GoalPeriod,
    periods: list[GoalPeriod],
    filters: GoalFilters,
    today: date,
) -> TeamDashboard:
    """The team's goals of the period as the viewer may see them, filtered and sorted, with the
    summary strip computed over all of them (the strip does not change with the filters)."""
    goals = list(dashboard_goals(viewer, period=period, today=today, team=team))
    rows = goal_rows(goals, period=period)
    status_counts, on_track_count, on_track_share = status_summary(rows)
    headlines = [
        HeadlineMetric(
            name=row.name,
            metric_label=display.metric_short_label(row.metric_key),
            value_display=row.value_display,
            change_display=row.week_change_display,
            change=row.week_change,
            url=row.url,
        )
        for row in rows
        # Headline metrics are the calculated ones (NRR, GRR, ...), not hand-entered measures.
        if row.owner_id is None and row.goal.goal_type == Goal.Type.METRIC and row.metric_key
    ]
    owners = sorted(
        {(row.owner_id, row.owner_name) for row in rows if row.owner_id is not None},
        key=lambda owner: owner[1].lower(),
    )
    metrics = sorted({(row.metric_key, row.metric_label) for row in rows if row.metric_key})
    return TeamDashboard(
        team=team,
        period=period,
        periods=periods,
        filters=filters,
        rows=filter_and_sort(rows, filters),
        total_goals=len(rows),
        status_counts=status_counts,
        on_track_count=on_track_count,
        on_track_share=on_track_share,
        headlines=headlines,
        owners=owners,
        metrics=metrics,
        can_open_people=can_lead_team(viewer, team),
    )


# Individual view -----------------------------------------------------------------------------


@dataclass
class ContributionLine:
    """A member's share of one team metric goal, in a sentence and in numbers."""

    goal_id: int
    goal_name: str
    goal_url: str
    metric_label: str
    sentence: str
    member_value_display: str
    book_display: str
    points: Decimal | None
    points_display: str
    team_value_display: str
    as_of: date


@dataclass
class IndividualDashboard:
    person: User
    is_self: bool
    period: GoalPeriod
    periods: list[GoalPeriod]
    rows: list[GoalRow]
    contributions: list[ContributionLine]
    trend_figure: dict | None
    checkin_streak: int | None
    on_track_count: int
    status_counts: list[StatusCount]


def contribution_lines(
    viewer: User, *, person: User, period: GoalPeriod, is_self: bool
) -> list[ContributionLine]:
    """The person's latest contribution to each team metric goal of the period the viewer may
    see (one query)."""
    latest = ContributionSnapshot.objects.filter(goal=OuterRef("goal")).order_by("-as_of")
    snapshots = (
        ContributionSnapshot.objects.filter(
            member=person,
            goal__period=period,
            goal__owner__isnull=True,
            goal__in=visible_goals(viewer).filter(period=period, owner__isnull=True),
        )
        .filter(as_of=Subquery(latest.values("as_of")[:1]))
        .select_related("goal")
        .order_by("goal__name", "goal_id")
    )
    whose = "Your book" if is_self else f"{person.get_full_name()}'s book"
    lines = []
    for snapshot in snapshots:
        goal = snapshot.goal
        unit = display.goal_unit(goal)
        label = display.metric_short_label(goal.metric_key)
        member_value = display.with_unit(snapshot.member_value, unit)
        book = display.denominator_words(goal.metric_key, snapshot.denominator)
        points = display.number(snapshot.points)
        team_value = display.with_unit(goal.current_value, unit)
        lines.append(
            ContributionLine(
                goal_id=goal.pk,
                goal_name=goal.name,
                goal_url=goal_url(goal.pk),
                metric_label=label,
                sentence=(
                    f"{whose}: {label} {member_value} on {book} = {points} points "
                    f"of the team's {team_value}"
                ),
                member_value_display=member_value,
                book_display=book,
                points=snapshot.points,
                points_display=points,
                team_value_display=team_value,
                as_of=snapshot.as_of,
            )
        )
    return lines


def checkin_streak(person: User, *, today: date) -> int:
    """Consecutive ISO weeks with at least one check-in, counting back from this week (or from
    last week while this week's check-in is still open)."""
    this_week = today - timedelta(days=today.weekday())
    weeks = set(
        CheckIn.objects.filter(
            user=person, week_start__gte=this_week - timedelta(weeks=104)
        ).values_list("week_start", flat=True)
    )
    week = this_week if this_week in weeks else this_week - timedelta(weeks=1)
    streak = 0
    while week in weeks:
        streak += 1
        week -= timedelta(weeks=1)
    return streak


def individual_dashboard(
    *,
    viewer: User,
    person: User,
    period: GoalPeriod,
    periods: list[GoalPeriod],
    today: date,
) -> IndividualDashboard:
    """The person's own goals, their contributions to team goals and their trend."""
    is_self = viewer.pk == person.pk
    goals = list(dashboard_goals(viewer, period=period, today=today).filter(owner=person))
    history = history_by_goal([goal.pk for goal in goals], since=period.start, until=period.end)
    rows = [goal_row(goal, history=history.get(goal.pk, ())) for goal in goals]
    rows.sort(key=_sort_key("status"))
    trend = [
        # Clamped: one goal far below its baseline must not stretch everyone's axis.
        (goal.name, [Point(row.as_of, clamped(row.progress)) for row in history[goal.pk]])
        for goal in goals
        if len(history.get(goal.pk, ())) >= 2
    ]
    status_counts, on_track_count, _ = status_summary(rows)
    return IndividualDashboard(
        person=person,
        is_self=is_self,
        period=period,
        periods=periods,
        rows=rows,
        contributions=contribution_lines(viewer, person=person, period=period, is_self=is_self),
        trend_figure=progress_trend_figure(series=trend) if trend else None,
        checkin_streak=checkin_streak(person, today=today),
        on_track_count=on_track_count,
        status_counts=status_counts,
    )
