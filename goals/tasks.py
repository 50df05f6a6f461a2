"""Celery tasks of the goals engine (thin wrappers over goals.recalc) and how they are enqueued.
The services enqueue through this module; the daily jobs that call services are in goals.beat.

Without a broker (CELERY_TASK_ALWAYS_EAGER) every task runs in-process, at once.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from celery import current_app, shared_task
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from goals_project.celery import RETRY_ON_DATABASE_ERROR

from . import recalc
from .comparison import warm_comparisons

logger = logging.getLogger(__name__)


def _warm(task, result: recalc.RecalcResult) -> None:
    """On a worker, after the run has committed: keep the comparisons of its goals in the shared
    cache for their pages (in-process runs leave them to the first page that shows them). A
    cache failure costs only that: the run's work is done."""
    if task.request.is_eager:
        return
    try:
        warm_comparisons(result.goal_ids)
    except Exception:  # noqa: BLE001 - the recalculation succeeded; pages compute it themselves
        logger.warning("could not keep the goals' comparisons in the cache", exc_info=True)


@shared_task(bind=True, **RETRY_ON_DATABASE_ERROR)
def recalculate_goals(self, goal_ids: list[int]) -> list[int]:
    """Recalculate these goals; returns the ids whose values changed."""
    result = recalc.recalculate_goals(goal_ids)
    _warm(self, result)
    return result.changed_ids


@shared_task(bind=True, **RETRY_ON_DATABASE_ERROR)
def backfill_goals(self, goal_ids: list[int]) -> list[int]:
    """Backfill the daily history of new metric goals, then calculate them for today."""
    result = recalc.backfill_history(goal_ids)
    _warm(self, result)
    return result.changed_ids


# The advisory lock every recalculation run of the queue (and the safety net) holds: one run at a
# time across all workers and machines.
RUN_LOCK = 20_260_120


@contextmanager
def one_run_at_a_time() -> Iterator[None]:
    """Wait until no other worker runs a recalculation, and hold that place until done.

    Two workers taking coalesced runs at once would both read the goals the first has not yet
    taken off the queue and recalculate them twice for the same change. Waiting is short (a run
    takes about the engine's time) and a killed worker's lock goes with its connection.
    SQLite (one writer) needs none."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [RUN_LOCK])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK])
        except DatabaseError:  # the connection is gone, and the lock with it
            logger.warning("could not release the recalculation lock", exc_info=True)


@shared_task(bind=True, **RETRY_ON_DATABASE_ERROR)
def recalculate_pending(self) -> list[int]:
    """The coalesced run after customer-data changes: every queued goal at once, one run at a
    time (a run queued while another works starts when it is done, with what is left)."""
    with one_run_at_a_time():
        started = timezone.now()
        result = recalc.recalculate_pending()
        ended = timezone.now()
    logger.info(
        "recalculation run on %s:%s: %d goals taken, %d changed, from %s to %s",
        socket.gethostname(),
        os.getpid(),
        len(result.goal_ids),
        len(result.changed_ids),
        started.isoformat(),
        ended.isoformat(),
    )
    _warm(self, result)
    return result.changed_ids


@shared_task(bind=True, **RETRY_ON_DATABASE_ERROR)
def recalculate_active_goals(self) -> int:
    """Beat safety net (every GOAL_RECALC_INTERVAL_MINUTES): every goal of the current periods;
    its first run of a day keeps that day's comparisons for every goal page."""
    with one_run_at_a_time():
        result = recalc.recalculate_active_goals()
    _warm(self, result)
    return len(result.changed_ids)


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
