"""Signals the goals app sends; apps above it (recognition, checkins) listen.

goal_status_changed: sent after commit when a recalculation changes a goal's status.
    kwargs: goal (Goal), old_status (str), new_status (str)
milestone_completed: sent after commit when a milestone is marked done.
    kwargs: milestone (Milestone), by (User | None)
goals_recalculated: sent after commit when a recalculation run wrote new values.
    kwargs: goal_ids (list[int])
period_closed: sent after commit when a period's goals have been frozen (goals.lifecycle).
    kwargs: period (GoalPeriod)
"""

from django.dispatch import Signal

goal_status_changed = Signal()
milestone_completed = Signal()
goals_recalculated = Signal()
period_closed = Signal()
