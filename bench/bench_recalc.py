"""Recalculating every goal of the 10,000-customer org (500 goals) against the metric engine alone.

500 goals in the current quarter: for each of the 20 teams one team goal per metric (100), and
for each of the 200 CSMs an individual NRR and renewal-rate goal (400). Every goal has a daily
history from the quarter start to yesterday, as after weeks of use.

Timed in REPEAT interleaved rounds (BENCH_REPEAT, default 15), reported as medians:
- engine alone: the same evaluate_metrics() call a recalculation makes (one per window);
- recalculation, every goal changing: the first run of the day (a new history point, forecast
  with the org's stored calibration and contribution snapshots for every goal);
- recalculation, nothing changed: the safety-net run later the same day.
Goal: the day's first run costs the engine plus at most ~100 ms (once 1.5x the engine alone,
restated so that a faster engine cannot fail it). Run with `python -m bench.bench_recalc`.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from bench.orgdata import build_org, setup_django

REPEAT = int(os.environ.get("BENCH_REPEAT", 15))
BENCH_PERIOD = "Bench quarter"


def timed(function, prepare=None, repeat: int = REPEAT) -> tuple[float, object]:
    """Median wall time in milliseconds over `repeat` runs (prepare() runs untimed before each)."""
    times, result = [], None
    for _ in range(repeat):
        if prepare:
            prepare()
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def ratios(runs: list[float], engine_runs: list[float]) -> str:
    """The ratio of the medians, then the median and quartiles of the per-round ratios (their
    spread is the machine's noise: a run that does nearly what the engine does still spreads)."""
    each = sorted(run / engine for run, engine in zip(runs, engine_runs, strict=True))
    low, middle, high = statistics.quantiles(each, n=4)
    overall = statistics.median(runs) / statistics.median(engine_runs)
    return f"{overall:.2f}x (per round: median {middle:.2f}x, quartiles {low:.2f}-{high:.2f})"


def remove_bench_goals() -> None:
    """Goals protect their teams: drop the bench goals so that build_org can rebuild the org."""
    from goals.models import Goal, GoalPeriod

    Goal.objects.filter(team__name__startswith="Bench ").delete()
    GoalPeriod.objects.filter(name=BENCH_PERIOD, goals__isnull=True).delete()


def build_goals(org):
    """The 500 goals and their daily history up to yesterday."""
    from goals.comparison import shift_months
    from goals.models import Goal, GoalPeriod, ProgressHistory
    from goals.progress import expected_progress, quantize
    from goals_project.people.models import Membership
    from metrics.registry import METRICS

    start = org.quarter[1] + timedelta(days=1)
    end = shift_months(start, 3) - timedelta(days=1)
    period = GoalPeriod.objects.filter(period_type="quarterly", start=start).first()
    if period is None:
        period = GoalPeriod.objects.create(
            name=BENCH_PERIOD, period_type="quarterly", start=start, end=end, status="active"
        )
    team_of = dict(Membership.objects.filter(user__in=org.users).values_list("user_id", "team_id"))
    goals = [
        Goal(
            period=period,
            team=team,
            name=f"{team.name} {key}",
            goal_type="metric",
            metric_key=key,
            baseline=Decimal(90),
            target=Decimal(105),
            stretch_target=Decimal(110),
        )
        for team in org.teams
        for key in METRICS
    ]
    goals += [
        Goal(
            period=period,
            team_id=team_of[user.pk],
            owner=user,
            name=f"{user.name} {key}",
            goal_type="metric",
            metric_key=key,
            baseline=Decimal(90),
            target=Decimal(105),
        )
        for user in org.users
        for key in ("nrr", "renewal_rate")
    ]
    goals = Goal.objects.bulk_create(goals)
    days = [start + timedelta(days=n) for n in range((org.today - start).days)]
    history = [
        ProgressHistory(
            goal=goal,
            as_of=day,
            value=Decimal(95) + Decimal(number % 7),
            progress=Decimal(33),
            expected_progress=quantize(expected_progress(start=start, end=end, as_of=day)),
            status="on_track",
            recorded_at=org.now,
            calc_version=number + 1,
        )
        for goal in goals
        for number, day in enumerate(days)
    ]
    ProgressHistory.objects.bulk_create(history, batch_size=5000)
    Goal.objects.filter(pk__in=[g.pk for g in goals]).update(calc_version=len(days))
    return period, goals, len(days)


def main() -> None:
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from goals import recalc
    from goals.calibration import calibration_refresh
    from goals.models import ContributionSnapshot, Goal, ProgressHistory
    from goals.signals import goal_status_changed, goals_recalculated
    from goals_project.people.models import Membership
    from metrics.registry import evaluate_metrics

    # The goals app's listeners (recognition) would run eagerly here, inside the timing; with a
    # worker they only enqueue their tasks. The bench times the recalculation itself.
    for goal_signal in (goal_status_changed, goals_recalculated):
        goal_signal.receivers.clear()
        goal_signal.sender_receivers_cache.clear()
    remove_bench_goals()
    started = time.perf_counter()
    org = build_org()
    org.now = timezone.now()
    # The forecast reads the org's calibration (measured once per closed quarter, untimed).
    calibration_refresh(today=org.today)
    try:
        period, goals, history_days = build_goals(org)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE goals_goal")
            cursor.execute("VACUUM ANALYZE goals_progresshistory")
        ids = [goal.pk for goal in goals]
        print(
            f"org: {org.counts['customers']:,} customers, {len(org.users)} CSMs, "
            f"{len(org.teams)} teams; {len(goals)} goals in {period.start} .. {period.end} with "
            f"{history_days} days of history each (built in {time.perf_counter() - started:.1f} s)"
        )
        window_end = min(org.today, period.end)
        members = set(
            Membership.objects.filter(team__in=org.teams).values_list("user_id", flat=True)
        )
        groups: dict[str, tuple[set, set]] = {}
        for goal in goals:
            users, teams = groups.setdefault(goal.metric_key, (set(members), set()))
            if goal.owner_id:
                users.add(goal.owner_id)
            else:
                teams.add(goal.team_id)

        def engine_alone():
            # One call for every metric, as a run asks the engine for one window.
            evaluate_metrics(groups, start=period.start, end=window_end)

        def reset_today():
            ProgressHistory.objects.filter(goal_id__in=ids, as_of=org.today).delete()
            ContributionSnapshot.objects.filter(goal_id__in=ids).delete()
            Goal.objects.filter(pk__in=ids).update(
                current_value=None, progress=None, status="no_data", calc_version=history_days
            )

        def recalculate():
            return recalc.recalculate_goals(ids, today=org.today)

        # Interleaved, so that a busy machine slows all three alike; each round's ratios are
        # taken within the round, and their quartiles show how much the machine moved them.
        engine_runs, full_runs, quiet_runs = [], [], []
        for _ in range(REPEAT):
            engine_runs.append(timed(engine_alone, repeat=1)[0])
            full_ms, full = timed(recalculate, prepare=reset_today, repeat=1)
            full_runs.append(full_ms)
            quiet_ms, quiet = timed(recalculate, repeat=1)
            quiet_runs.append(quiet_ms)
        engine_ms = statistics.median(engine_runs)
        print(f"window {period.start} .. {window_end}; {REPEAT} interleaved rounds, medians")
        print(f"  metric engine alone (one call, {len(groups)} metrics): {engine_ms:8.1f} ms")
        print(
            f"  recalculation, every goal changing: {statistics.median(full_runs):8.1f} ms "
            f"({len(full.changed_ids)} goals written, {full.history_rows} history rows, "
            f"{full.engine_calls} engine calls) = {ratios(full_runs, engine_runs)} the engine"
        )
        print(
            f"  recalculation, nothing changed:     {statistics.median(quiet_runs):8.1f} ms "
            f"({len(quiet.changed_ids)} goals written) = {ratios(quiet_runs, engine_runs)} "
            "the engine"
        )
        added = statistics.median(f - e for f, e in zip(full_runs, engine_runs, strict=True))
        print(f"  what the day's first run adds to the engine: {added:8.1f} ms (per-round median)")
        print("goal: the engine plus at most ~100 ms for these 500 goals")
    finally:
        remove_bench_goals()


if __name__ == "__main__":
    main()
