"""Early warnings: a goal whose pace still looks fine but whose forecast gives it little chance.

A goal gets an early warning when, after a recalculation, its forecast's chance of reaching its
target is below settings.GOAL_EARLY_WARNING_PROBABILITY (default 30 %) while its pace status is
still on track or at risk, in a period running today; at most once per goal in seven days (a
unique row per goal and week holds it against concurrent runs). The owner and the team's leads
are told by the app that listens (checkins.early_warnings, through the notification
preferences).

Truthful for every kind of goal: a maintain goal's chance is the chance that it still holds at
the period end (a floor: at or above; a ceiling: at or below), and its line says the trend ends
below the floor or above the ceiling; an accumulating metric (QBR completion) is forecast filling
up like the org's past quarters (goals/forecast.py), so the warning is not the mere fact that the
quarter is not over yet.

The line carries the numbers ("Trend lands at 101.2% vs target 104% (22% chance); 3 accounts
contracted or churned in the last 30 days: Acme, Globex, Initech.") from the goal's stored
forecast and the metric's breakdown of the last 30 days (metrics/breakdown.py): contracted or
churned accounts for NRR/GRR, churned renewals for the renewal rate, detractors for NPS, QBRs
missed for QBR completion.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from goals_project.people.models import Membership
from metrics import breakdown as accounts
from metrics.registry import get_metric

from .display import chance, goal_unit, short, with_unit
from .models import EarlyWarning, Goal
from .progress import CEILING

HUNDRED = Decimal(100)
QUIET_DAYS = 7
# The accounts named are those that moved the wrong way in this many days up to today.
RECENT_DAYS = 30
NAMED_ACCOUNTS = 3
# What the breakdown says moved a metric the wrong way in the last 30 days, per metric.
MOVED_AGAINST = {
    accounts.NRR: ({accounts.CONTRACTION, accounts.CHURN}, "account", "contracted or churned"),
    accounts.GRR: ({accounts.CONTRACTION, accounts.CHURN}, "account", "contracted or churned"),
    "renewal_rate": ({accounts.CHURNED}, "renewal", "churned"),
    "nps": ({accounts.DETRACTOR}, "account", "answered as detractors"),
    "qbr_completion": ({accounts.MISSED}, "account", "missed its QBR"),
}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def candidates(goal_ids: Iterable[int], *, today: date) -> QuerySet[Goal]:
    """The goals among `goal_ids` that should be warned now (see the module's docstring)."""
    threshold = Decimal(settings.GOAL_EARLY_WARNING_PROBABILITY)
    recently = timezone.now() - timedelta(days=QUIET_DAYS)
    return (
        Goal.objects.filter(
            pk__in=list(goal_ids),
            archived_at__isnull=True,
            closed_at__isnull=True,
            status__in=[Goal.Status.ON_TRACK, Goal.Status.AT_RISK],
            forecast_target_probability__lt=threshold,
            forecast_value__isnull=False,
            period__start__lte=today,
            period__end__gte=today,
        )
        .exclude(early_warnings__raised_at__gte=recently)
        .select_related("period", "team", "owner")
        .annotate(milestone_weight=Sum("milestones__weight"))
        .order_by("pk")
    )


def mark_of(goal: Goal) -> Decimal | None:
    """What the goal's forecast is measured against, in the goal's unit."""
    if goal.goal_type == Goal.Type.TASK:
        return Decimal(goal.task_target) if goal.task_target else None
    if goal.goal_type == Goal.Type.MILESTONE:
        return goal.milestone_weight
    if goal.goal_type == Goal.Type.METRIC and not goal.metric_key and goal.owner_id is None:
        return HUNDRED if goal.target is None else goal.target
    return goal.target


def trend_text(goal: Goal, mark: Decimal) -> str:
    """Where the trend lands against the mark, with the chance, in the goal's unit."""
    unit, lands_at = goal_unit(goal), goal.forecast_value
    if goal.goal_type == Goal.Type.MILESTONE:
        # Forecast in milestone weight; read as the share of the weight done, like its progress.
        lands_at, mark = lands_at / mark * HUNDRED, HUNDRED
    lands = with_unit(lands_at, unit)
    odds = chance(goal.forecast_target_probability)
    if goal.direction == Goal.Direction.MAINTAIN:
        ceiling = goal.maintain_side == CEILING
        side = "above the ceiling" if ceiling else "below the floor"
        return f"trend ends at {lands}, {side} of {short(mark, unit)} ({odds} chance it holds)"
    return f"trend lands at {lands} vs target {short(mark, unit)} ({odds} chance)"


def _scope_user_ids(goal: Goal) -> list[int]:
    if goal.owner_id is not None:
        return [goal.owner_id]
    return list(Membership.objects.filter(team_id=goal.team_id).values_list("user_id", flat=True))


def accounts_text(goal: Goal, *, today: date) -> str:
    """The accounts that moved the goal's metric the wrong way in the last 30 days ("" for none
    or for a goal not on a breakdown metric)."""
    if goal.goal_type != Goal.Type.METRIC or goal.metric_key not in MOVED_AGAINST:
        return ""
    kinds, noun, verb = MOVED_AGAINST[get_metric(goal.metric_key).key]
    start = max(today - timedelta(days=RECENT_DAYS - 1), goal.period.start)
    found = accounts.breakdown(
        goal.metric_key, user_ids=_scope_user_ids(goal), start=start, end=today
    )
    moved = [
        row for row in found.rows if row.kind in kinds or (row.missed and accounts.MISSED in kinds)
    ]
    if not moved:
        return ""
    names = [row.customer_name for row in moved[:NAMED_ACCOUNTS]]
    more = f" and {len(moved) - NAMED_ACCOUNTS} more" if len(moved) > NAMED_ACCOUNTS else ""
    count = len(moved)
    if verb == "missed its QBR" and count != 1:
        verb = "missed their QBR"
    plural = "" if count == 1 else "s"
    return f"{count} {noun}{plural} {verb} in the last {RECENT_DAYS} days: {', '.join(names)}{more}"


def reason(goal: Goal, mark: Decimal, *, today: date) -> str:
    """The warning's one line: the trend against the mark, then the accounts behind it."""
    parts = [trend_text(goal, mark), accounts_text(goal, today=today)]
    line = "; ".join(part for part in parts if part)
    return line[:1].upper() + line[1:] + "."


def raise_early_warnings(
    goal_ids: Iterable[int], *, today: date | None = None
) -> list[EarlyWarning]:
    """Record an early warning for each of these goals that should have one now; returns the
    warnings this call created (a concurrent call's are not returned twice: the unique row per
    goal and week decides)."""
    today = today or timezone.localdate()
    created = []
    for goal in candidates(goal_ids, today=today):
        mark = mark_of(goal)
        if mark is None:
            continue
        warning, new = EarlyWarning.objects.get_or_create(
            goal=goal,
            week_start=week_start(today),
            defaults={
                "status": goal.status,
                "probability": goal.forecast_target_probability,
                "forecast_value": goal.forecast_value,
                "target": mark,
                "reason": reason(goal, mark, today=today),
            },
        )
        if new:
            warning.goal = goal
            created.append(warning)
    return created


def recent_warnings_q(prefix: str = "", *, now=None) -> Q:
    """Warnings of the last seven days (a filter on EarlyWarning, or through `prefix`)."""
    since = (now or timezone.now()) - timedelta(days=QUIET_DAYS)
    return Q(**{f"{prefix}raised_at__gte": since})
