"""Set-based recalculation of goals: values, progress, status, forecast, history, contributions.

The engine by job: `plan` (load the goals, evaluate, compute the writes), `store` (write them),
`run` (one run, retried on conflicts), `backfill` (daily history from the period start), `queue`
(goals waiting for the coalesced run after customer data changed). This module holds the public
services that put them together.

One run loads its goals in one query, groups the calculated metric goals by (metric, window) and
makes one metric-engine call per group, computes manual goals from their latest entries and
milestones, rolls team goals without a metric up from their children, and writes everything back
in a constant number of statements, whatever the number of goals. On PostgreSQL the writes are
one statement: the conditional UPDATE of the goals with the INSERT of their history rows and the
upsert of their contribution snapshots as data-modifying CTEs, every column passed as one array.
Outside a transaction on PostgreSQL (goals.recalc.side), a large write
(goals.recalc.store.SPLIT_ROWS rows) is two such statements at once, each half of the goals in a
transaction of its own on a connection of its own, and a run with many goals on a new day
(goals.recalc.plan.SIDE_READ_GOALS) reads the stored series the forecast needs on a second
connection while the metric engine works; smaller runs stay on their own connection. The run's
signals go out once, after both halves are committed. A run that fails or is interrupted waits
for its other connection before the error goes on; if one half of a write was lost, the other
may be committed (whole goals, announced) and the retry or the next run does the rest.

History: a goal gets a ProgressHistory row when its value, progress, expected progress or status
changed, or when it has no row yet for the day the values describe (so the daily series that the
charts and the forecast read has a point per day). Running the same recalculation twice writes
nothing the second time.

Concurrency: each goal carries `calc_version`. A run remembers the version it read; the write
updates only the goals still at that version (compare-and-set), bumps the version and inserts
history rows with the new version numbers (unique per goal) for exactly the goals it updated.
Goals another run changed in between are recalculated again from fresh data, so no update is
lost and no row doubles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from goals_project.progress_bars import NO_PROGRESS, Progress

from ..models import Goal
from .backfill import backfill_history
from .plan import among
from .queue import goals_for_owners, mark_pending, release_pending, take_pending
from .run import RecalcResult, active_goal_ids, recalculate_goals

__all__ = [
    "RecalcResult",
    "active_goal_ids",
    "backfill_history",
    "goals_for_owners",
    "mark_pending",
    "recalculate_active_goals",
    "recalculate_goals",
    "recalculate_in_batches",
    "recalculate_pending",
]

# Goals per batch when a command recalculates many with a progress bar (whole teams a batch).
BATCH_GOALS = 500


def recalculate_in_batches(
    goal_ids: Iterable[int],
    *,
    backfill: bool = False,
    today: date | None = None,
    progress: Progress = NO_PROGRESS,
    batch_size: int = BATCH_GOALS,
) -> RecalcResult:
    """recalculate_goals (or backfill_history) for many goals, a few teams at a time so that
    `progress` hears of the goals done: a batch holds whole teams (a team goal with its
    members' goals and its roll-up parents), so each batch asks the engine for its teams'
    books only and the whole costs about what one pass would."""
    team_of = dict(Goal.objects.filter(among("pk", goal_ids)).values_list("pk", "team_id"))
    by_team: dict[int, list[int]] = defaultdict(list)
    for goal_id, team_id in sorted(team_of.items(), key=lambda item: (item[1], item[0])):
        by_team[team_id].append(goal_id)
    batches: list[list[int]] = [[]]
    for team_goals in by_team.values():
        if batches[-1] and len(batches[-1]) + len(team_goals) > batch_size:
            batches.append([])
        batches[-1] += team_goals
    result = RecalcResult()
    progress.start("Backfilling goals" if backfill else "Recalculating goals", len(team_of))
    done = 0
    for batch in batches:
        if not batch:
            continue
        run = backfill_history if backfill else recalculate_goals
        batch_result = run(batch, today=today)
        result.goal_ids += batch_result.goal_ids
        result.merge(batch_result)
        done += len(batch)
        progress.update(done)
    return result


def recalculate_active_goals(*, today: date | None = None) -> RecalcResult:
    """The safety net: recalculate every live goal of the current periods."""
    return recalculate_goals(active_goal_ids(today=today), today=today)


def recalculate_pending(*, today: date | None = None) -> RecalcResult:
    """Recalculate every queued goal in one run (the coalesced task's body).

    The schedule mark is cleared before the queue is read, so a change that arrives while this
    run works enqueues the next run instead of being stranded. A goal leaves the queue only once
    the run has committed, and only if it was not queued again meanwhile: a run that fails or
    whose worker is killed leaves the queue as it was, for the retry, the redelivered task or
    the next run (recalculating a goal twice is harmless).
    """
    goal_ids, started = take_pending()
    result = recalculate_goals(goal_ids, today=today)
    release_pending(goal_ids, started)
    return result
