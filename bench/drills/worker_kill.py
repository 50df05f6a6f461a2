"""Drill: a Celery worker SIGKILLed in the middle of a recalculation.

On the bench org (500 goals), a 10,000-row ARR import queues the recalculation of every goal;
worker A takes the coalesced run and is killed (SIGKILL, its whole process group) while it
works. Worker B starts; the beat safety net (recalculate_active_goals) is sent as beat would.
PASS when then every goal equals a fresh recalculation (a further run changes nothing), every
goal's latest history row is today's and holds its current value, and no history row is doubled.
"""

from __future__ import annotations

import os
import re
import signal
import time

from bench.drills import common

WAITING_ON_A_LOCK = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
)


def main() -> bool:
    from tests.celery_worker import start_worker, stop_worker

    with common.own_redis():
        common.setup(broker=True)
        import psycopg
        import redis
        from django.utils import timezone

        from goals import recalc
        from goals.models import Goal, PendingRecalculation, ProgressHistory
        from goals.tasks import recalculate_active_goals
        from metrics.importing import import_records
        from metrics.models import Customer

        redis.Redis.from_url(common.REDIS_URL).flushdb()
        _, goal_ids = common.build_bench_org()
        today = timezone.localdate().isoformat()
        rows = [
            (n, {"customer_external_id": external_id, "effective_date": today, "arr": "99999.00"})
            for n, external_id in enumerate(
                Customer.objects.order_by("pk").values_list("external_id", flat=True), start=2
            )
        ]
        imported_at = timezone.now()
        import_records("arr", rows)  # queues every goal; the run waits in Redis for a worker
        worker_env = {"DATABASE_URL": os.environ["DATABASE_URL"], "LOG_LEVEL": "INFO"}
        # The run takes well under a second; to kill it in the middle every time, a session
        # holds a lock on the history table so the run stops at its first write, then the
        # worker is killed there, with its values computed and its writes begun.
        connect = common.psycopg_params()
        admin = psycopg.connect(**connect, autocommit=True)
        blocker = psycopg.connect(**connect)
        blocker.execute(f"LOCK TABLE {ProgressHistory._meta.db_table} IN EXCLUSIVE MODE")
        log_a = common.OUT / "worker-a.log"
        worker_a = start_worker(
            queue="celery", log=log_a, broker_url=common.REDIS_URL, env=worker_env
        )
        waiting, deadline = None, time.monotonic() + 60
        while waiting is None and time.monotonic() < deadline:
            waiting = admin.execute(WAITING_ON_A_LOCK).fetchone()
            time.sleep(0.05)
        finished_before_kill = bool(
            re.search(r"recalculate_pending\[[^]]+\] succeeded", log_a.read_text())
        )
        os.killpg(worker_a.pid, signal.SIGKILL)
        worker_a.wait(timeout=10)
        blocker.rollback()
        blocker.close()
        admin.close()
        done_before_kill = Goal.objects.filter(
            pk__in=goal_ids, last_calculated_at__gt=imported_at
        ).count()
        still_queued = PendingRecalculation.objects.count()

        log_b = common.OUT / "worker-b.log"
        started = time.perf_counter()
        worker_b = start_worker(
            queue="celery", log=log_b, broker_url=common.REDIS_URL, env=worker_env
        )
        try:
            recalculate_active_goals.delay()
            done = re.compile(r"recalculate_active_goals\[[^]]+\] succeeded")
            deadline = time.monotonic() + 300
            while not done.search(log_b.read_text()) and time.monotonic() < deadline:
                time.sleep(0.2)
            caught_up = time.perf_counter() - started
        finally:
            stop_worker(worker_b)
        missing, doubled = common.history_problems(goal_ids)
        changed_by_fresh_run = len(recalc.recalculate_goals(goal_ids).changed_ids)
        return common.verdict(
            "worker SIGKILL mid-recalculation",
            waiting is not None
            and not finished_before_kill
            and missing == 0
            and doubled == 0
            and changed_by_fresh_run == 0,
            f"killed {'after' if finished_before_kill else 'during'} the run, "
            f"{done_before_kill}/{len(goal_ids)} goals written by then, {still_queued} left in "
            f"the pending queue; a new worker's "
            f"safety-net run caught up in {caught_up:.1f} s (worker start included); "
            f"then {missing} goals without a current history row, {doubled} doubled history rows, "
            f"{changed_by_fresh_run} goals changed by a fresh recalculation",
        )


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
