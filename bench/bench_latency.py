"""Data change to goal: how long an imported ARR change takes to show on the goal, with a real
Celery worker on Redis, on the 10,000-customer org with its 500 goals (see bench_recalc).

Each round imports one ARR row (through the same import service as the CSV command and the API)
for a customer of a CSM, then polls the CSM's NRR goal until it shows the new value. The clock
starts before the import. A burst of changes for many CSMs is then imported back to back to
show the coalescing: the worker log says how many recalculation runs it took.
Run with `python -m bench.bench_latency` (needs Redis; REDIS_URL, default db 12).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

from bench.orgdata import build_org, setup_django
from tests.celery_worker import forget_queue, start_worker, stop_worker, tasks_sent_to

ROUNDS = 10
BURST = 20
TIMEOUT = 30.0
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def received_runs(log: Path) -> int:
    """How many coalesced recalculation runs the worker has received so far."""
    return sum(
        "recalculate_pending[" in line and "received" in line
        for line in log.read_text().splitlines()
    )


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.utils import timezone

    from bench.bench_recalc import build_goals, remove_bench_goals
    from goals import recalc
    from goals.models import Goal
    from metrics.importing import import_records
    from metrics.models import ArrRecord, Customer

    remove_bench_goals()
    org = build_org()
    org.now = timezone.now()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    log = Path(tempfile.mkdtemp()) / "worker.log"
    with ExitStack() as cleanup:
        cleanup.callback(remove_bench_goals)
        period, goals, _ = build_goals(org)
        recalc.recalculate_goals([goal.pk for goal in goals], today=org.today)
        worker = start_worker(
            queue=queue, log=log, broker_url=REDIS_URL, env={"LOG_LEVEL": "WARNING"}
        )
        cleanup.callback(forget_queue, REDIS_URL, queue)
        cleanup.callback(stop_worker, worker)
        cleanup.enter_context(tasks_sent_to(queue, REDIS_URL))

        nrr_goal = {
            goal.owner_id: goal.pk for goal in goals if goal.owner_id and goal.metric_key == "nrr"
        }
        in_cohort = {}
        for customer in Customer.objects.filter(csm__in=org.users).order_by("pk"):
            # In the NRR cohort: ARR above zero on the period's first day.
            arr_at_start = (
                ArrRecord.objects.filter(customer=customer, effective_date__lte=period.start)
                .order_by("-effective_date")
                .values_list("arr", flat=True)
                .first()
            )
            if customer.csm_id not in in_cohort and arr_at_start:
                in_cohort[customer.csm_id] = customer
            if len(in_cohort) >= ROUNDS + BURST:
                break
        owners = list(in_cohort)

        def change(owner_id: int, bump: int) -> None:
            customer = in_cohort[owner_id]
            current = (
                ArrRecord.objects.filter(customer=customer, effective_date__lte=org.today)
                .order_by("-effective_date")
                .values_list("arr", flat=True)
                .first()
            )
            import_records(
                "arr",
                [
                    (
                        2,
                        {
                            "customer_external_id": customer.external_id,
                            "effective_date": org.today.isoformat(),
                            "arr": str(current + Decimal(bump)),
                        },
                    )
                ],
            )

        latencies = []
        for round_number, owner_id in enumerate(owners[:ROUNDS]):
            goal_id = nrr_goal[owner_id]
            before = Goal.objects.get(pk=goal_id).current_value
            started = time.perf_counter()
            change(owner_id, 1000 * (round_number + 1))
            while Goal.objects.get(pk=goal_id).current_value == before:
                if time.perf_counter() - started > TIMEOUT:
                    raise SystemExit(f"No change on goal {goal_id} after {TIMEOUT} s")
                time.sleep(0.02)
            latencies.append(time.perf_counter() - started)
            time.sleep(1.5)  # the next change is a separate run, not coalesced with this one

        runs_before = received_runs(log)
        burst_owners = owners[ROUNDS : ROUNDS + BURST]
        befores = {o: Goal.objects.get(pk=nrr_goal[o]).current_value for o in burst_owners}
        started = time.perf_counter()
        for owner_id in burst_owners:
            change(owner_id, 5000)
        pending = set(burst_owners)
        while pending and time.perf_counter() - started < TIMEOUT:
            values = dict(
                Goal.objects.filter(pk__in=[nrr_goal[o] for o in pending]).values_list(
                    "owner_id", "current_value"
                )
            )
            pending = {o for o in pending if values[o] == befores[o]}
            time.sleep(0.02)
        burst_seconds = time.perf_counter() - started
        time.sleep(0.5)
        runs = received_runs(log) - runs_before
        print(
            f"org: {org.counts['customers']:,} customers, {len(goals)} goals; worker on "
            f"{REDIS_URL}; coalescing delay {settings.GOAL_RECALC_COALESCE_SECONDS} s"
        )
        print(
            f"data change -> goal, {ROUNDS} single changes: median "
            f"{statistics.median(latencies):.2f} s, max {max(latencies):.2f} s (goal: < 5 s)"
        )
        print(
            f"burst of {BURST} changes (different CSMs) back to back: all goals updated after "
            f"{burst_seconds:.2f} s in {runs} recalculation run(s); not updated: {len(pending)}"
        )


if __name__ == "__main__":
    main()
