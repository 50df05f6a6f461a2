"""Time the accounts behind a metric value (metrics/breakdown.py) on the 10,000-customer org.

For each metric over the org's quarter: the engine's breakdown of one team's book (about 500
customers), the same through the API (JSON and CSV, as an admin's request through Django's
test client: routing, access, serialisation) and the goal page's on-demand partial for a team
goal; then the engine over the whole org (all 10,000 customers, every CSM's book at once), the
largest breakdown there is. Rounds interleave the metrics and the teams, so that load on the
shared machine weighs on all of them alike; p50 and p95 per line. The goal: p95 under 150 ms.

Run with `python -m bench.bench_breakdown` (DATABASE_URL, default the goalpost_bench database).
"""

from __future__ import annotations

import os
import statistics
import time
from collections import defaultdict

from bench.orgdata import build_org, setup_django

# One line per request would drown the figures.
os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
GOAL_MS = 150


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    setup_django()
    from django.test import Client

    from goals.models import Goal, GoalPeriod
    from goals_project.people.models import User
    from metrics.breakdown import breakdown
    from metrics.registry import METRICS, team_members

    started = time.perf_counter()
    org = build_org()
    print(f"org: {org.counts} (built in {time.perf_counter() - started:.1f} s)")
    start, end = org.quarter
    members = team_members([team.pk for team in org.teams])
    sizes = sorted(len(ids) for ids in members.values())
    print(
        f"window {start} .. {end}; {ROUNDS} rounds; "
        f"{len(org.teams)} teams of {sizes[0]}-{sizes[-1]} CSMs"
    )

    admin, _ = User.objects.update_or_create(
        email="bench-admin@bench.example",
        defaults={"name": "Bench Admin", "is_staff": True, "is_superuser": True},
    )
    client = Client()
    client.force_login(admin)
    period, _ = GoalPeriod.objects.update_or_create(
        name="Bench breakdown quarter",
        defaults={"period_type": "quarterly", "start": start, "end": end, "status": "completed"},
    )
    goals = {
        team.pk: Goal.objects.update_or_create(
            period=period,
            team=team,
            owner=None,
            name="Bench team NRR",
            defaults={
                "goal_type": Goal.Type.METRIC,
                "metric_key": "nrr",
                "baseline": 100,
                "target": 104,
            },
        )[0]
        for team in org.teams
    }
    everyone = [user.pk for user in org.users]
    window = {"start_date": start.isoformat(), "end_date": end.isoformat()}

    times: dict[str, list[float]] = defaultdict(list)
    rows: dict[str, int] = {}

    def timed(name: str, function) -> object:
        began = time.perf_counter()
        result = function()
        times[name].append((time.perf_counter() - began) * 1000)
        return result

    for round_number in range(ROUNDS + 2):
        team = org.teams[round_number % len(org.teams)]
        for key in METRICS:
            found = timed(
                f"engine, one team   {key}",
                lambda key=key, team=team: breakdown(
                    key, user_ids=members[team.pk], start=start, end=end
                ),
            )
            rows[key] = len(found.rows) + len(found.apart)
            url = f"/api/metrics/{key}/breakdown/"
            response = timed(
                f"API JSON, one team {key}",
                lambda url=url, team=team: client.get(
                    url, {**window, "team": team.pk}, secure=True
                ),
            )
            assert response.status_code == 200, response.content[:200]
            response = timed(
                f"API CSV, one team  {key}",
                lambda url=url, team=team: client.get(
                    url, {**window, "team": team.pk, "format": "csv"}, secure=True
                ),
            )
            assert response.status_code == 200
            whole = timed(
                f"engine, whole org  {key}",
                lambda key=key: breakdown(key, user_ids=everyone, start=start, end=end),
            )
            rows[f"whole {key}"] = len(whole.rows) + len(whole.apart)
        response = timed(
            "goal page partial  nrr",
            lambda team=team: client.get(f"/goals/{goals[team.pk].pk}/breakdown/", secure=True),
        )
        assert response.status_code == 200
        if round_number < 2:  # warm-up rounds: connections, caches, compiled queries
            times.clear()

    print(f"{'':36} {'p50 ms':>8} {'p95 ms':>8}  rows")
    worst_team = 0.0
    for name, values in times.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        key = name.split()[-1]
        count = rows.get(f"whole {key}" if "whole" in name else key, "")
        print(f"{name:36} {p50:8.1f} {p95:8.1f}  {count}")
        if "one team" in name or "partial" in name:
            worst_team = max(worst_team, p95)
    print(
        f"worst p95 for a team's breakdown (engine, API, page): {worst_team:.1f} ms "
        f"(goal < {GOAL_MS} ms)"
    )
    print(
        f"load average: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}"
    )


if __name__ == "__main__":
    main()
