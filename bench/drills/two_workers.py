"""Drill: two Celery workers, separate processes as on two machines, on a burst of imports.

On the bench org (10,000 customers, 500 goals), two workers consume the same queue of the
drill's Redis, sharing one PostgreSQL and one cache (a Redis database, as CACHE_URL in
production). A burst of BURST imports, each changing the ARR of a customer of a different CSM
(two per team), arrives over a few seconds; three times in it, a 10,000-row import changes every
other customer (every goal is queued, and its run takes longer than the coalescing delay), so that
coalesced runs are queued while others work and both workers take some. PASS when, once the
queue is empty:
- every import's row is there and every goal has the right value: a fresh recalculation
  in-process changes nothing;
- no history row is lost or doubled: every goal's latest history row is today's with its
  current value, and no two consecutive rows repeat the same day and numbers;
- no recalculation ran twice for the same change: no two runs overlapped in time (each run
  logs when it started and ended, and how many goals it took), and the goals the runs took add
  up to at most the goals the imports queued.
"""

from __future__ import annotations

import os
import random
import re
import time
from datetime import datetime

from bench.drills import common

BURST = int(os.environ.get("DRILL_BURST", 40))
SPREAD_SECONDS = float(os.environ.get("DRILL_SPREAD_SECONDS", 6))
RUN_LINE = re.compile(
    r"recalculation run on (?P<worker>\S+): (?P<goals>\d+) goals taken, (?P<changed>\d+) changed, "
    r"from (?P<start>\S+) to (?P<end>\S+)"
)


def runs_in(logs: list) -> list[dict]:
    runs = []
    for log in logs:
        for match in RUN_LINE.finditer(log.read_text()):
            runs.append(
                {
                    "worker": match["worker"],
                    "goals": int(match["goals"]),
                    "changed": int(match["changed"]),
                    "start": datetime.fromisoformat(match["start"]),
                    "end": datetime.fromisoformat(match["end"]),
                }
            )
    return sorted(runs, key=lambda run: run["start"])


def main() -> bool:
    from tests.celery_worker import start_worker, stop_worker

    os.environ["CACHE_URL"] = f"redis://127.0.0.1:{common.REDIS_PORT}/1"
    with common.own_redis():
        common.setup(broker=True)
        import redis
        from django.utils import timezone

        from goals import recalc
        from goals.models import PendingRecalculation, RecalculationSchedule
        from goals_project.people.models import Membership
        from metrics.importing import import_records
        from metrics.models import ArrRecord, Customer

        redis.Redis.from_url(common.REDIS_URL).flushdb()
        org, goal_ids = common.build_bench_org()
        rng = random.Random(20)
        team_of = dict(
            Membership.objects.filter(user__in=org.users).values_list("user_id", "team_id")
        )
        by_team: dict[int, list[int]] = {}
        for user in org.users:
            by_team.setdefault(team_of[user.pk], []).append(user.pk)
        csms = [user for members in by_team.values() for user in members[:2]][:BURST]
        customers = {}
        for customer in Customer.objects.filter(csm_id__in=csms).order_by("pk"):
            customers.setdefault(customer.csm_id, customer)
        # The whole-book imports change every customer but the burst's own.
        everyone = list(
            Customer.objects.exclude(pk__in=[c.pk for c in customers.values()])
            .order_by("pk")
            .values_list("external_id", flat=True)
        )
        whole_book_at = {BURST // 4, BURST // 2, 3 * BURST // 4}
        queued = sum(len(recalc.goals_for_owners([csm])) for csm in csms) + len(
            whole_book_at
        ) * len(recalc.goals_for_owners([user.pk for user in org.users]))
        worker_env = {
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "CACHE_URL": os.environ["CACHE_URL"],
            "LOG_LEVEL": "INFO",
        }
        logs = [common.OUT / "worker-one.log", common.OUT / "worker-two.log"]
        workers = [
            start_worker(queue="celery", log=log, broker_url=common.REDIS_URL, env=worker_env)
            for log in logs
        ]
        try:
            today = timezone.localdate().isoformat()
            started = time.perf_counter()
            for number, csm in enumerate(csms):
                if number in whole_book_at:
                    import_records(
                        "arr",
                        [
                            (
                                row,
                                {
                                    "customer_external_id": external_id,
                                    "effective_date": today,
                                    "arr": f"{50_000 + number * 10 + row % 7}.00",
                                },
                            )
                            for row, external_id in enumerate(everyone, start=2)
                        ],
                    )
                customer = customers[csm]
                import_records(
                    "arr",
                    [
                        (
                            2,
                            {
                                "customer_external_id": customer.external_id,
                                "effective_date": today,
                                "arr": f"{120_000 + 1_000 * number}.00",
                            },
                        )
                    ],
                )
                time.sleep(rng.uniform(0, 2 * SPREAD_SECONDS / BURST))
            sent = time.perf_counter() - started
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                idle = (
                    not PendingRecalculation.objects.exists()
                    and not RecalculationSchedule.objects.filter(
                        scheduled_at__isnull=False
                    ).exists()
                )
                if idle:
                    time.sleep(2)  # a run that is still writing logs its line when it ends
                    if not PendingRecalculation.objects.exists():
                        break
                time.sleep(0.2)
            drained = time.perf_counter() - started
        finally:
            for worker in workers:
                stop_worker(worker)
        runs = runs_in(logs)
        overlapping = sum(
            1
            for earlier, later in zip(runs, runs[1:], strict=False)
            if later["start"] < earlier["end"]
        )
        per_worker = {}
        for run in runs:
            per_worker[run["worker"]] = per_worker.get(run["worker"], 0) + 1
        taken = sum(run["goals"] for run in runs)
        rows = ArrRecord.objects.filter(
            customer__in=list(customers.values()), effective_date=today
        ).count()
        last_small = ArrRecord.objects.filter(
            customer__in=list(customers.values()), effective_date=today, arr__gte=120_000
        ).count()
        missing, doubled = common.history_problems(goal_ids)
        changed_by_fresh_run = len(recalc.recalculate_goals(goal_ids).changed_ids)
        return common.verdict(
            "two workers on a burst of imports",
            rows == len(csms)
            and last_small == len(csms)
            and len(per_worker) == 2
            and overlapping == 0
            and taken <= queued
            and missing == 0
            and doubled == 0
            and changed_by_fresh_run == 0,
            f"{len(csms)} imports for {len(csms)} CSMs and {len(whole_book_at)} of every "
            f"customer in {sent:.1f} s ({last_small} of {len(csms)} changed customers hold the "
            "last import's value), "
            f"queue empty {drained:.1f} s after the first; {len(runs)} recalculation runs "
            f"({', '.join(f'{count} on {name}' for name, count in sorted(per_worker.items()))}), "
            f"{overlapping} overlapping; {taken} goals taken by the runs for {queued} queued by "
            f"the imports; {missing} goals without a current history row, {doubled} doubled "
            f"history rows, {changed_by_fresh_run} goals changed by a fresh recalculation",
        )


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
