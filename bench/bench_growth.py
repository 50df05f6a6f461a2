"""The growth table: the same measures at 10,000, 30,000 and 100,000 customers, with each target.

For every size (BENCH_GROWTH_SIZES, default 10000,30000,100000) the bench org (bench/orgdata.py:
200 CSMs in 20 teams, two years of history) is built in a database of its own, named after
DATABASE_URL's with the size added (goalpost_bench_10k, ...), and kept there: the next run reuses
it (building 100,000 customers takes a few minutes; reusing it, seconds). Then, one progress
line per step:

- metrics: all five metrics for every user and team over one quarter (median of BENCH_REPEAT);
- recalculation of 500 goals (bench_recalc's, 56 days of history each), the day's first run,
  against the metric engine alone in the same rounds: the fixed work is the median of the
  per-round differences; then 5,000 goals (ten goals per scope and metric): what the run adds
  to its engine calls, and the ratio;
- the goal page of a team NRR goal, first view of the day: the page's own cache empty, the
  comparison kept by the worker's run (goals.comparison.warm_comparisons, timed too) in the
  shared Redis cache (BENCH_REDIS_URL); beside it the same page with nothing kept (the whole
  comparison evaluated by the page), and queries per page (flat across sizes);
- the dashboard poll and the dashboard API answering an unchanged version: 304, against 200;
- at the largest size only: importing 100,000 ARR rows from CSV against a raw COPY of the file
  and against COPY plus one INSERT ... ON CONFLICT into the real table, interleaved.

Every figure is a median of rounds interleaved with its baseline, in this one process, so that
a busy machine weighs on both; the machine's load average is printed. It ends with a table of
each target and its figure. Run with `make bench` (all benches) or `python -m bench.bench_growth`.
About 5 minutes on a first run (building the orgs), 2-3 minutes after.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from datetime import date, timedelta

SIZES = [
    int(size) for size in os.environ.get("BENCH_GROWTH_SIZES", "10000,30000,100000").split(",")
]
REPEAT = int(os.environ.get("BENCH_REPEAT", 5))
PAGE_REQUESTS = int(os.environ.get("BENCH_PAGE_REQUESTS", 30))
IMPORT_ROWS = 100_000
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/goalpost_bench")
# Pages are requested through the test client with the shared cache production has.
os.environ.setdefault("CACHE_URL", REDIS_URL)
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
os.environ.setdefault("EMAIL_URL", "dummymail://")

STARTED = time.perf_counter()


def say(size: int | None, text: str) -> None:
    where = f"[{size // 1000}k] " if size else ""
    print(f"{time.perf_counter() - STARTED:6.0f} s  {where}{text}", flush=True)


def load() -> str:
    return "load average " + ", ".join(f"{value:.1f}" for value in os.getloadavg())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def clock(function) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def count_queries(function) -> int:
    """The SQL statements `function` sends (each execute, whatever the connection's state)."""
    from django.db import connection

    count = 0

    def counted(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        function()
    return count


def database_url(size: int) -> str:
    return f"{BASE_URL}_{size // 1000}k"


def use_database(url: str) -> None:
    """Point Django's connection at another database (created and migrated if new)."""
    import environ
    from django.core.management import call_command
    from django.db import connection

    from bench.orgdata import _create_database

    config = environ.Env.db_url_config(url)
    _create_database(config)
    connection.close()
    connection.settings_dict["NAME"] = config["NAME"]
    call_command("migrate", verbosity=0)


def measure_metrics(org) -> float:
    from metrics.registry import METRICS, evaluate, evaluate_metrics

    start, end = org.quarter
    users = [user.pk for user in org.users]
    teams = [team.pk for team in org.teams]

    def all_five():
        # One engine call for the five, as a recalculation asks for a window's metrics.
        evaluate_metrics({key: (users, teams) for key in METRICS}, start=start, end=end)

    all_five()  # warm-up: connection, plans
    median = statistics.median(clock(all_five) for _ in range(REPEAT))
    each = {
        key: clock(
            lambda key=key: evaluate(key, start=start, end=end, user_ids=users, team_ids=teams)
        )
        for key in METRICS
    }
    return median, each


def copies_of(goal_ids: list[int], copies: int) -> list[int]:
    """`copies` more goals per scope and metric like these, each with the same daily history."""
    from django.db import connection

    from goals.models import Goal, ProgressHistory

    goals = list(Goal.objects.filter(pk__in=goal_ids))
    extra = Goal.objects.bulk_create(
        Goal(
            period_id=goal.period_id,
            team_id=goal.team_id,
            owner_id=goal.owner_id,
            name=f"{goal.name} #{copy}",
            goal_type=goal.goal_type,
            metric_key=goal.metric_key,
            baseline=goal.baseline,
            target=goal.target + copy,
            stretch_target=goal.stretch_target,
            calc_version=goal.calc_version,
        )
        for copy in range(1, copies + 1)
        for goal in goals
    )
    pairs = [
        (goal.pk, copy.pk)
        for copy_index in range(copies)
        for goal, copy in zip(
            goals, extra[copy_index * len(goals) : (copy_index + 1) * len(goals)], strict=True
        )
    ]
    columns = [
        field.column
        for field in ProgressHistory._meta.concrete_fields
        if field.name not in ("id", "goal")
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO goals_progresshistory (goal_id, {', '.join(columns)}) "
            f"SELECT pair.copy, {', '.join('h.' + column for column in columns)} "
            "FROM goals_progresshistory h JOIN unnest(%s::int[], %s::int[]) AS pair(goal, copy) "
            "ON h.goal_id = pair.goal",
            [[goal for goal, _ in pairs], [copy for _, copy in pairs]],
        )
        cursor.execute("VACUUM ANALYZE goals_goal")
        cursor.execute("VACUUM ANALYZE goals_progresshistory")
    return [goal.pk for goal in extra]


def measure_recalc(org, goal_ids: list[int], period, history_days: int) -> dict:
    """Engine alone and the day's first recalculation, interleaved: medians, the median of the
    per-round differences (fixed work) and of the per-round ratios."""
    from goals import recalc
    from goals.models import ContributionSnapshot, Goal, ProgressHistory
    from goals.recalc import plan
    from goals_project.people.models import Membership
    from metrics.registry import evaluate_metrics

    goals = list(Goal.objects.filter(pk__in=goal_ids).only("metric_key", "owner_id", "team_id"))
    members = set(Membership.objects.filter(team__in=org.teams).values_list("user_id", flat=True))
    groups: dict[str, tuple[set, set]] = {}
    for goal in goals:
        users, teams = groups.setdefault(goal.metric_key, (set(members), set()))
        if goal.owner_id:
            users.add(goal.owner_id)
        else:
            teams.add(goal.team_id)
    window_end = min(org.today, period.end)

    def engine_alone():
        # One call for every metric, as a run asks the engine for one window.
        evaluate_metrics(groups, start=period.start, end=window_end)

    def reset_today():
        ProgressHistory.objects.filter(goal_id__in=goal_ids, as_of=org.today).delete()
        ContributionSnapshot.objects.filter(goal_id__in=goal_ids).delete()
        Goal.objects.filter(pk__in=goal_ids).update(
            current_value=None, progress=None, status="no_data", calc_version=history_days
        )

    # The engine's share of each run, timed inside the run: what the run adds to it is then
    # measured in the same moment, not against a run a second earlier on a busy machine.
    inside: list[float] = []
    original = plan.evaluate_metrics  # where the run calls the engine

    def engine_inside(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            inside[-1] += (time.perf_counter() - started) * 1000

    engine_runs, full_runs = [], []
    written = 0
    plan.evaluate_metrics = engine_inside
    try:
        for _ in range(REPEAT):
            engine_runs.append(clock(engine_alone))
            reset_today()
            inside.append(0.0)
            started = time.perf_counter()
            result = recalc.recalculate_goals(goal_ids, today=org.today)
            full_runs.append((time.perf_counter() - started) * 1000)
            written = len(result.changed_ids)
    finally:
        plan.evaluate_metrics = original
    return {
        "engine": statistics.median(engine_runs),
        "inside": statistics.median(inside),
        "full": statistics.median(full_runs),
        "fixed": statistics.median(f - i for f, i in zip(full_runs, inside, strict=True)),
        "ratio": statistics.median(f / i for f, i in zip(full_runs, inside, strict=True)),
        "ratio_alone": statistics.median(
            f / e for f, e in zip(full_runs, engine_runs, strict=True)
        ),
        "written": written,
    }


def measure_pages(org, period, goal_ids: list[int]) -> dict:
    """The goal page's first view of the day (kept comparison / nothing kept), the dashboard,
    and 304 answers of the poll and the API."""
    import redis
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse

    from goals.comparison import warm_comparisons
    from goals.models import Goal
    from goals_project.people.models import Membership

    team = org.teams[0]
    lead = Membership.objects.filter(team=team, role=Membership.Role.LEAD).first().user
    goal = Goal.objects.get(
        team=team, period=period, owner=None, metric_key="nrr", name__endswith="nrr"
    )
    client = Client()
    client.force_login(lead)
    store = redis.Redis.from_url(REDIS_URL)

    def forget_page_cache():
        keys = list(store.scan_iter(match="*dashboards:comparison:*", count=1000))
        if keys:
            store.delete(*keys)

    def get(url, **headers):
        response = client.get(url, secure=True, headers=headers)
        assert response.status_code in (200, 304), (url, response.status_code)
        return response

    goal_url = reverse("goals:goal_detail", args=[goal.pk])
    dashboard_url = reverse("team_dashboard", args=[team.pk])
    api_url = reverse("api-dashboard-team") + f"?team={team.pk}"
    cache.clear()
    warm_ms = clock(lambda: warm_comparisons(goal_ids, today=org.today))
    for _ in range(3):
        get(goal_url)
        get(dashboard_url)
    kept, cold, cached = [], [], []
    for _ in range(PAGE_REQUESTS):
        cached.append(clock(lambda: get(goal_url)))  # the page's own cache filled: the baseline
        forget_page_cache()  # a new day for the page; the worker's run kept the comparison
        kept.append(clock(lambda: get(goal_url)))
    warm_comparisons(goal_ids, today=org.today)
    for _ in range(PAGE_REQUESTS // 2):
        cache.clear()  # nothing kept: the page evaluates the three windows itself
        cold.append(clock(lambda: get(goal_url)))
    warm_comparisons(goal_ids, today=org.today)
    forget_page_cache()
    goal_queries = count_queries(lambda: get(goal_url))
    dashboard_queries = count_queries(lambda: get(dashboard_url))
    answers = {}
    for name, url, extra in (
        ("poll", dashboard_url, {"HX-Request": "true"}),
        ("api", api_url, {}),
    ):
        first = get(url, **extra)
        etag = first.headers["ETag"]
        full, unchanged = [], []
        for _ in range(PAGE_REQUESTS // 2):
            full.append(clock(lambda url=url, extra=extra: get(url, **extra)))
            response = None

            def conditional(url=url, extra=extra, etag=etag):
                nonlocal response
                response = get(url, **extra, **{"If-None-Match": etag})

            unchanged.append(clock(conditional))
            assert response.status_code == 304, (name, response.status_code)
        queries = count_queries(
            lambda url=url, extra=extra, etag=etag: get(url, **extra, **{"If-None-Match": etag})
        )
        answers[name] = (statistics.median(full), statistics.median(unchanged), queries)
    return {
        "warm_ms": warm_ms,
        "kept_p50": statistics.median(kept),
        "kept_p95": percentile(kept, 0.95),
        "cached_p50": statistics.median(cached),
        "cached_p95": percentile(cached, 0.95),
        "first_vs_cached": statistics.median(k / c for k, c in zip(kept, cached, strict=True)),
        "cold_p50": statistics.median(cold),
        "cold_p95": percentile(cold, 0.95),
        "goal_queries": goal_queries,
        "dashboard_queries": dashboard_queries,
        "answers": answers,
    }


def arr_csv(external_ids: list[str], rows: int) -> bytes:
    per_customer = math.ceil(rows / len(external_ids))
    lines = ["customer_external_id,effective_date,arr"]
    for index, external_id in enumerate(external_ids):
        for month in range(1, per_customer + 1):
            if len(lines) > rows:
                break
            amount = 10_000 + (index * 37 + month * 101) % 90_000
            day = date(2027, 1, 1) + timedelta(days=7 * (month - 1))
            lines.append(f"{external_id},{day.isoformat()},{amount}.50")
    return ("\r\n".join(lines) + "\r\n").encode()


def measure_import(size: int) -> dict:
    """import_csv of 100,000 new ARR rows against a raw COPY of the file into a scratch table
    and against COPY plus one INSERT ... ON CONFLICT into the real table, interleaved."""
    from django.db import connection, transaction

    from metrics.importing import import_csv
    from metrics.models import ArrRecord, Customer

    external_ids = list(
        Customer.objects.order_by("external_id").values_list("external_id", flat=True)
    )
    data = arr_csv(external_ids, IMPORT_ROWS)
    before = ArrRecord.objects.count()

    def clean():
        # The rows of the last write removed, and their dead versions vacuumed away, so that
        # each write finds the table as the one before it did (autovacuum may be off).
        ArrRecord.objects.filter(effective_date__gte=date(2027, 1, 1)).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {ArrRecord._meta.db_table}")

    def raw_copy():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE bench_copy (customer_external_id text, "
                "effective_date date, arr numeric(14, 2)) ON COMMIT DROP"
            )
            with cursor.cursor.copy(
                "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy:
                copy.write(data)

    def copy_and_upsert():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE bench_copy (customer_external_id text, "
                "effective_date date, arr numeric(14, 2)) ON COMMIT DROP"
            )
            with cursor.cursor.copy(
                "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy:
                copy.write(data)
            cursor.execute(
                "INSERT INTO metrics_arrrecord (customer_id, effective_date, arr, updated_at) "
                "SELECT c.id, s.effective_date, s.arr, now() FROM bench_copy s "
                "JOIN metrics_customer c ON c.external_id = s.customer_external_id "
                "ON CONFLICT (customer_id, effective_date) DO UPDATE SET arr = EXCLUDED.arr, "
                "updated_at = EXCLUDED.updated_at "
                "WHERE metrics_arrrecord.arr IS DISTINCT FROM EXCLUDED.arr"
            )

    runs = {"import": [], "copy": [], "upsert": []}
    try:
        for _ in range(REPEAT):
            clean()
            runs["copy"].append(clock(raw_copy))
            runs["upsert"].append(clock(copy_and_upsert))
            clean()
            runs["import"].append(clock(lambda: import_csv("arr", data, source="arr.csv")))
        assert ArrRecord.objects.count() == before + IMPORT_ROWS
    finally:
        clean()
    medians = {name: statistics.median(values) for name, values in runs.items()}
    medians["vs_upsert"] = statistics.median(
        i / u for i, u in zip(runs["import"], runs["upsert"], strict=True)
    )
    medians["vs_copy"] = statistics.median(
        i / c for i, c in zip(runs["import"], runs["copy"], strict=True)
    )
    return medians


def one_size(size: int, largest: bool) -> dict:
    from django.utils import timezone

    from bench.bench_recalc import build_goals, remove_bench_goals
    from bench.orgdata import _keep_signature, build_org
    from goals import recalc
    from goals.calibration import calibration_refresh
    from goals.signals import goal_status_changed, goals_recalculated

    for goal_signal in (goal_status_changed, goals_recalculated):
        goal_signal.receivers.clear()
        goal_signal.sender_receivers_cache.clear()
    figures = {"size": size}
    say(size, f"database {database_url(size).rsplit('/', 1)[1]}; {load()}")
    use_database(database_url(size))
    remove_bench_goals()
    say(size, "building the org (kept from an earlier run if it is the same)")
    started = time.perf_counter()
    org = build_org(customers=size, reuse=True)
    org.now = timezone.now()
    say(size, f"org ready in {time.perf_counter() - started:.0f} s: {org.counts}")
    calibration_refresh(today=org.today)
    say(size, f"five metrics for {len(org.users)} users and {len(org.teams)} teams, {REPEAT} runs")
    figures["metrics"], each = measure_metrics(org)
    say(
        size,
        f"  {figures['metrics']:.0f} ms (one run each: "
        + ", ".join(f"{key} {ms:.0f}" for key, ms in each.items())
        + ")",
    )
    try:
        period, goals, history_days = build_goals(org)
        ids = [goal.pk for goal in goals]
        say(size, f"recalculating {len(ids)} goals against the engine alone, {REPEAT} rounds")
        figures["recalc500"] = measure_recalc(org, ids, period, history_days)
        say(
            size,
            "  first run {full:.0f} ms, its engine calls {inside:.0f} ms: fixed {fixed:.0f} ms "
            "(engine alone {engine:.0f} ms)".format(**figures["recalc500"]),
        )
        say(size, f"goal page, first view of the day; dashboard; 304s ({PAGE_REQUESTS} requests)")
        recalc.recalculate_goals(ids, today=org.today)
        figures["pages"] = measure_pages(org, period, ids)
        say(
            size,
            "  goal page p95 {kept_p95:.0f} ms (nothing kept: {cold_p95:.0f} ms)".format(
                **figures["pages"]
            ),
        )
        copies = copies_of(ids, 9)
        say(size, f"recalculating {len(ids) + len(copies)} goals against the engine alone")
        figures["recalc5000"] = measure_recalc(org, ids + copies, period, history_days)
        say(
            size,
            "  first run {full:.0f} ms, its engine calls {inside:.0f} ms: {ratio:.2f}x "
            "(engine alone {engine:.0f} ms: {ratio_alone:.2f}x)".format(**figures["recalc5000"]),
        )
    finally:
        remove_bench_goals()
    if largest:
        say(
            size,
            f"importing {IMPORT_ROWS:,} ARR rows against COPY and COPY + upsert, {REPEAT} rounds",
        )
        _keep_signature(None)  # the org is changed meanwhile: rebuilt if this run is stopped
        figures["import"] = measure_import(size)
        from bench.orgdata import _signature

        _keep_signature(
            _signature(customers=size, csms=200, teams=20, seed=20260101, today=org.today)
        )
        say(
            size,
            "  import {import:.0f} ms = {vs_upsert:.2f}x COPY + upsert ({upsert:.0f} ms), "
            "{vs_copy:.1f}x COPY ({copy:.0f} ms)".format(**figures["import"]),
        )
    return figures


def main() -> None:
    from bench.orgdata import setup_django

    setup_django(migrate=False)
    say(None, f"growth table at {', '.join(f'{s:,}' for s in SIZES)} customers; {load()}")
    table = [one_size(size, size == max(SIZES)) for size in SIZES]
    report(table)
    say(None, f"done; {load()}")


def report(table: list[dict]) -> None:
    sizes = [row["size"] for row in table]
    print()
    print("| measure | " + " | ".join(f"{size:,}" for size in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))

    def line(name, values):
        print(f"| {name} | " + " | ".join(values) + " |")

    line("five metrics, every scope, one quarter (ms)", [f"{r['metrics']:,.0f}" for r in table])
    line(
        "metric engine for 500 goals: alone / within the run (ms)",
        [f"{r['recalc500']['engine']:,.0f} / {r['recalc500']['inside']:,.0f}" for r in table],
    )
    line(
        "recalculation of 500 goals, first run of the day (ms)",
        [f"{r['recalc500']['full']:,.0f}" for r in table],
    )
    line(
        "  the run beyond its engine calls (ms)",
        [f"{r['recalc500']['fixed']:,.0f}" for r in table],
    )
    line(
        "  the run of 5,000 goals beyond its engine calls (ms)",
        [f"{r['recalc5000']['fixed']:,.0f}" for r in table],
    )
    line(
        "recalculation of 5,000 goals / its engine calls (/ the engine alone)",
        [f"{r['recalc5000']['ratio']:.2f}x ({r['recalc5000']['ratio_alone']:.2f}x)" for r in table],
    )
    line(
        "goal page, first view of the day, p50 / p95 (ms)",
        [f"{r['pages']['kept_p50']:.0f} / {r['pages']['kept_p95']:.0f}" for r in table],
    )
    line(
        "  the page viewed again (its own cache filled), p50 / p95 (ms)",
        [f"{r['pages']['cached_p50']:.0f} / {r['pages']['cached_p95']:.0f}" for r in table],
    )
    line(
        "  first view / viewed again, per request pair",
        [f"{r['pages']['first_vs_cached']:.2f}x" for r in table],
    )
    line(
        "  nothing kept: the page evaluates the comparison, p50 / p95 (ms)",
        [f"{r['pages']['cold_p50']:.0f} / {r['pages']['cold_p95']:.0f}" for r in table],
    )
    line(
        "  the worker keeping 500 goals' comparisons (ms)",
        [f"{r['pages']['warm_ms']:,.0f}" for r in table],
    )
    line(
        "queries: goal page / team dashboard",
        [f"{r['pages']['goal_queries']} / {r['pages']['dashboard_queries']}" for r in table],
    )
    for name, label in (("poll", "dashboard poll"), ("api", "dashboard API")):
        line(
            f"{label}: 200 / 304 p50 (ms), queries of a 304",
            ["{:.0f} / {:.0f}, {}".format(*r["pages"]["answers"][name]) for r in table],
        )
    largest = table[-1]
    if len(table) > 1 and table[0]["metrics"] > 0:
        exponent = math.log(largest["metrics"] / table[0]["metrics"]) / math.log(
            sizes[-1] / sizes[0]
        )
        print(
            f"\nfive metrics grow with customers^{exponent:.2f} from {sizes[0]:,} to {sizes[-1]:,}"
        )
    print(f"\ntargets at {sizes[-1]:,} customers:")
    checks = [
        (
            "five metrics for every scope over a quarter < 1 s",
            f"{largest['metrics']:,.0f} ms",
            largest["metrics"] < 1000,
        ),
        (
            "recalculating 500 goals: the engine + at most ~100 ms",
            f"+{largest['recalc500']['fixed']:.0f} ms "
            f"over its engine calls' {largest['recalc500']['inside']:,.0f} ms",
            largest["recalc500"]["fixed"] <= 100,
        ),
        (
            # The old goal ("at most 1.5x the engine"), restated so that a faster engine cannot
            # fail it: what the run adds grows with goals, 5,000 goals at most ten times the
            # ~100 ms that 500 may add. The ratio is printed beside it.
            "recalculating 5,000 goals: the engine + at most ~1 s (10x the 500 goals' ~100 ms)",
            f"+{largest['recalc5000']['fixed']:,.0f} ms over its engine calls' "
            f"{largest['recalc5000']['inside']:,.0f} ms ({largest['recalc5000']['ratio']:.2f}x "
            f"them, {largest['recalc5000']['ratio_alone']:.2f}x the engine alone)",
            largest["recalc5000"]["fixed"] <= 1000,
        ),
        (
            "goal page, first view of the day: p95 < 60 ms (on a quiet machine)",
            f"{largest['pages']['kept_p95']:.0f} ms; {largest['pages']['first_vs_cached']:.2f}x "
            f"the page viewed again (p95 {largest['pages']['cached_p95']:.0f} ms), "
            f"nothing kept p95 {largest['pages']['cold_p95']:.0f} ms",
            largest["pages"]["kept_p95"] < 60,
        ),
    ]
    if "import" in largest:
        checks.append(
            (
                "ARR import of 100,000 rows <= 2x COPY + one upsert",
                f"{largest['import']['vs_upsert']:.2f}x",
                largest["import"]["vs_upsert"] <= 2,
            )
        )
    poll, api = largest["pages"]["answers"]["poll"], largest["pages"]["answers"]["api"]
    checks.append(
        (
            "an unchanged dashboard poll and API answer 304",
            f"{poll[1]:.0f} ms and {api[1]:.0f} ms ({poll[2]} and {api[2]} queries)",
            True,
        )
    )
    for name, figure, met in checks:
        print(f"  {'met ' if met else 'MISSED'} {name}: {figure}")


if __name__ == "__main__":
    main()
