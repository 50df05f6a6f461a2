"""Celery tasks of the goals engine (thin wrappers over goals.recalc) and how they are enqueued.

Without a broker (CELERY_TASK_ALWAYS_EAGER) every task runs in-process, at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from celery import current_app, shared_task
from django.conf import settings
from django.db import OperationalError, transaction

from . import recalc

TASK_OPTIONS = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True}


@shared_task(**TASK_OPTIONS)
def recalculate_goals(goal_ids: list[int]) -> list[int]:
    """Recalculate these goals; returns the ids whose values changed."""
    return recalc.recalculate_goals(goal_ids).changed_ids


@shared_task(**TASK_OPTIONS)
def backfill_goals(goal_ids: list[int]) -> list[int]:
    """Backfill the daily history of new metric goals, then calculate them for today."""
    return recalc.backfill_history(goal_ids).changed_ids


@shared_task(**TASK_OPTIONS)
def recalculate_pending() -> list[int]:
    """The coalesced run after customer-data changes: every queued goal at once."""
    return recalc.recalculate_pending().changed_ids


@shared_task(**TASK_OPTIONS)
def recalculate_active_goals() -> int:
    """Beat safety net (every GOAL_RECALC_INTERVAL_MINUTES): every goal of the current periods."""
    return len(recalc.recalculate_active_goals().changed_ids)


@shared_task(**TASK_OPTIONS)
def roll_over_periods() -> dict[str, list[int]]:
    """Beat, daily: periods become active on their start and completed after their end."""
    from .services import periods_roll_over

    moved = periods_roll_over()
    return {status: [period.pk for period in periods] for status, periods in moved.items()}


@shared_task(**TASK_OPTIONS)
def calibrate_forecasts() -> bool:
    """Beat, daily: rebuild the forecast calibration once a new quarter has closed."""
    from .calibration import calibration_refresh

    return calibration_refresh()


# Set within `one_recalculation_for_all()`: the goal ids to recalculate and to backfill.
_batch: ContextVar[tuple[set[int], set[int]] | None] = ContextVar("recalc_batch", default=None)


def enqueue_recalculation(goal_ids: Iterable[int], *, backfill: bool = False) -> None:
    """After the current transaction commits, recalculate (or backfill) these goals."""
    ids = sorted(set(goal_ids))
    if not ids:
        return
    batch = _batch.get()
    if batch is not None:
        batch[1 if backfill else 0].update(ids)
        return
    task = backfill_goals if backfill else recalculate_goals
    transaction.on_commit(lambda: task.delay(ids))


@contextmanager
def one_recalculation_for_all() -> Iterator[None]:
    """Within the block, every goal a service enqueues joins one task (one backfill, one
    recalculation) sent after commit: cascading to six members backfills their six goals in one
    pass over the days instead of six."""
    if _batch.get() is not None:  # already inside a batch: it sends everything
        yield
        return
    recalculate, backfill = set(), set()
    token = _batch.set((recalculate, backfill))
    try:
        yield
    finally:
        _batch.reset(token)
    enqueue_recalculation(backfill, backfill=True)
    enqueue_recalculation(recalculate - backfill)


def enqueue_for_owners(owner_ids: Iterable[int]) -> list[int]:
    """Schedule the goals whose scope holds these CSMs' books (customer data changed).

    With a worker, the goals are queued and one run is enqueued a moment later
    (GOAL_RECALC_COALESCE_SECONDS), so a burst of changes is one run. Eagerly, they are
    recalculated now. Returns the goal ids scheduled.
    """
    goal_ids = recalc.goals_for_owners(owner_ids)
    if not goal_ids:
        return []
    if current_app.conf.task_always_eager:
        recalculate_goals.delay(goal_ids)
    elif recalc.mark_pending(goal_ids):
        recalculate_pending.apply_async(countdown=settings.GOAL_RECALC_COALESCE_SECONDS)
    return goal_ids
