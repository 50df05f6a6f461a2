"""Drill: Redis down under a running web server and worker.

gunicorn and a Celery worker run on the drills database with the drill's own Redis as broker.
Redis is killed: /healthz must say so (503), the team dashboard must still answer 200, and an
import of 10,000 ARR rows through the API must succeed and reach the goals (recalculated
in-process, with a warning in the log). Redis comes back: /healthz is 200 again and the next
import is recalculated by the worker. Uses the bench org that worker_kill built (or builds it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from bench.drills import common

BIND = os.environ.get("DRILLS_BIND", "127.0.0.1:8012")
HOST = f"http://{BIND}"


def get(path: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(HOST + path)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def post_json(path: str, token: str, body: list) -> tuple[int, dict, float]:
    request = urllib.request.Request(
        HOST + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read()), time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, {"error": error.read()[:300]}, time.perf_counter() - started


def wait_for(predicate, timeout: float) -> float | None:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter() - started
        time.sleep(0.2)
    return None


def main() -> bool:
    from tests.celery_worker import start_worker, stop_worker

    with common.own_redis() as (stop_redis, start_redis):
        common.setup(broker=True)
        from django.utils import timezone

        from goals.models import Goal
        from goals_project.people.models import User
        from goals_project.people.tokens import api_token_create
        from metrics.models import Customer

        if not Goal.objects.filter(team__name__startswith="Bench ").exists():
            common.build_bench_org()
        staff, _ = User.objects.get_or_create(
            email="drill-admin@bench.example", defaults={"name": "Drill", "is_staff": True}
        )
        lead = User.objects.get(email="csm001@bench.example")
        _, token = api_token_create(user=staff, name="drill", scopes=["read", "import"])
        _, lead_token = api_token_create(user=lead, name="drill", scopes=["read"])
        team_id = lead.membership.team_id
        watch = Goal.objects.filter(team_id=team_id, owner=None, metric_key="nrr").first()
        external_ids = list(Customer.objects.order_by("pk").values_list("external_id", flat=True))
        today = timezone.localdate().isoformat()

        def rows(arr: str) -> list[dict]:
            return [
                {"customer_external_id": e, "effective_date": today, "arr": arr}
                for e in external_ids
            ]

        env = {
            **os.environ,
            "CELERY_BROKER_URL": common.REDIS_URL,
            "SECURE_HTTPS": "0",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
        }
        web_log = (common.OUT / "redis-down-web.log").open("w")
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "goals_project.wsgi:application",
                "--bind",
                BIND,
                "--workers",
                "2",
                "--timeout",
                "120",
            ],
            cwd=common.ROOT,
            env=env,
            stdout=web_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = start_worker(
            queue="celery",
            log=common.OUT / "redis-down-worker.log",
            broker_url=common.REDIS_URL,
            env={"DATABASE_URL": os.environ["DATABASE_URL"]},
        )
        try:
            wait_for(lambda: get("/healthz")[0] == 200, 60)
            healthy_before = get("/healthz")[0]
            stop_redis()
            health_down, health_body = get("/healthz")
            dashboard = get(f"/api/goals/dashboard/team?team={team_id}", lead_token)[0]
            goal_api = get(f"/api/goals/{watch.pk}/", lead_token)[0]
            before = Goal.objects.get(pk=watch.pk).current_value
            status_down, summary_down, seconds_down = post_json(
                "/api/data/arr/", token, rows("77777.00")
            )
            after_down = Goal.objects.get(pk=watch.pk).current_value
            warned = "broker unreachable" in (common.OUT / "redis-down-web.log").read_text()
            start_redis()
            healthy_again = wait_for(lambda: get("/healthz")[0] == 200, 30)
            status_up, _, seconds_up = post_json("/api/data/arr/", token, rows("88888.00"))
            shown_up = wait_for(
                lambda: Goal.objects.get(pk=watch.pk).current_value != after_down, 60
            )
        finally:
            stop_worker(worker)
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
            web_log.close()
        ok = (
            healthy_before == 200
            and health_down == 503
            and dashboard == 200
            and goal_api == 200
            and status_down == 200
            and after_down != before
            and warned
            and healthy_again is not None
            and status_up == 200
            and shown_up is not None
        )
        return common.verdict(
            "Redis down",
            ok,
            f"healthz {healthy_before} -> {health_down} {json.loads(health_body).get('broker')!r}"
            f" -> 200 again {healthy_again or 0:.1f} s after restart; dashboard API {dashboard}, "
            f"goal API {goal_api} while down; 10,000-row import while down: {status_down} in "
            f"{seconds_down:.1f} s ({summary_down}), goal {before} -> {after_down} in-process "
            f"(warning logged: {warned}); after restart: import {status_up} in {seconds_up:.1f} s,"
            f" shown by the worker {shown_up or 0:.1f} s later",
        )


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
