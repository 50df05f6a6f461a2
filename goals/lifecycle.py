"""A period's life: planning -> active -> closed (stored as "completed").

- **Planning**: its goals are drafts. Their team sees them, but they are not recalculated
  (goals.recalc loads no goal of a planning period) and stay out of digests and leaderboards.
- **Activating** (on the start date by the daily beat job, or earlier by an admin) makes them
  live: each calculated metric goal takes its baseline from the data at that moment (the
  metric's value over the previous period, audited as an adjustment when it moves), then the
  goals are backfilled and calculated.
- **Closing** (after the end date, by the beat job or an admin) runs a last recalculation over
  the whole period (achievements become final there, goals' receivers build the period
  summaries), then freezes every goal: final value, final status, grade and stretch grade.
  A closed goal is read-only (goals.services refuses changes) except for an admin's audited
  correction of its final value (`goal_correct_final`) and its lead's closing comment.

Grades follow the OKR convention: the share of the way from the baseline to the target, 0 to
1.0, capped at 1.0; the stretch grade is the same towards the stretch target, shown apart. A
maintain goal grades 1.0 when it held at the close, else the share of the way its value made
from the baseline towards the target (0 when it started on the right side and fell off).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from goals_project.people.models import User
from metrics.registry import get_metric

from . import progress as rules
from . import recalc, selectors, services, tasks
from .models import Adjustment, Goal, GoalPeriod
from .signals import period_closed

GRADE_PLACES = Decimal("0.01")
ONE = Decimal(1)
ZERO = Decimal(0)
COMMENT_MAX_LENGTH = 5000


# ---------------------------------------------------------------------------------------------
# Grades and final statuses (pure)


@dataclass(frozen=True)
class FinalReading:
    """What a closed goal is frozen with."""

    value: Decimal | None
    status: str
    grade: Decimal | None
    stretch_grade: Decimal | None


def _share(value: Decimal, start: Decimal | None, mark: Decimal | None) -> Decimal | None:
    """How far `value` went from `start` to `mark`, 0..1 (None when the way has no length)."""
    if start is None or mark is None or mark == start:
        return None
    return min(max((value - start) / (mark - start), ZERO), ONE)


def _graded(number: Decimal | None) -> Decimal | None:
    return None if number is None else number.quantize(GRADE_PLACES, rounding=ROUND_HALF_UP)


def _origin(goal: Goal) -> Decimal | None:
    """Where the goal's way starts: its baseline, or 0 for what fills up from 0 every period
    (an accumulating metric, a task count, milestone weight)."""
    if goal.goal_type in (Goal.Type.TASK, Goal.Type.MILESTONE):
        return ZERO
    if goal.metric_key:
        try:
            metric = get_metric(goal.metric_key)
        except KeyError:
            return goal.baseline
        if metric.accumulates:
            return metric.value_range[0] or ZERO
    return goal.baseline


def _marks(goal: Goal, milestone_weight: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """The goal's target and stretch target in the units of its value."""
    if goal.goal_type == Goal.Type.TASK:
        return (Decimal(goal.task_target) if goal.task_target else None), goal.stretch_target
    if goal.goal_type == Goal.Type.MILESTONE:
        return milestone_weight, None
    return goal.target, goal.stretch_target


def final_reading(
    goal: Goal,
    *,
    value: Decimal | None,
    rollup_progress: Decimal | None = None,
    milestone_weight: Decimal | None = None,
) -> FinalReading:
    """The final status, grade and stretch grade of a goal ending at `value`.

    A team goal that rolls up its cascaded goals has no value of its own: `rollup_progress`
    (its weighted progress) grades it. `milestone_weight` is a milestone goal's total weight.
    """
    if rollup_progress is not None:
        grade = min(max(rollup_progress / rules.HUNDRED, ZERO), ONE)
        status = Goal.FinalStatus.ACHIEVED if grade >= ONE else Goal.FinalStatus.MISSED
        return FinalReading(value, status, _graded(grade), None)
    target, stretch = _marks(goal, milestone_weight)
    if value is None or target is None:
        return FinalReading(value, Goal.FinalStatus.NO_DATA, None, None)
    if goal.goal_type == Goal.Type.METRIC and goal.direction == Goal.Direction.MAINTAIN:
        side = goal.maintain_side
        held = rules.holds(value=value, mark=target, side=side)
        beyond = stretch is not None and rules.holds(value=value, mark=stretch, side=side)
        # Breached: credit for the way made from a baseline that started on the wrong side.
        started_short = goal.baseline is not None and not rules.holds(
            value=goal.baseline, mark=target, side=side
        )
        grade = ONE if held else (_share(value, goal.baseline, target) if started_short else ZERO)
        stretch_grade = None
        if stretch is not None:
            stretch_grade = ONE if beyond else (_share(value, target, stretch) or ZERO)
        status = (
            Goal.FinalStatus.EXCEEDED
            if beyond
            else Goal.FinalStatus.ACHIEVED
            if held
            else Goal.FinalStatus.MISSED
        )
        return FinalReading(value, status, _graded(grade), _graded(stretch_grade))
    direction = goal.direction if goal.goal_type == Goal.Type.METRIC else Goal.Direction.INCREASE
    origin = _origin(goal)
    grade = _share(value, origin, target)
    if grade is None:
        return FinalReading(value, Goal.FinalStatus.NO_DATA, None, None)
    stretch_grade = _share(value, origin, stretch) if stretch is not None else None
    if stretch is not None and rules.reached(direction=direction, value=value, mark=stretch):
        status = Goal.FinalStatus.EXCEEDED
    elif rules.reached(direction=direction, value=value, mark=target):
        status = Goal.FinalStatus.ACHIEVED
    else:
        status = Goal.FinalStatus.MISSED
    return FinalReading(value, status, _graded(grade), _graded(stretch_grade))


# ---------------------------------------------------------------------------------------------
# Activating


@transaction.atomic
def period_activate(*, period: GoalPeriod, by: User | None = None) -> GoalPeriod:
    """Make a planning period live: its draft goals take their baselines now and are
    calculated (backfilled from the period start when it has begun)."""
    period = GoalPeriod.objects.select_for_update().get(pk=period.pk)
    if period.status != GoalPeriod.Status.PLANNING:
        raise ValidationError(
            {"status": f"{period.name} is {period.get_status_display().lower()}, not planning."}
        )
    period.status = GoalPeriod.Status.ACTIVE
    period.activated_at = timezone.now()
    period.save(update_fields=["status", "activated_at"])
    goals = list(
        Goal.objects.select_for_update(of=("self",))
        .filter(period=period, archived_at__isnull=True)
        .select_related("period")
        .order_by("pk")
    )
    adjustments = []
    for goal in goals:
        if goal.goal_type != Goal.Type.METRIC or not goal.metric_key:
            continue
        baseline = selectors.default_baseline(
            metric_key=goal.metric_key, period=period, team_id=goal.team_id, owner_id=goal.owner_id
        )
        if baseline is None or baseline == goal.baseline:
            continue
        adjustments.append(
            Adjustment(
                goal=goal,
                field="baseline",
                old_value=services._format(goal.baseline)[:100],
                new_value=services._format(baseline)[:100],
                reason=f"Baseline taken from the data when {period.name} went live.",
                changed_by=by,
            )
        )
        goal.baseline = baseline
        goal.save(update_fields=["baseline", "updated_at"])
    Adjustment.objects.bulk_create(adjustments)
    tasks.enqueue_recalculation([goal.pk for goal in goals], backfill=True)
    return period


# ---------------------------------------------------------------------------------------------
# Closing


def period_close(
    *, period: GoalPeriod, by: User | None = None, today: date | None = None
) -> GoalPeriod:
    """Close a period after its end date: a last recalculation over the whole period, then every
    goal is frozen (final value, final status, grade, stretch grade). Running it again finishes
    a close that was interrupted and changes nothing else."""
    today = today or timezone.localdate()
    with transaction.atomic():
        period = GoalPeriod.objects.select_for_update().get(pk=period.pk)
        if period.closed_at is not None:
            return period
        if today <= period.end:
            raise ValidationError(
                {
                    "status": (
                        f"{period.name} runs until {period.end}: it closes after its last day."
                    )
                }
            )
        if period.status == GoalPeriod.Status.PLANNING:
            period_activate(period=period, by=by)
        if period.status != GoalPeriod.Status.COMPLETED:
            period.status = GoalPeriod.Status.COMPLETED
            period.save(update_fields=["status"])
    live = Goal.objects.filter(period=period, archived_at__isnull=True, closed_at__isnull=True)
    goal_ids = list(live.values_list("pk", flat=True))
    # The last calculation, synchronously: what is frozen next is what it finds.
    recalc.recalculate_in_batches(goal_ids, today=today)
    with transaction.atomic():
        period = GoalPeriod.objects.select_for_update().get(pk=period.pk)
        _freeze(Goal.objects.filter(pk__in=goal_ids, closed_at__isnull=True))
        period.closed_at = timezone.now()
        period.save(update_fields=["closed_at"])
        transaction.on_commit(lambda: period_closed.send(sender=GoalPeriod, period=period))
    return period


def _milestone_weights(goal_ids: list[int]) -> dict[int, Decimal]:
    rows = (
        Goal.objects.filter(pk__in=goal_ids, goal_type=Goal.Type.MILESTONE)
        .annotate(total=Sum("milestones__weight"))
        .values_list("pk", "total")
    )
    return {pk: total for pk, total in rows}


def _freeze(goals) -> None:
    goals = list(goals.select_for_update(of=("self",)).order_by("pk"))
    now = timezone.now()
    weights = _milestone_weights([goal.pk for goal in goals])
    rollups = set(
        Goal.objects.filter(
            parent__in=[g.pk for g in goals if g.owner_id is None and not g.metric_key],
            archived_at__isnull=True,
        ).values_list("parent_id", flat=True)
    )
    for goal in goals:
        reading = final_reading(
            goal,
            value=goal.current_value,
            rollup_progress=goal.progress if goal.pk in rollups else None,
            milestone_weight=weights.get(goal.pk),
        )
        goal.final_value = reading.value
        goal.final_status = reading.status
        goal.final_grade = reading.grade
        goal.final_stretch_grade = reading.stretch_grade
        goal.closed_at = now
    Goal.objects.bulk_update(
        goals,
        ["final_value", "final_status", "final_grade", "final_stretch_grade", "closed_at"],
        batch_size=500,
    )


# ---------------------------------------------------------------------------------------------
# After the close: comments and corrections


@transaction.atomic
def goal_closing_comment(*, goal: Goal, by: User, comment: str) -> Goal:
    """The lead's word on a closed goal: what happened, what we learned (replaces the last)."""
    goal = Goal.objects.select_for_update(of=("self",)).get(pk=goal.pk)
    comment = comment.strip()
    if not goal.is_closed:
        raise ValidationError(
            {"closing_comment": "A closing comment is added once the goal's period has closed."}
        )
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "closing_comment": (
                    f"Keep the closing comment to {COMMENT_MAX_LENGTH:,} characters "
                    f"(it has {len(comment):,})."
                )
            }
        )
    goal.closing_comment = comment
    goal.closing_comment_by = by if comment else None
    goal.closing_comment_at = timezone.now() if comment else None
    goal.save(update_fields=["closing_comment", "closing_comment_by", "closing_comment_at"])
    return goal


@transaction.atomic
def goal_correct_final(*, goal: Goal, by: User, reason: str, final_value) -> Goal:
    """An admin's correction of a closed goal's final value: the final status and grades follow,
    and each field that moves leaves an Adjustment row with the reason."""
    errors: dict[str, str] = {}
    if not getattr(by, "is_staff", False):
        raise ValidationError({"final_value": "Only an admin corrects a closed goal."})
    goal = Goal.objects.select_for_update(of=("self",)).get(pk=goal.pk)
    if not goal.is_closed:
        errors["final_value"] = "Only a closed goal has a final value to correct."
    value = services._number(final_value, "final_value", errors)
    if value is None and "final_value" not in errors:
        errors["final_value"] = "Enter the corrected final value."
    if not reason.strip():
        errors["reason"] = "Give a reason for correcting a closed goal."
    rollup = goal.owner_id is None and not goal.metric_key and goal.children.exists()
    if rollup and "final_value" not in errors:
        errors["final_value"] = (
            "This team goal's grade follows its cascaded goals: correct those instead."
        )
    if errors:
        raise ValidationError(errors)
    weights = _milestone_weights([goal.pk])
    reading = final_reading(goal, value=value, milestone_weight=weights.get(goal.pk))
    changes = {
        "final_value": reading.value,
        "final_status": reading.status,
        "final_grade": reading.grade,
        "final_stretch_grade": reading.stretch_grade,
    }
    changed = {key: new for key, new in changes.items() if getattr(goal, key) != new}
    Adjustment.objects.bulk_create(
        Adjustment(
            goal=goal,
            field=key,
            old_value=services._format(getattr(goal, key))[:100],
            new_value=services._format(new)[:100],
            reason=reason.strip(),
            changed_by=by,
        )
        for key, new in changed.items()
    )
    for key, new in changed.items():
        setattr(goal, key, new)
    goal.save(update_fields=[*changed, "updated_at"] if changed else ["updated_at"])
    return goal


# ---------------------------------------------------------------------------------------------
# Editing a period (pages and API)

STATUS_ORDER = [GoalPeriod.Status.PLANNING, GoalPeriod.Status.ACTIVE, GoalPeriod.Status.COMPLETED]


def period_edit(
    *, period: GoalPeriod, by: User | None, status: str | None = None, **changes
) -> GoalPeriod:
    """Rename a period or move its dates (`services.period_update`), and move its status
    forward: planning -> active activates it, -> closed closes it. A period never goes back."""
    if status is not None and status not in GoalPeriod.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status is not None and STATUS_ORDER.index(status) < STATUS_ORDER.index(period.status):
        raise ValidationError(
            {
                "status": (
                    f"{period.name} is {period.get_status_display().lower()}: a period moves "
                    "forward only (planning, active, closed)."
                )
            }
        )
    if period.closed_at is not None and changes:
        moved = {k: v for k, v in changes.items() if k != "reason" and v is not None}
        if any(getattr(period, k) != v for k, v in moved.items()):
            raise ValidationError({"status": f"{period.name} is closed: it is read-only."})
    if changes:
        period = services.period_update(period=period, by=by, **changes)
    if status == GoalPeriod.Status.ACTIVE and period.status == GoalPeriod.Status.PLANNING:
        period = period_activate(period=period, by=by)
    elif status == GoalPeriod.Status.COMPLETED and period.closed_at is None:
        period = period_close(period=period, by=by)
    return period


# ---------------------------------------------------------------------------------------------
# The daily roll-over


def periods_roll_over(*, today: date | None = None) -> dict[str, list[GoalPeriod]]:
    """Move periods with the calendar (the daily beat job): planning periods whose start has
    come are activated; periods past their end are closed (a close that was interrupted is
    finished). Returns {"activated": [...], "completed": [...]}."""
    today = today or timezone.localdate()
    to_activate = list(
        GoalPeriod.objects.filter(
            status=GoalPeriod.Status.PLANNING, start__lte=today, end__gte=today
        ).order_by("start", "pk")
    )
    to_close = list(
        GoalPeriod.objects.filter(end__lt=today)
        .filter(~Q(status=GoalPeriod.Status.COMPLETED) | Q(closed_at__isnull=True))
        .order_by("start", "pk")
    )
    activated = [period_activate(period=period) for period in to_activate]
    closed = [period_close(period=period, today=today) for period in to_close]
    return {"activated": activated, "completed": closed}
