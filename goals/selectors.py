"""Reads of goals for the pages and the API: which period is the current one and the order in
which periods are offered (current first, then upcoming, then past); the goals, children, manual
entries, adjustments, history and contributions a viewer reads. Access comes from goals.access:
every read that lists goals takes the viewer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    When,
    prefetch_related_objects,
)

from goals_project.people.models import Team, User
from metrics.registry import METRICS, Metric, evaluate

from . import access
from .comparison import previous_window, scope_values
from .models import (
    Adjustment,
    ContributionSnapshot,
    Goal,
    GoalPeriod,
    ManualEntry,
    ProgressHistory,
)

# Of the periods running today, the one a page opens on: the quarter, else the month, else the
# year (a month is more specific, but teams plan and review by the quarter).
PERIOD_PREFERENCE = [GoalPeriod.Type.QUARTERLY, GoalPeriod.Type.MONTHLY, GoalPeriod.Type.ANNUAL]


def period_order_key(period: GoalPeriod, today: date) -> tuple:
    """Current periods first (quarter, month, year), then upcoming ones from the soonest, then
    past ones from the latest."""
    if period.start <= today <= period.end:
        return (0, PERIOD_PREFERENCE.index(period.period_type), 0)
    if period.start > today:
        return (1, period.start.toordinal(), PERIOD_PREFERENCE.index(period.period_type))
    return (2, -period.start.toordinal(), PERIOD_PREFERENCE.index(period.period_type))


def periods_in_order(periods: Iterable[GoalPeriod], today: date) -> list[GoalPeriod]:
    return sorted(periods, key=lambda period: period_order_key(period, today))


def ordered_period_queryset(queryset: QuerySet[GoalPeriod], today: date) -> QuerySet[GoalPeriod]:
    """The same periods in the same order, as a queryset (for a form's choices)."""
    ordered = periods_in_order(queryset, today)
    if not ordered:
        return queryset
    position = Case(*(When(pk=period.pk, then=index) for index, period in enumerate(ordered)))
    return queryset.order_by(position)


def current_period(periods: Iterable[GoalPeriod], today: date) -> GoalPeriod | None:
    """The period running today that pages open on (see PERIOD_PREFERENCE), or None."""
    ordered = periods_in_order(periods, today)
    if ordered and ordered[0].start <= today <= ordered[0].end:
        return ordered[0]
    return None


def open_periods(today: date) -> QuerySet[GoalPeriod]:
    """Periods that take new goals: current first, then upcoming (then past, not completed)."""
    periods = GoalPeriod.objects.exclude(status=GoalPeriod.Status.COMPLETED)
    return ordered_period_queryset(periods, today)


# ---------------------------------------------------------------------------------------------
# Goals as a viewer reads them


def goal_list(viewer: User) -> QuerySet[Goal]:
    """The goals the viewer may see, with their period, team, owner, parent and objective (a
    parent or objective they may not see is hidden: access.with_parent_visibility,
    access.with_objective_visibility), oldest period first."""
    goals = access.visible_goals(viewer).select_related(
        "period", "team", "owner", "parent", "objective"
    )
    goals = access.with_objective_visibility(goals, viewer)
    return access.with_parent_visibility(goals, viewer).order_by(
        "period__start", "team__name", "pk"
    )


def period_goals(viewer: User, period: GoalPeriod) -> QuerySet[Goal]:
    """A period's goals that the viewer may see, by team, then owner, then name."""
    return access.with_parent_visibility(
        access.visible_goals(viewer)
        .filter(period=period)
        .select_related("team", "owner", "parent")
        .order_by("team__name", "owner__name", "name"),
        viewer,
    )


def visible_children(viewer: User, goal: Goal) -> list[Goal]:
    """The goals cascaded from this one that the viewer may see (one query, and one more for
    shares when the viewer's role does not show some of them)."""
    children = Goal.objects.filter(parent=goal, archived_at__isnull=True).select_related("owner")
    return access.seen_among(viewer, list(children))


def open_children_count(goal: Goal) -> int:
    """How many goals (archived ones aside) cascade from this one, whoever may see them."""
    return Goal.objects.filter(parent=goal, archived_at__isnull=True).count()


def recent_manual_entries(goal: Goal, limit: int = 10) -> QuerySet[ManualEntry]:
    return ManualEntry.objects.filter(goal=goal).select_related("created_by")[:limit]


def goal_adjustments(goal: Goal) -> list[Adjustment]:
    """The goal's adjustments, newest first, with who made them: read once per goal object (the
    goal page's table and its chart's markers share the read; refresh_from_db forgets it)."""
    prefetch_related_objects(
        [goal], Prefetch("adjustments", queryset=Adjustment.objects.select_related("changed_by"))
    )
    return list(goal.adjustments.all())


def goal_history(
    goal: Goal, *, since: date | None = None, until: date | None = None
) -> QuerySet[ProgressHistory]:
    """The goal's recorded progress, in the order it was recorded, within the days given."""
    rows = ProgressHistory.objects.filter(goal=goal).order_by("recorded_at", "pk")
    if since:
        rows = rows.filter(as_of__gte=since)
    if until:
        rows = rows.filter(as_of__lte=until)
    return rows


def latest_contributions(goal: Goal) -> QuerySet[ContributionSnapshot]:
    """A team goal's contribution snapshot on its latest day, largest points first."""
    latest = ContributionSnapshot.objects.filter(goal=goal).order_by("-as_of").values("as_of")[:1]
    return (
        ContributionSnapshot.objects.filter(goal=goal, as_of=Subquery(latest))
        .select_related("goal", "member")
        .order_by("-points", "member__name")
    )


def person_latest_contributions(person: User, *, viewer: User) -> QuerySet[ContributionSnapshot]:
    """The person's contribution on the latest day of each goal the viewer may see."""
    latest_day = (
        ContributionSnapshot.objects.filter(goal=OuterRef("goal"))
        .order_by("-as_of")
        .values("as_of")[:1]
    )
    return (
        ContributionSnapshot.objects.filter(
            member=person, goal__in=access.visible_goals(viewer), as_of=Subquery(latest_day)
        )
        .select_related("goal", "member")
        .order_by("goal__period__start", "goal__name")
    )


def visible_goal_ids(viewer: User, goal_ids: Iterable[int]) -> set[int]:
    """Which of these goals (archived ones included) the viewer may see."""
    return set(
        access.visible_goals(viewer, include_archived=True)
        .filter(pk__in=list(goal_ids))
        .values_list("pk", flat=True)
    )


# ---------------------------------------------------------------------------------------------
# The new-goal form's metric panel


@dataclass
class MetricInfo:
    """The chosen metric's value now for the chosen owner (or team) in the chosen period, and
    the suggested baseline (its value over the previous period of the same type)."""

    metric: Metric
    current: Decimal | None = None
    baseline: Decimal | None = None
    scope: User | Team | None = None
    window: tuple[date, date] | None = None
    previous_window: tuple[date, date] | None = None


def metric_info(
    *,
    metric_key: str,
    period: GoalPeriod | None,
    team: Team | None,
    owner: User | None,
    today: date,
) -> MetricInfo | None:
    if metric_key not in METRICS:
        return None
    info = MetricInfo(metric=METRICS[metric_key])
    if period is None or team is None:
        return info
    end = min(today, period.end)
    if end >= period.start:
        results = evaluate(
            metric_key,
            start=period.start,
            end=end,
            user_ids=[owner.pk] if owner else [],
            team_ids=[] if owner else [team.pk],
        )
        ratio = results.users[owner.pk] if owner else results.teams[team.pk]
        info.current = ratio.value
    info.window = (period.start, end)
    info.previous_window = previous_window(period)
    info.baseline = default_baseline(
        metric_key=metric_key,
        period=period,
        team_id=team.pk,
        owner_id=owner.pk if owner else None,
    )
    info.scope = owner or team
    return info


def default_baseline(
    *, metric_key: str, period: GoalPeriod, team_id: int, owner_id: int | None
) -> Decimal | None:
    """The metric's value for the same owner over the previous period of the same type."""
    window = previous_window(period)
    request = (metric_key, window, team_id, owner_id)
    return scope_values([request])[request]
