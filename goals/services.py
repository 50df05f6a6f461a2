"""Every write to periods, goals, milestones, manual progress and adjustments.

All services take keyword-only arguments, run in one transaction and raise
`django.core.exceptions.ValidationError({field: message})` naming the field at fault; nothing is
half-written. Recalculation of the goals a write touches is enqueued after commit (it runs
in-process when no broker is configured).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from goals_project.people.models import Membership, Team, User
from metrics.registry import get_metric

from . import tasks
from .comparison import previous_window
from .models import (
    Adjustment,
    Goal,
    GoalPeriod,
    ManualEntry,
    Milestone,
    Objective,
    one_line_error,
)
from .selectors import default_baseline
from .signals import milestone_completed
from .units import goal_value_range

# Changing one of these needs a reason and leaves one Adjustment row per field.
AUDITED_FIELDS = ("target", "stretch_target", "baseline", "weight", "period")
PLAIN_FIELDS = (
    "name",
    "description",
    "direction",
    "maintain_side",
    "unit",
    "metric_key",
    "task_target",
    "visibility",
    "show_in_leaderboard",
    "parent",
    "objective",
)
NUMBER_FIELDS = ("baseline", "target", "stretch_target", "weight")
DESCRIPTION_MAX_LENGTH = 5000
MILESTONES_NEEDED = "A milestone goal needs at least one milestone."


# ---------------------------------------------------------------------------------------------
# Periods


def period_status_on(*, start: date, end: date, today: date) -> str:
    """The status a period's dates give it on `today`."""
    if today < start:
        return GoalPeriod.Status.PLANNING
    if today > end:
        return GoalPeriod.Status.COMPLETED
    return GoalPeriod.Status.ACTIVE


def _validate_period(
    *, name: str, period_type: str, start: date, end: date, exclude_pk: int | None = None
) -> None:
    """The model's rules (GoalPeriod.clean), the one path for admin, pages and API."""
    GoalPeriod(pk=exclude_pk, name=name, period_type=period_type, start=start, end=end).clean()


@transaction.atomic
def period_create(
    *, name: str, period_type: str, start: date, end: date, status: str | None = None
) -> GoalPeriod:
    """Create a goal period. Its status follows its dates unless given."""
    # Serialise period writes so that two overlapping periods cannot be created at once.
    list(GoalPeriod.objects.select_for_update().filter(period_type=period_type).values("pk"))
    _validate_period(name=name, period_type=period_type, start=start, end=end)
    if status is None:
        status = period_status_on(start=start, end=end, today=timezone.localdate())
    elif status not in GoalPeriod.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    return GoalPeriod.objects.create(
        name=name.strip(), period_type=period_type, start=start, end=end, status=status
    )


@transaction.atomic
def period_update(
    *,
    period: GoalPeriod,
    by: User | None = None,
    reason: str = "",
    name: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> GoalPeriod:
    """Rename a period or move its dates (its status moves through goals.lifecycle).

    Moving the dates of a period that has goals needs a reason: every goal of the period gets an
    Adjustment row per changed date (`period_start`, `period_end`) and is recalculated.
    """
    period = GoalPeriod.objects.select_for_update().get(pk=period.pk)
    new_start = period.start if start is None else start
    new_end = period.end if end is None else end
    new_name = period.name if name is None else name
    _validate_period(
        name=new_name,
        period_type=period.period_type,
        start=new_start,
        end=new_end,
        exclude_pk=period.pk,
    )
    date_changes = [
        (label, old, new)
        for label, old, new in (
            ("period_start", period.start, new_start),
            ("period_end", period.end, new_end),
        )
        if old != new
    ]
    goal_ids = list(period.goals.filter(archived_at__isnull=True).values_list("pk", flat=True))
    if date_changes and goal_ids and not reason.strip():
        raise ValidationError({"reason": "Give a reason for moving the dates of this period."})
    Adjustment.objects.bulk_create(
        Adjustment(
            goal_id=goal_id,
            field=label,
            old_value=str(old),
            new_value=str(new),
            reason=reason.strip(),
            changed_by=by,
        )
        for goal_id in goal_ids
        for label, old, new in date_changes
    )
    period.name, period.start, period.end = new_name.strip(), new_start, new_end
    period.save(update_fields=["name", "start", "end"])
    if date_changes:
        tasks.enqueue_recalculation(goal_ids)
    return period


# ---------------------------------------------------------------------------------------------
# Goals: validation


def _number(value: Any, field_name: str, errors: dict[str, str]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[field_name] = f"Enter a number (got {value!r})."
        return None
    if not number.is_finite():
        errors[field_name] = f"Enter a number (got {value!r})."
        return None
    return number


def _format(value: Any) -> str:
    """An audit-friendly text for a value (Decimals without trailing zeros)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, GoalPeriod):
        return f"{value.name} ({value.start} to {value.end})"
    if isinstance(value, Objective):
        return value.name
    return str(value)


def is_rollup(goal: Goal) -> bool:
    """A team metric goal without its own metric that has live children: its progress is the
    weighted average of theirs (without children it takes manual entries instead)."""
    return (
        goal.owner_id is None
        and goal.goal_type == Goal.Type.METRIC
        and not goal.metric_key
        and goal.children.filter(archived_at__isnull=True).exists()
    )


CLOSED_GOAL = (
    "{name} is closed with its period {period}: it is read-only (an admin corrects its final "
    "value with a reason)."
)


def refuse_if_closed(goal: Goal, field_name: str = "goal") -> None:
    """A closed goal is frozen: every change but an admin's correction is refused."""
    if goal.closed_at is not None:
        raise ValidationError(
            {field_name: CLOSED_GOAL.format(name=goal.name, period=goal.period.name)}
        )


def milestone_name_check(name: str) -> None:
    """A milestone's name is one line (Django admin's milestone rows)."""
    error = one_line_error(name.strip(), "A milestone's name")
    if error:
        raise ValidationError({"name": error})


def validate_goal(goal: Goal, *, creating: bool) -> None:
    """Check a goal's fields together; raise ValidationError naming each field at fault."""
    errors: dict[str, str] = {}
    if not goal.name.strip():
        errors["name"] = "A goal needs a name."
    elif one_line_error(goal.name, "A goal's name"):
        errors["name"] = one_line_error(goal.name, "A goal's name")
    if len(goal.description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = (
            f"Keep the description to {DESCRIPTION_MAX_LENGTH:,} characters "
            f"(it has {len(goal.description):,})."
        )
    if goal.goal_type not in Goal.Type.values:
        errors["goal_type"] = (
            f"Unknown goal type {goal.goal_type!r}: use metric, task or milestone."
        )
    if goal.direction not in Goal.Direction.values:
        errors["direction"] = (
            f"Unknown direction {goal.direction!r}: use increase, decrease or maintain."
        )
    if goal.maintain_side not in Goal.Side.values:
        errors["maintain_side"] = (
            f"Unknown side {goal.maintain_side!r}: use floor (at or above the target) or ceiling "
            "(at or below it)."
        )
    if goal.unit and goal.unit not in Goal.Unit.values:
        errors["unit"] = f"Unknown unit {goal.unit!r}: use count, days, percent, currency or score."
    elif goal.unit and (goal.goal_type != Goal.Type.METRIC or goal.metric_key):
        errors["unit"] = (
            "Only a goal measured by hand states a unit: a metric's values are in its own unit, "
            "a task goal counts tasks."
        )
    if goal.visibility not in Goal.Visibility.values:
        errors["visibility"] = f"Unknown visibility {goal.visibility!r}: use public or private."
    if creating and goal.period.status == GoalPeriod.Status.COMPLETED:
        errors["period"] = f"The period {goal.period.name} is completed; it takes no new goals."
    metric = None
    if goal.metric_key:
        try:
            metric = get_metric(goal.metric_key)
            goal.metric_key = metric.key
        except KeyError as error:
            errors["metric_key"] = error.args[0]
    if goal.goal_type != Goal.Type.METRIC and goal.metric_key:
        errors["metric_key"] = "Only a metric goal has a metric."
    if goal.weight is None or goal.weight <= 0:
        errors["weight"] = "The weight must be above zero."

    if goal.owner_id is not None:
        membership = Membership.objects.filter(user_id=goal.owner_id).select_related("team").first()
        if membership is None:
            errors["owner"] = f"{goal.owner} is not on a team; an individual goal needs one."
        elif goal.team_id is None:
            goal.team = membership.team
        elif goal.team_id != membership.team_id:
            errors["owner"] = f"{goal.owner} is not a member of {goal.team}."
    elif goal.team_id is None:
        errors["team"] = "A team goal needs a team (or give an owner for an individual goal)."

    if goal.parent_id is not None:
        parent = goal.parent
        if goal.owner_id is None:
            errors["parent"] = "Only an individual goal cascades from a team goal."
        elif parent.owner_id is not None:
            errors["parent"] = "An individual goal cascades from a team goal, not another person's."
        elif parent.period_id != goal.period_id:
            errors["parent"] = (
                f"The parent goal belongs to {parent.period.name}, outside this goal's period "
                f"{goal.period.name}; a goal cascades within its own period."
            )
        elif "owner" not in errors and goal.team_id != parent.team_id:
            errors["owner"] = (
                f"{goal.owner} is not a member of {parent.team}, the team of the parent goal."
            )

    if goal.objective_id is not None:
        _validate_alignment(goal, errors)

    if goal.goal_type != Goal.Type.TASK and goal.task_target is not None:
        errors["task_target"] = "Only a task goal has a number of tasks."
    if goal.goal_type == Goal.Type.TASK:
        if goal.task_target is None:
            errors["task_target"] = "A task goal needs the number of tasks to complete."
        elif goal.task_target < 1:
            errors["task_target"] = "The task target must be a positive number of tasks."
    elif goal.goal_type == Goal.Type.METRIC:
        manual_rollup = goal.owner_id is None and not goal.metric_key
        if goal.target is None and not manual_rollup:
            errors["target"] = "A metric goal needs a target."
        if metric is not None and metric.accumulates:
            _validate_accumulating(goal, metric, errors)
        elif (
            goal.target is not None
            and goal.baseline is None
            and goal.direction != Goal.Direction.MAINTAIN
            and "baseline" not in errors
        ):
            errors["baseline"] = "Enter a baseline: the value the goal starts from."
        _validate_range(goal, errors)
    accumulating = metric is not None and metric.accumulates
    _validate_targets(goal, errors, accumulating=accumulating)
    if errors:
        raise ValidationError(errors)


def _validate_alignment(goal: Goal, errors: dict[str, str]) -> None:
    """A team goal serves an objective of its own period: its team's or the company's.
    Individual goals serve their team goal (they reach the objective through it)."""
    objective = goal.objective
    if goal.owner_id is not None:
        errors["objective"] = (
            "Only a team goal aligns to an objective; an individual goal serves its team goal."
        )
    elif objective.archived_at is not None:
        errors["objective"] = f"The objective {objective.name} is archived."
    elif objective.period_id != goal.period_id:
        errors["objective"] = (
            f"The objective {objective.name} belongs to {objective.period.name}; a goal aligns "
            f"to an objective of its own period ({goal.period.name})."
        )
    elif objective.team_id is not None and objective.team_id != goal.team_id:
        errors["objective"] = (
            f"{objective.name} is an objective of {objective.team}; a goal aligns to its own "
            "team's objectives or the company's."
        )


def _validate_accumulating(goal: Goal, metric, errors: dict[str, str]) -> None:
    """A metric that fills up through the period (QBR completion) is a target to reach by the
    period end: it starts from its range's floor every period, whatever the last period's value
    (the baseline, kept for comparison)."""
    if goal.direction != Goal.Direction.INCREASE:
        errors["direction"] = (
            f"{metric.label} fills up from 0 through each period, so a goal on it is a target "
            "to reach by the period end: choose increase."
        )
    origin = metric.value_range[0] or Decimal(0)
    if goal.target is not None and goal.target <= origin and "target" not in errors:
        errors["target"] = (
            f"{metric.label} starts every period at {_format(origin)}: the target must be above it."
        )


def _validate_range(goal: Goal, errors: dict[str, str]) -> None:
    """Baseline, target and stretch within the range of the goal's values (its metric's, or
    the unit's for a goal measured by hand)."""
    value_range = goal_value_range(goal)
    for field_name in ("baseline", "target", "stretch_target"):
        value = getattr(goal, field_name)
        if value is not None and field_name not in errors:
            refusal = value_range.refusal(value)
            if refusal:
                errors[field_name] = refusal


def _validate_targets(goal: Goal, errors: dict[str, str], *, accumulating: bool = False) -> None:
    direction = goal.direction
    target, baseline, stretch = goal.target, goal.baseline, goal.stretch_target
    if goal.goal_type == Goal.Type.TASK:
        target = Decimal(goal.task_target) if goal.task_target else None
    if (
        direction in (Goal.Direction.INCREASE, Goal.Direction.DECREASE)
        and None not in (target, baseline)
        and not accumulating
    ):
        if target == baseline and goal.goal_type == Goal.Type.METRIC:
            errors["target"] = (
                f"The target equals the baseline ({_format(baseline)}): a goal to {direction} "
                "needs a target it has not reached yet."
            )
        elif goal.goal_type == Goal.Type.METRIC and direction == Goal.Direction.INCREASE:
            if target < baseline:
                errors["target"] = (
                    f"A goal to increase needs a target above its baseline ({_format(baseline)})."
                )
        elif goal.goal_type == Goal.Type.METRIC and target > baseline:
            errors["target"] = (
                f"A goal to decrease needs a target below its baseline ({_format(baseline)})."
            )
    if stretch is not None and target is not None and "stretch_target" not in errors:
        if direction == Goal.Direction.MAINTAIN:
            below = goal.maintain_side == Goal.Side.CEILING
            purpose = "that keeps a ceiling" if below else "that keeps a floor"
        else:
            below = direction == Goal.Direction.DECREASE
            purpose = f"to {direction}"
        if stretch >= target if below else stretch <= target:
            errors["stretch_target"] = (
                f"The stretch target must be {'below' if below else 'above'} the target "
                f"({_format(target)}) for a goal {purpose}."
            )


# ---------------------------------------------------------------------------------------------
# Goals: writes


@transaction.atomic
def goal_create(
    *,
    period: GoalPeriod,
    name: str,
    goal_type: str,
    created_by: User | None,
    team: Team | None = None,
    owner: User | None = None,
    parent: Goal | None = None,
    objective: Objective | None = None,
    description: str = "",
    metric_key: str = "",
    direction: str = Goal.Direction.INCREASE,
    maintain_side: str | None = None,
    unit: str = "",
    baseline: Decimal | str | int | None = None,
    target: Decimal | str | int | None = None,
    stretch_target: Decimal | str | int | None = None,
    task_target: int | None = None,
    weight: Decimal | str | int = Decimal(1),
    visibility: str = Goal.Visibility.PUBLIC,
    show_in_leaderboard: bool = True,
    milestones: Iterable[dict[str, Any]] = (),
) -> Goal:
    """Create a team goal (team, no owner) or an individual goal (owner; team = owner's team).

    A metric goal without a baseline gets the metric's value for the same owner over the previous
    period of the same type; without data there the caller must give one. `milestones` are dicts
    of `milestone_add` arguments (name, weight, due_date). History is backfilled and the goal
    calculated after commit.
    """
    errors: dict[str, str] = {}
    numbers = {
        field_name: _number(value, field_name, errors)
        for field_name, value in (
            ("baseline", baseline),
            ("target", target),
            ("stretch_target", stretch_target),
            ("weight", weight),
        )
    }
    if errors:
        raise ValidationError(errors)
    goal = Goal(
        period=period,
        team=team,
        owner=owner,
        parent=parent,
        objective=objective,
        name=name.strip(),
        description=description.strip(),
        goal_type=goal_type,
        metric_key=(metric_key or "").strip(),
        direction=direction,
        maintain_side=maintain_side or default_side(metric_key),
        unit=unit or "",
        task_target=task_target,
        visibility=visibility,
        show_in_leaderboard=show_in_leaderboard,
        created_by=created_by,
        **numbers,
    )
    if (
        goal.goal_type == Goal.Type.METRIC
        and goal.metric_key
        and goal.baseline is None
        and goal.target is not None
    ):
        _default_baseline_into(goal)
    milestones = list(milestones)
    try:
        validate_goal(goal, creating=True)
    except ValidationError as error:
        if goal.goal_type == Goal.Type.MILESTONE and not milestones:
            error.error_dict.setdefault("milestones", [ValidationError(MILESTONES_NEEDED)])
        raise
    if goal.goal_type == Goal.Type.MILESTONE and not milestones:
        raise ValidationError({"milestones": MILESTONES_NEEDED})
    if goal.goal_type != Goal.Type.MILESTONE and milestones:
        raise ValidationError({"milestones": "Only a milestone goal has milestones."})
    goal.save()
    for index, milestone in enumerate(milestones):
        try:
            _milestone_create(goal=goal, **milestone)
        except ValidationError as error:
            # Named by its place in the list (the transaction takes the goal back too).
            raise ValidationError(
                {f"milestones.{index}.{key}": value for key, value in error.message_dict.items()}
            ) from None
    backfill = goal.goal_type == Goal.Type.METRIC and bool(goal.metric_key)
    tasks.enqueue_recalculation([goal.pk], backfill=backfill)
    return goal


def default_side(metric_key: str | None) -> str:
    """The side a maintain goal keeps unless told: the metric's better direction (a floor for
    a metric that is better higher), a floor for a goal measured by hand."""
    try:
        hint = get_metric(metric_key).direction_hint if metric_key else "increase"
    except KeyError:
        hint = "increase"
    return Goal.Side.CEILING if hint == "decrease" else Goal.Side.FLOOR


def _default_baseline_into(goal: Goal) -> None:
    """Fill the baseline from the previous period, or ask for one when there is no data."""
    try:
        metric = get_metric(goal.metric_key)
    except KeyError:
        return  # validate_goal reports the unknown metric
    team_id = goal.team_id
    if goal.owner_id is not None:
        team_id = (
            Membership.objects.filter(user_id=goal.owner_id).values_list("team_id", flat=True)
        ).first()
        if team_id is None:
            return  # validate_goal reports the owner without a team
    if team_id is None:
        return
    goal.baseline = default_baseline(
        metric_key=metric.key, period=goal.period, team_id=team_id, owner_id=goal.owner_id
    )
    # An accumulating metric starts from 0 every period: the baseline is only for comparison.
    if (
        goal.baseline is None
        and goal.direction != Goal.Direction.MAINTAIN
        and not metric.accumulates
    ):
        start, end = previous_window(goal.period)
        scope = goal.owner if goal.owner_id else goal.team
        raise ValidationError(
            {
                "baseline": (
                    f"There is no {metric.label} data for {scope} over the previous period "
                    f"({start} to {end}): enter a baseline."
                )
            }
        )


@transaction.atomic
def goal_update(*, goal: Goal, by: User | None, reason: str = "", **changes: Any) -> Goal:
    """Change a goal's fields. Target, stretch, baseline, weight and period go through
    `goal_adjust` (a reason is needed and each change is audited); the rest changes freely."""
    unknown = set(changes) - set(PLAIN_FIELDS) - set(AUDITED_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be changed."})
    audited = {key: value for key, value in changes.items() if key in AUDITED_FIELDS}
    goal = (
        Goal.objects.select_for_update(of=("self",))
        .select_related("period", "team", "owner")
        .get(pk=goal.pk)
    )
    old_objective = goal.objective
    refuse_if_closed(goal)
    for key, value in changes.items():
        if key in PLAIN_FIELDS:
            setattr(goal, key, value.strip() if isinstance(value, str) else value)
    if audited:
        goal = _adjust(goal=goal, by=by, reason=reason, changes=audited)
    else:
        validate_goal(goal, creating=False)
        goal.save()
        tasks.enqueue_recalculation([goal.pk])
    if goal.objective_id != getattr(old_objective, "pk", None):
        # A move in the tree is part of the goal's audit, as an adjustment is.
        Adjustment.objects.create(
            goal=goal,
            field="objective",
            old_value=_format(old_objective)[:100],
            new_value=_format(goal.objective)[:100],
            reason=reason.strip() or "Alignment changed.",
            changed_by=by,
        )
    return goal


@transaction.atomic
def goal_adjust(*, goal: Goal, by: User | None, reason: str, **changes: Any) -> Goal:
    """Change target, stretch_target, baseline, weight or period (the goal's dates).

    A reason is required; one Adjustment row (who, when, field, old, new, reason) is written per
    field whose value really changes. A goal that cascades (parent or children) keeps its period.
    """
    unknown = set(changes) - set(AUDITED_FIELDS)
    if unknown:
        field_name = sorted(unknown)[0]
        raise ValidationError(
            {field_name: "Only target, stretch_target, baseline, weight and period are adjusted."}
        )
    goal = (
        Goal.objects.select_for_update(of=("self",))
        .select_related("period", "team", "owner")
        .get(pk=goal.pk)
    )
    return _adjust(goal=goal, by=by, reason=reason, changes=changes)


def _adjust(*, goal: Goal, by: User | None, reason: str, changes: dict[str, Any]) -> Goal:
    refuse_if_closed(goal)
    errors: dict[str, str] = {}
    new_values = {
        key: _number(value, key, errors) if key in NUMBER_FIELDS else value
        for key, value in changes.items()
    }
    if errors:
        raise ValidationError(errors)
    changed = {key: value for key, value in new_values.items() if getattr(goal, key) != value}
    if changed and not reason.strip():
        fields = ", ".join(sorted(changed))
        raise ValidationError({"reason": f"Give a reason for changing {fields}."})
    if "period" in changed and (goal.parent_id or goal.children.exists()):
        raise ValidationError(
            {"period": "A goal that cascades (it has a parent or children) keeps its period."}
        )
    old_values = {key: getattr(goal, key) for key in changed}
    for key, value in changed.items():
        setattr(goal, key, value)
    validate_goal(goal, creating="period" in changed)
    goal.save()
    Adjustment.objects.bulk_create(
        Adjustment(
            goal=goal,
            field=key,
            old_value=_format(old_values[key])[:100],
            new_value=_format(value)[:100],
            reason=reason.strip(),
            changed_by=by,
        )
        for key, value in changed.items()
    )
    tasks.enqueue_recalculation([goal.pk])
    return goal


@transaction.atomic
def goal_archive(*, goal: Goal, by: User | None) -> Goal:
    """Archive a goal: it leaves lists, roll-ups and recalculation; its history stays."""
    goal = Goal.objects.select_for_update().select_related("period").get(pk=goal.pk)
    refuse_if_closed(goal)
    if goal.archived_at is None:
        goal.archived_at = timezone.now()
        goal.save(update_fields=["archived_at", "updated_at"])
        if goal.parent_id:
            tasks.enqueue_recalculation([goal.parent_id])
    return goal


# ---------------------------------------------------------------------------------------------
# Milestones and manual progress


def _validate_milestone(
    *, goal: Goal, name: str, weight: Decimal | None, due_date: date | None
) -> None:
    refuse_if_closed(goal)
    errors: dict[str, str] = {}
    if goal.goal_type != Goal.Type.MILESTONE:
        errors["goal"] = (
            f"Milestones belong to milestone goals; {goal.name} is a {goal.goal_type} goal."
        )
    if not name.strip():
        errors["name"] = "A milestone needs a name."
    elif one_line_error(name.strip(), "A milestone's name"):
        errors["name"] = one_line_error(name.strip(), "A milestone's name")
    if weight is None or weight <= 0:
        errors["weight"] = "The weight must be above zero."
    period = goal.period
    if due_date is not None and not period.start <= due_date <= period.end:
        errors["due_date"] = (
            f"The due date must fall within the goal's period {period.name} "
            f"({period.start} to {period.end})."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def milestone_add(
    *,
    goal: Goal,
    name: str,
    weight: Decimal | str | int = Decimal(1),
    due_date: date | None = None,
) -> Milestone:
    """Add a milestone at the end of the goal's list."""
    milestone = _milestone_create(goal=goal, name=name, weight=weight, due_date=due_date)
    tasks.enqueue_recalculation([goal.pk])
    return milestone


def _milestone_create(
    *, goal: Goal, name: str, weight: Decimal | str | int = Decimal(1), due_date: date | None = None
) -> Milestone:
    errors: dict[str, str] = {}
    weight_number = _number(weight, "weight", errors)
    if errors:
        raise ValidationError(errors)
    _validate_milestone(goal=goal, name=name, weight=weight_number, due_date=due_date)
    last = goal.milestones.aggregate(last=Max("order"))["last"]
    return Milestone.objects.create(
        goal=goal,
        name=name.strip(),
        weight=weight_number,
        due_date=due_date,
        order=0 if last is None else last + 1,
    )


@transaction.atomic
def milestone_complete(*, milestone: Milestone, by: User | None, done: bool = True) -> Milestone:
    """Mark a milestone done (or not done again). Newly done sends `milestone_completed`."""
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    refuse_if_closed(milestone.goal, "milestone")
    newly_done = done and milestone.done_at is None
    if done == (milestone.done_at is not None):
        return milestone
    milestone.done_at = timezone.now() if done else None
    milestone.save(update_fields=["done_at"])
    if newly_done:
        transaction.on_commit(
            lambda: milestone_completed.send(sender=Milestone, milestone=milestone, by=by)
        )
    tasks.enqueue_recalculation([milestone.goal_id])
    return milestone


@transaction.atomic
def milestone_remove(*, milestone: Milestone, by: User | None) -> None:
    """Remove a milestone from its goal, done or not; the rest keep their order.

    A milestone goal keeps at least one milestone, as when it was created. The milestone's
    achievement (and its celebrations) go with it. The goal is recalculated after commit.
    """
    goal = Goal.objects.select_for_update(of=("self",)).get(pk=milestone.goal_id)
    refuse_if_closed(goal, "milestone")
    # Ordered by pk alone: the default ordering joins the goal, which FOR UPDATE cannot lock.
    locked = Milestone.objects.select_for_update().filter(pk=milestone.pk, goal=goal)
    milestone = locked.order_by("pk").first()
    if milestone is None:
        raise ValidationError({"milestone": "This milestone has already been removed."})
    if not goal.milestones.exclude(pk=milestone.pk).exists():
        raise ValidationError(
            {
                "milestone": (
                    f"{milestone.name} is the goal's only milestone; a milestone goal needs at "
                    "least one. Add another before removing it."
                )
            }
        )
    milestone.delete()
    tasks.enqueue_recalculation([goal.pk])


@transaction.atomic
def milestone_reorder(*, goal: Goal, milestone_ids: Sequence[int]) -> list[Milestone]:
    """Put the goal's milestones in the given order (every milestone exactly once)."""
    refuse_if_closed(goal, "milestones")
    milestones = {m.pk: m for m in goal.milestones.select_for_update().order_by("pk")}
    ids = [int(pk) for pk in milestone_ids]
    if sorted(ids) != sorted(milestones):
        raise ValidationError(
            {"milestones": "Give every milestone of the goal exactly once, in the new order."}
        )
    for order, pk in enumerate(ids):
        milestones[pk].order = order
    Milestone.objects.bulk_update(milestones.values(), ["order"])
    return [milestones[pk] for pk in ids]


def manual_entry_refusal(goal: Goal) -> str:
    """Why this goal takes no manual progress entry, or "" when it does (a task goal, or a metric
    goal without a calculator that does not roll up cascaded goals)."""
    if goal.goal_type == Goal.Type.MILESTONE:
        return "A milestone goal moves with its milestones: tick them done instead."
    if goal.goal_type == Goal.Type.METRIC and goal.metric_key:
        return "This goal is calculated from customer data; it takes no manual entries."
    if goal.goal_type == Goal.Type.METRIC and is_rollup(goal):
        return "This team goal adds up its cascaded goals' progress; it takes no manual entries."
    return ""


def manual_entry_validate(
    *,
    goal: Goal,
    value: Decimal | str | int | None = None,
    tasks_done: int | None = None,
    note: str = "",
) -> Decimal | None:
    """Check a manual entry for the goal (ValidationError naming the field); returns the value
    as a Decimal. A goal that takes no entry says why (`manual_entry_refusal`); a value outside
    the range of the goal's unit (a negative number of days, a percentage above 100) is
    refused."""
    errors: dict[str, str] = {}
    number = _number(value, "value", errors)
    refusal = manual_entry_refusal(goal)
    if refusal:
        errors["goal"] = refusal
    elif goal.goal_type == Goal.Type.METRIC and "value" not in errors and number is None:
        errors["value"] = "Enter the goal's current value."
    elif goal.goal_type == Goal.Type.METRIC and "value" not in errors:
        refusal = goal_value_range(goal).refusal(number)
        if refusal:
            errors["value"] = refusal
    elif goal.goal_type == Goal.Type.TASK:
        if tasks_done is None:
            errors["tasks_done"] = "Enter the number of tasks done so far."
        elif int(tasks_done) < 0:
            errors["tasks_done"] = "The number of tasks done cannot be negative."
    if goal.archived_at is not None:
        errors["goal"] = "This goal is archived."
    if goal.closed_at is not None:
        errors["goal"] = CLOSED_GOAL.format(name=goal.name, period=goal.period.name)
    if errors:
        raise ValidationError(errors)
    return number


@transaction.atomic
def manual_entry_add(
    *,
    goal: Goal,
    by: User | None,
    value: Decimal | str | int | None = None,
    tasks_done: int | None = None,
    note: str = "",
) -> ManualEntry:
    """Record progress by hand: the value so far (a metric goal without a calculator) or the
    number of tasks done so far (a task goal). The latest entry is the goal's current value.
    See manual_entry_validate for what is refused."""
    number = manual_entry_validate(goal=goal, value=value, tasks_done=tasks_done, note=note)
    entry = ManualEntry.objects.create(
        goal=goal,
        value=number if goal.goal_type == Goal.Type.METRIC else None,
        tasks_done=int(tasks_done) if goal.goal_type == Goal.Type.TASK else None,
        note=note.strip(),
        created_by=by,
    )
    tasks.enqueue_recalculation([goal.pk])
    return entry


@transaction.atomic
def progress_record(
    *,
    goal: Goal,
    by: User | None,
    milestones_done: Sequence[int] = (),
    value: Decimal | str | int | None = None,
    tasks_done: int | None = None,
    note: str = "",
) -> None:
    """Record progress in one step (the API's progress action): tick the milestones named by id,
    then add a manual entry when a value or a number of tasks is given. All or nothing: a
    milestone the goal does not have, or an entry manual_entry_add refuses, changes nothing."""
    for milestone_id in milestones_done:
        milestone = goal.milestones.filter(pk=milestone_id).first()
        if milestone is None:
            raise ValidationError(
                {"milestones_done": f"Goal {goal.pk} has no milestone {milestone_id}."}
            )
        milestone_complete(milestone=milestone, by=by)
    if value is not None or tasks_done is not None:
        manual_entry_add(goal=goal, by=by, value=value, tasks_done=tasks_done, note=note)


# ---------------------------------------------------------------------------------------------
# Carry-over


@dataclass
class CarryOver:
    created: list[Goal] = field(default_factory=list)
    already_carried: list[Goal] = field(default_factory=list)
    skipped: list[tuple[Goal, str]] = field(default_factory=list)


@transaction.atomic
def carry_over_period(
    *, source: GoalPeriod, target: GoalPeriod, by: User | None, team: Team | None = None
) -> CarryOver:
    """Copy a period's goals (of one `team`, or of every team) into a later period in one step.

    Each live goal is copied with its children, targets and stretch; a metric goal's baseline
    becomes its last value; milestones are copied undone (due dates moved by the same offset as
    the period). A goal already carried into `target` is never copied again; an individual goal
    whose owner left the team is skipped (and reported).
    """
    if target.pk == source.pk or target.start <= source.end:
        raise ValidationError(
            {"target": f"Carry over goes to a period after {source.name} ({source.end})."}
        )
    if target.status == GoalPeriod.Status.COMPLETED:
        raise ValidationError({"target": f"The period {target.name} is completed."})
    # One carry-over per source period at a time: a second one waits, then finds the copies.
    GoalPeriod.objects.select_for_update().get(pk=source.pk)
    live = source.goals.filter(archived_at__isnull=True)
    if team is not None:
        live = live.filter(team=team)
    goals = list(live.select_related("owner", "team").prefetch_related("milestones").order_by("pk"))
    copies = {
        goal.carried_from_id: goal
        for goal in Goal.objects.filter(period=target, carried_from__in=[g.pk for g in goals])
    }
    teams_of = dict(
        Membership.objects.filter(
            user_id__in={g.owner_id for g in goals if g.owner_id}
        ).values_list("user_id", "team_id")
    )
    result = CarryOver()
    offset = target.start - source.start
    # Team goals first, so that children can point at their parent's copy.
    for level in (
        [g for g in goals if g.parent_id is None],
        [g for g in goals if g.parent_id is not None],
    ):
        new_goals = []
        for goal in level:
            if goal.pk in copies:
                result.already_carried.append(copies[goal.pk])
                continue
            if goal.owner_id and teams_of.get(goal.owner_id) != goal.team_id:
                result.skipped.append((goal, f"{goal.owner} is no longer on {goal.team}."))
                continue
            new_goals.append(_carried_copy(goal, target=target, by=by, copies=copies))
        for new_goal in Goal.objects.bulk_create(new_goals):
            copies[new_goal.carried_from_id] = new_goal
            result.created.append(new_goal)
    sources = {goal.pk: goal for goal in goals}
    Milestone.objects.bulk_create(
        Milestone(
            goal=new_goal,
            name=milestone.name,
            weight=milestone.weight,
            due_date=_moved_due_date(milestone.due_date, offset, target),
            order=milestone.order,
        )
        for new_goal in result.created
        for milestone in sources[new_goal.carried_from_id].milestones.all()
    )
    tasks.enqueue_recalculation([g.pk for g in result.created], backfill=True)
    return result


def _carried_copy(goal: Goal, *, target: GoalPeriod, by: User | None, copies: dict) -> Goal:
    baseline = goal.baseline
    if goal.goal_type == Goal.Type.METRIC and goal.current_value is not None:
        baseline = goal.current_value
    parent = copies.get(goal.parent_id) if goal.parent_id else None
    return Goal(
        period=target,
        team_id=goal.team_id,
        owner_id=goal.owner_id,
        parent=parent,
        carried_from=goal,
        name=goal.name,
        description=goal.description,
        goal_type=goal.goal_type,
        metric_key=goal.metric_key,
        direction=goal.direction,
        baseline=baseline,
        target=goal.target,
        stretch_target=goal.stretch_target,
        task_target=goal.task_target,
        weight=goal.weight,
        visibility=goal.visibility,
        show_in_leaderboard=goal.show_in_leaderboard,
        created_by=by,
    )


def _moved_due_date(due: date | None, offset: timedelta, target: GoalPeriod) -> date | None:
    if due is None:
        return None
    return min(max(due + offset, target.start), target.end)
