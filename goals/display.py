"""How a goal's progress reads where a plain number would mislead: task and milestone goals
count things (a milestone goal's stored value is its done *weight*, not a count)."""

from django.db.models import Count, Q

from .models import Goal


def count_progress(
    goal: Goal, *, milestones_done: int | None = None, milestones_total: int | None = None
) -> str:
    """A task or milestone goal's progress in what it counts: "4 of 5 tasks", "2 of 5
    milestones (40 %)" (milestones are weighted, so the share is said too). Empty for a metric
    goal, or a milestone goal whose counts were not read."""
    if goal.goal_type == Goal.Type.TASK and goal.task_target:
        done = int(goal.current_value or 0)
        return f"{done} of {goal.task_target} task{'s' if goal.task_target != 1 else ''}"
    if goal.goal_type == Goal.Type.MILESTONE and milestones_total:
        done = milestones_done or 0
        share = f" ({goal.progress:,.0f} %)" if goal.progress is not None else ""
        plural = "s" if milestones_total != 1 else ""
        return f"{done} of {milestones_total} milestone{plural}{share}"
    return ""


def counted_progress(goal: Goal) -> str:
    """`count_progress` for one goal, reading its milestone counts (one query) when it has any."""
    if goal.goal_type != Goal.Type.MILESTONE:
        return count_progress(goal)
    counts = goal.milestones.aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False))
    )
    return count_progress(goal, milestones_done=counts["done"], milestones_total=counts["total"])
