"""One recalculation run: plan the goals' writes, store them, and run again the goals another
run changed in between (compare-and-set; see goals.recalc)."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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


# Runs under way in this process with the collector paused, and whether it was on before the
# first of them (the collector is the process's: runs on several threads share one pause).
_pause_lock = threading.Lock()
_paused_runs = 0
_enabled_before = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block; back on when the last such block in
    the process ends, if it was on when the first began (nested or on other threads, blocks
    count: none turns it back on under another, and a collector someone else switched off
    stays off).

    The collector is the whole process's: while a run lasts, other threads of the process (a
    web server's, a thread pool's) run without cyclic collection too; their objects freed by
    reference counts are freed as usual, cycles wait for the end of the run. A run allocates
    tens of thousands of short-lived containers (rows, tuples, Decimals in lists), which sets
    off collections of every generation, and each full collection walks the whole heap of a
    Django process (hundreds of thousands of objects): for 5,000 goals that was about a fifth
    of the run beyond the metric engine. The run's objects are freed by their reference counts
    as it goes; the few it leaves are collected as usual after it."""
    global _paused_runs, _enabled_before
    with _pause_lock:
        if _paused_runs == 0:
            _enabled_before = gc.isenabled()
            gc.disable()
        _paused_runs += 1
    try:
        yield
    finally:
        with _pause_lock:
            _paused_runs -= 1
            if _paused_runs == 0 and _enabled_before:
                gc.enable()


def recalculate_goals(
    goal_ids: Iterable[int], *, today: date | None = None, _attempt: int = 1
) -> RecalcResult:
    """Recalculate the given goals (and the roll-up parents above them) set-based.

    Idempotent and safe to run concurrently; see the module docstring. Returns the goals looked
    at, those written, the history rows added and the number of metric-engine calls.
    """
    with collector_paused():
        return _recalculate(goal_ids, today=today, attempt=_attempt)


def _recalculate(goal_ids: Iterable[int], *, today: date | None, attempt: int) -> RecalcResult:
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
        if attempt >= MAX_ATTEMPTS:
            logger.warning("Goals %s kept changing under recalculation", conflicting)
        else:
            retry = _recalculate(conflicting, today=today, attempt=attempt + 1)
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
