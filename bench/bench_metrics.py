"""Time all five metrics for every user and team for one quarter on the 10,000-customer org.

All five are one engine call (`evaluate_metrics`, as a recalculation asks for a window's
metrics); each metric on its own is timed too. Beside the engine, one hand-written SQL query
computes NRR per owner directly: the lower bound the engine's NRR is compared with. Run with
`make bench` or `python -m bench.bench_metrics [customers]` (an org of that size, kept in the
database of DATABASE_URL and reused when it is already there).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from bench.orgdata import build_org, setup_django

REPEAT = 7

# Two hand-written forms of NRR per owner; the faster one is the lower bound.
NRR_DISTINCT_ON_SQL = """
WITH arr_start AS (
    SELECT DISTINCT ON (customer_id) customer_id, arr
    FROM metrics_arrrecord WHERE effective_date <= %(start)s
    ORDER BY customer_id, effective_date DESC
), arr_end AS (
    SELECT DISTINCT ON (customer_id) customer_id, arr
    FROM metrics_arrrecord WHERE effective_date <= %(end)s
    ORDER BY customer_id, effective_date DESC
)
SELECT c.csm_id, SUM(COALESCE(e.arr, 0)), SUM(s.arr)
FROM metrics_customer c
JOIN arr_start s ON s.customer_id = c.id AND s.arr > 0
LEFT JOIN arr_end e ON e.customer_id = c.id
WHERE c.csm_id = ANY(%(owners)s)
GROUP BY c.csm_id
"""
NRR_LATERAL_SQL = """
SELECT c.csm_id, SUM(COALESCE(e.arr, 0)), SUM(s.arr)
FROM metrics_customer c
CROSS JOIN LATERAL (
    SELECT arr FROM metrics_arrrecord r
    WHERE r.customer_id = c.id AND r.effective_date <= %(start)s
    ORDER BY r.effective_date DESC LIMIT 1
) s
LEFT JOIN LATERAL (
    SELECT arr FROM metrics_arrrecord r
    WHERE r.customer_id = c.id AND r.effective_date <= %(end)s
    ORDER BY r.effective_date DESC LIMIT 1
) e ON true
WHERE s.arr > 0 AND c.csm_id = ANY(%(owners)s)
GROUP BY c.csm_id
"""


def timed(function, repeat: int = REPEAT) -> tuple[float, object]:
    """The median wall time of `repeat` runs in milliseconds, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    setup_django()
    from django.db import connection

    from metrics.registry import METRICS, evaluate, evaluate_metrics

    started = time.perf_counter()
    org = build_org(customers=int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, reuse=True)
    print(
        f"org: {org.counts}, {len(org.users)} CSMs, {len(org.teams)} teams "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )
    start, end = org.quarter
    user_ids = [user.pk for user in org.users]
    team_ids = [team.pk for team in org.teams]
    print(
        f"window: {start} .. {end}; median of {REPEAT} runs; scopes: {len(user_ids)} users + "
        f"{len(team_ids)} teams"
    )

    def all_metrics():
        return evaluate_metrics(
            {key: (user_ids, team_ids) for key in METRICS}, start=start, end=end
        )

    per_metric = {}
    for key in METRICS:
        per_metric[key], _ = timed(
            lambda key=key: evaluate(
                key, start=start, end=end, user_ids=user_ids, team_ids=team_ids
            )
        )
        print(f"  {key:<15} {per_metric[key]:8.1f} ms")
    total, results = timed(all_metrics)
    print(
        f"all five metrics, every scope, one engine call: {total:.1f} ms (goal at 100,000 "
        f"customers: < 1000 ms); load average "
        + ", ".join(f"{value:.1f}" for value in os.getloadavg())
    )

    def hand_nrr(query):
        with connection.cursor() as cursor:
            cursor.execute(query, {"start": start, "end": end, "owners": user_ids})
            return {owner: (numerator, denominator) for owner, numerator, denominator in cursor}

    # The engine and the hand-written queries take turns, so that load on the machine weighs
    # on all of them alike.
    contenders = {
        "engine": lambda: evaluate("nrr", start=start, end=end, user_ids=user_ids),
        "hand-written DISTINCT ON": lambda: hand_nrr(NRR_DISTINCT_ON_SQL),
        "hand-written LATERAL": lambda: hand_nrr(NRR_LATERAL_SQL),
    }
    times = {name: [] for name in contenders}
    by_owner = {}
    for _ in range(REPEAT):
        for name, function in contenders.items():
            elapsed, result = timed(function, repeat=1)
            times[name].append(elapsed)
            if name.startswith("hand"):
                by_owner = result
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, elapsed in medians.items():
        print(f"  NRR per owner, {name:<25} {elapsed:8.1f} ms")
    lower = min(medians["hand-written DISTINCT ON"], medians["hand-written LATERAL"])
    print(
        f"NRR engine (users only): {medians['engine']:.1f} ms; hand-written SQL lower bound: "
        f"{lower:.1f} ms; ratio {medians['engine'] / lower:.2f}x (goal <= 2x)"
    )
    engine_users = results["nrr"].users
    mismatches = [
        owner
        for owner, (numerator, denominator) in by_owner.items()
        if (engine_users[owner].numerator, engine_users[owner].denominator)
        != (numerator, denominator)
    ]
    print(
        f"NRR per owner equal to the hand-written query: {not mismatches} "
        f"({len(by_owner)} owners compared)"
    )
    team = org.teams[0]
    print(
        f"sample: {team.name} NRR {results['nrr'].teams[team.pk].value:.2f}%, "
        f"GRR {results['grr'].teams[team.pk].value:.2f}%, "
        f"renewal {results['renewal_rate'].teams[team.pk].value:.2f}%, "
        f"NPS {results['nps'].teams[team.pk].value:.2f}, "
        f"QBR {results['qbr_completion'].teams[team.pk].value:.2f}%"
    )


if __name__ == "__main__":
    main()
