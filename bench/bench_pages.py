"""Page speed of the dashboards on the 10,000-customer org (500 goals, 20 members a team).

Builds the bench org (bench.orgdata) and the 500 goals of bench.bench_recalc with their daily
history, recalculates them once (values, forecasts, contribution snapshots, as in production),
then requests each page 50 times through Django's test client as a team lead and reports p50 and
p95 wall time and the number of queries per request:

- the team dashboard of one team (its 25 goals: 5 team goals and 20 individual ones);
- the goal page of a team NRR goal (chart, contributions of 10 members, comparison);
- the individual view of a member, and the leaderboard.

Goal: the goal page's p95 under 150 ms. Run with `python -m bench.bench_pages` (PostgreSQL;
DATABASE_URL defaults to a database of its own, goalpost_bench_pages).
"""

from __future__ import annotations

import os
import statistics
import time

REQUESTS = 50
WARM_UP = 3
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/goalpost_bench_pages")
# One log line per request would bury the report; emails sent by recognition go nowhere.
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
os.environ.setdefault("EMAIL_URL", "dummymail://")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure(client, url: str, before=None) -> tuple[float, float, int]:
    """p50 and p95 in milliseconds over REQUESTS requests, and the queries of one request.

    Requests are made as HTTPS (secure=True): with DEBUG off, plain HTTP is redirected."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        response = client.get(url, secure=True)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(REQUESTS):
        if before is not None:
            before()
        started = time.perf_counter()
        response = client.get(url, secure=True)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    if before is not None:
        before()
    with CaptureQueriesContext(connection) as queries:
        client.get(url, secure=True)
    return statistics.median(times), percentile(times, 0.95), len(queries)


def main() -> None:
    from bench.bench_recalc import build_goals, remove_bench_goals
    from bench.orgdata import build_org, setup_django

    setup_django()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from dashboards.models import LeaderboardSetting
    from goals import recalc
    from goals.models import ContributionSnapshot, Goal, ProgressHistory
    from goals_project.people.models import Membership

    remove_bench_goals()
    started = time.perf_counter()
    org = build_org()
    org.now = timezone.now()
    try:
        period, goals, history_days = build_goals(org)
        recalc.recalculate_goals([goal.pk for goal in goals], today=org.today)
        with connection.cursor() as cursor:
            for table in ("goals_goal", "goals_progresshistory", "goals_contributionsnapshot"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        team = org.teams[0]
        lead = Membership.objects.filter(team=team).order_by("pk").first()
        lead.role = Membership.Role.LEAD
        lead.save(update_fields=["role"])
        member = Membership.objects.filter(team=team).exclude(pk=lead.pk).first().user
        LeaderboardSetting.objects.update_or_create(team=team, defaults={"enabled": True})
        team_nrr = Goal.objects.get(team=team, period=period, owner=None, metric_key="nrr")
        team_goals = Goal.objects.filter(team=team, period=period).count()
        print(
            f"org: {org.counts['customers']:,} customers, {len(org.users)} CSMs, "
            f"{len(org.teams)} teams; {len(goals)} goals, {history_days} days of history each, "
            f"{ProgressHistory.objects.filter(goal__period=period).count():,} history rows, "
            f"{ContributionSnapshot.objects.filter(goal__period=period).count():,} contribution "
            f"snapshots (built in {time.perf_counter() - started:.1f} s)"
        )
        client = Client()
        client.force_login(lead.user)
        pages = [
            (
                f"team dashboard ({team_goals} goals)",
                reverse("team_dashboard", args=[team.pk]),
                None,
            ),
            ("goal page (team NRR goal)", reverse("goals:goal_detail", args=[team_nrr.pk]), None),
            # The comparison with earlier periods is cached per goal version and day; the first
            # view of the day computes it from the customer data.
            (
                "goal page, comparison not yet cached",
                reverse("goals:goal_detail", args=[team_nrr.pk]),
                cache.clear,
            ),
            ("individual view of a member", reverse("person_dashboard", args=[member.pk]), None),
            ("leaderboard", reverse("leaderboard"), None),
        ]
        print(f"{REQUESTS} requests each through the test client, as the team's lead")
        for name, url, before in pages:
            p50, p95, queries = measure(client, url, before)
            print(f"  {name:<42} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {queries} queries")
        print("goal: the goal page's p95 under 150 ms")
    finally:
        remove_bench_goals()


if __name__ == "__main__":
    main()
