"""One recalculation run: plan the goals' writes, store them, and run again the goals another
run changed in between (compare-and-set; see goals.recalc)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils import timezone

from ..models import (
    Goal,
    GoalPeriod,
)
from .plan import load_context, load_goals, plan_writes, with_rollup_parents
from .store import commit

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


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


def recalculate_goals(
    goal_ids: Iterable[int], *, today: date | None = None, _attempt: int = 1
) -> RecalcResult:
    """Recalculate the given goals (and the roll-up parents above them) set-based.

    Idempotent and safe to run concurrently; see the module docstring. Returns the goals looked
    at, those written, the history rows added and the number of metric-engine calls.
    """
    today = today or timezone.localdate()
    goals = with_rollup_parents(load_goals(set(goal_ids)))
    result = RecalcResult(goal_ids=[goal.pk for goal in goals])
    if not goals:
        return result
    context = load_context(goals, today)
    writes = plan_writes(goals, context, timezone.now())
    result.engine_calls = context.engine_calls
    written, conflicting = commit(writes)
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
