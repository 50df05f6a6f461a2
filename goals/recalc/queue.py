"""The queue of goals waiting for the coalesced run after customer data changed: which goals a
change concerns, queueing them (insert-or-refresh) with a conditional UPDATE that lets only the
first change of a burst enqueue the run, and taking the queue for that run."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from goals_project.people.models import Membership

from ..models import (
    Goal,
    PendingRecalculation,
    RecalculationSchedule,
)

QUEUE_NAME = "goals"

# A schedule mark older than this is taken as a lost task: the next change enqueues a new one.
STALE_SCHEDULE = timedelta(seconds=60)


def goals_for_owners(owner_ids: Iterable[int], *, today: date | None = None) -> list[int]:
    """Live calculated goals whose scope holds these CSMs' books: their individual goals and
    the team goals of their teams, in periods that have started."""
    today = today or timezone.localdate()
    owner_ids = list(owner_ids)
    team_ids = Membership.objects.filter(user_id__in=owner_ids).values("team_id")
    return list(
        Goal.objects.filter(
            Q(owner_id__in=owner_ids) | Q(owner__isnull=True, team_id__in=team_ids),
            goal_type=Goal.Type.METRIC,
            archived_at__isnull=True,
            period__start__lte=today,
        )
        .exclude(metric_key="")
        .values_list("pk", flat=True)
    )


def mark_pending(goal_ids: Iterable[int]) -> bool:
    """Queue goals for the next coalesced run. True when the caller must enqueue that run
    (no run is scheduled yet); False when an already scheduled run will pick them up.

    A goal already in the queue gets the new time: a run that started before this change then
    leaves it queued (see recalculate_pending)."""
    now = timezone.now()
    PendingRecalculation.objects.bulk_create(
        [PendingRecalculation(goal_id=pk, queued_at=now) for pk in goal_ids],
        update_conflicts=True,
        unique_fields=["goal"],
        update_fields=["queued_at"],
    )
    RecalculationSchedule.objects.get_or_create(name=QUEUE_NAME)
    # Only the first change of a burst wins this conditional update and enqueues the run.
    return bool(
        RecalculationSchedule.objects.filter(name=QUEUE_NAME)
        .filter(Q(scheduled_at__isnull=True) | Q(scheduled_at__lt=now - STALE_SCHEDULE))
        .update(scheduled_at=now)
    )


def take_pending() -> tuple[list[int], datetime]:
    """The queued goals for a run, and when it took them. The schedule mark is cleared first,
    so a change that arrives while the run works enqueues the next run instead of being
    stranded."""
    RecalculationSchedule.objects.filter(name=QUEUE_NAME).update(scheduled_at=None)
    started = timezone.now()
    goal_ids = list(
        PendingRecalculation.objects.filter(queued_at__lte=started).values_list(
            "goal_id", flat=True
        )
    )
    return goal_ids, started


def release_pending(goal_ids: list[int], started: datetime) -> None:
    """Take the goals a committed run has recalculated off the queue, unless they were queued
    again after the run took them."""
    PendingRecalculation.objects.filter(goal_id__in=goal_ids, queued_at__lte=started).delete()
