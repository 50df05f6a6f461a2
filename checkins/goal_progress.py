"""The manual-progress part of a check-in, written through the goals app's own services (the
goals engine owns manual entries, milestones and recalculation)."""

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError

from goals import services as goal_services
from goals.models import Goal, Milestone
from goals_project.people.models import User


def is_manual(goal: Goal) -> bool:
    """Task and milestone goals, and individual metric goals without a metric, take values by
    hand; a metric goal is calculated from customer data, and a team metric goal without a
    metric rolls up its children."""
    if goal.goal_type != Goal.Type.METRIC:
        return True
    return not goal.metric_key and not goal_services.is_rollup(goal)


def manual_fields_refused(goal: Goal) -> dict[str, str]:
    """The manual-progress fields of a check-in that this goal does not take, with the reason."""
    refused = {}
    if goal.goal_type != Goal.Type.METRIC:
        refused["value"] = (
            "Only a metric goal takes a value; enter tasks done or tick milestones instead."
        )
    elif goal_services.is_rollup(goal):
        refused["value"] = "This team goal adds up its cascaded goals; it takes no value by hand."
    elif not is_manual(goal):
        refused["value"] = (
            "This goal's value is calculated from customer data and cannot be entered by hand."
        )
    if goal.goal_type != Goal.Type.TASK:
        refused["tasks_done"] = "Only a task goal counts tasks done."
    if goal.goal_type != Goal.Type.MILESTONE:
        refused["milestones"] = "Only a milestone goal has milestones to tick."
    return refused


def value_refused(goal: Goal, value: Decimal) -> str | None:
    """Why the goals services would refuse this value for the goal (outside its unit's range),
    or None."""
    try:
        goal_services.manual_entry_validate(goal=goal, value=value)
    except ValidationError as error:
        return " ".join(error.message_dict.get("value", []))
    return None


def record_manual_progress(
    *,
    goal: Goal,
    by: User,
    value: Decimal | None,
    tasks_done: int | None,
    milestones: Sequence[Milestone],
    note: str,
) -> None:
    """Add the manual entry and tick the milestones; the goals services recalculate the goal."""
    if value is not None or tasks_done is not None:
        goal_services.manual_entry_add(
            goal=goal, by=by, value=value, tasks_done=tasks_done, note=note
        )
    for milestone in milestones:
        goal_services.milestone_complete(milestone=milestone, by=by)
