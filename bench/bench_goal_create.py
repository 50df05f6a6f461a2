"""How long a lead waits when creating a metric goal and when cascading it to six members.

Builds the 10,000-customer bench org (bench.orgdata: 20 teams of 10 CSMs), a period for the
quarter holding today, and then, through Django's test client as the lead of one team:

- POST /goals/new/ (a team NRR goal, baseline from the previous quarter), and
- POST /goals/<id>/cascade/ (the suggested rows of six members, unchanged),

in two settings:

- eager: no broker, tasks run in the request after commit (as `make run`): the answer waits for
  the history backfill (one point a day since the period start);
- worker: a real Celery worker on Redis (as production): the answer comes back once the task is
  sent; "history built" is the time until every new goal has been calculated.

Each is timed ROUNDS times (the goals of a round are deleted before the next); the median is
printed. Run: `python -m bench.bench_goal_create` (PostgreSQL; DATABASE_URL defaults to the
goalpost_bench_goals database, BENCH_REDIS_URL to Redis database 12).
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
MEMBERS = 6
TIMEOUT = 120.0
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/goalpost_bench_goals")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
os.environ.setdefault("EMAIL_URL", "dummymail://")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
GOAL_NAME = "Bench created NRR"

from bench.orgdata import build_org, setup_django  # noqa: E402


def current_quarter(today: date):
    from goals.models import GoalPeriod

    first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    following = date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    period = GoalPeriod.objects.filter(period_type="quarterly", start__lte=today, end__gte=today)
    return period.first() or GoalPeriod.objects.create(
        name="Bench this quarter",
        period_type="quarterly",
        start=first,
        end=following - timedelta(days=1),
        status="active",
    )


def form_fields(html: str) -> dict[str, str]:
    """The inputs of the page's form as a browser would send them unchanged (ticked boxes only)."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        if 'type="checkbox"' in tag and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ("on" if "checkbox" in tag else "")
    return data


def remove_created_goals() -> None:
    from goals.models import Goal

    Goal.objects.filter(name__startswith=GOAL_NAME).order_by("-pk").delete()


def one_round(client, *, team, period, members, built: bool) -> tuple[float, float, float, float]:
    """Create the team goal and cascade it: (create s, create built s, cascade s, built s)."""
    from goals.models import Goal

    def wait_until_calculated(ids: list[int], since: float) -> float:
        while Goal.objects.filter(pk__in=ids, last_calculated_at__isnull=True).exists():
            if time.perf_counter() - since > TIMEOUT:
                raise SystemExit(f"Goals {ids} not calculated after {TIMEOUT} s")
            time.sleep(0.02)
        return time.perf_counter() - since

    started = time.perf_counter()
    response = client.post(
        "/goals/new/",
        {
            "period": period.pk,
            "team": team.pk,
            "name": GOAL_NAME,
            "goal_type": "metric",
            "metric_key": "nrr",
            "direction": "increase",
            "target": "110",
            "weight": "1",
            "visibility": "public",
            "show_in_leaderboard": "on",
        },
        secure=True,
    )
    create = time.perf_counter() - started
    assert response.status_code == 302, response.content.decode()[:2000]
    goal = Goal.objects.get(name=GOAL_NAME)
    create_built = wait_until_calculated([goal.pk], started) if built else create

    page = client.get(f"/goals/{goal.pk}/cascade/", secure=True).content.decode()
    data = form_fields(page)
    chosen = {f"m{member.pk}_" for member in members}
    for key in list(data):
        if key.endswith("_include") and key[: key.index("_") + 1] not in chosen:
            del data[key]
    started = time.perf_counter()
    response = client.post(f"/goals/{goal.pk}/cascade/", data, secure=True)
    cascade = time.perf_counter() - started
    assert response.status_code == 302, response.content.decode()[:2000]
    children = list(Goal.objects.filter(parent=goal).values_list("pk", flat=True))
    assert len(children) == MEMBERS, children
    cascade_built = wait_until_calculated(children, started) if built else cascade
    remove_created_goals()
    return create, create_built, cascade, cascade_built


def run(client, *, label: str, built: bool, **arguments) -> None:
    rounds = [one_round(client, built=built, **arguments) for _ in range(ROUNDS)]
    medians = (statistics.median(column) for column in zip(*rounds, strict=True))
    create, create_built, cascade, cascade_built = medians
    print(f"{label}: create a team NRR goal {create * 1000:,.0f} ms", end="")
    print(f" (history built {create_built * 1000:,.0f} ms)" if built else "", end="")
    print(f"; cascade to {MEMBERS} members {cascade * 1000:,.0f} ms", end="")
    print(f" (history built {cascade_built * 1000:,.0f} ms)" if built else "")


def main() -> None:
    setup_django()
    from django.test import Client
    from django.utils import timezone

    from bench.bench_recalc import remove_bench_goals
    from goals_project.people.models import Membership
    from tests.celery_worker import forget_queue, start_worker, stop_worker, tasks_sent_to

    remove_bench_goals()
    remove_created_goals()
    org = build_org()
    today = timezone.localdate()
    period = current_quarter(today)
    team = org.teams[0]
    lead = Membership.objects.get(team=team, role=Membership.Role.LEAD).user
    members = [
        membership.user
        for membership in Membership.objects.filter(team=team).select_related("user")
    ][:MEMBERS]
    client = Client()
    client.force_login(lead)
    days = (today - period.start).days + 1
    print(
        f"Bench org: {org.counts['customers']:,} customers; team {team.name} of "
        f"{Membership.objects.filter(team=team).count()} CSMs; {period.name}, day {days}; "
        f"median of {ROUNDS} rounds."
    )
    arguments = {"team": team, "period": period, "members": members}
    run(client, label="eager tasks (make run)", built=False, **arguments)

    queue = f"bench-goals-{uuid.uuid4().hex[:8]}"
    log = Path(tempfile.mkdtemp()) / "worker.log"
    with ExitStack() as cleanup:
        worker = start_worker(
            queue=queue, log=log, broker_url=REDIS_URL, env={"LOG_LEVEL": "WARNING"}
        )
        cleanup.callback(forget_queue, REDIS_URL, queue)
        cleanup.callback(stop_worker, worker)
        cleanup.enter_context(tasks_sent_to(queue, REDIS_URL))
        run(client, label="a Celery worker (production)", built=True, **arguments)
    remove_bench_goals()


if __name__ == "__main__":
    main()
