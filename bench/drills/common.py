"""Shared pieces of the fault drills: a Redis of the drill's own, the bench org, verdicts."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get(
    "DRILLS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/goalpost_drills"
)
# Never the machine's Redis (6379): the drills stop and start this one.
REDIS_PORT = int(os.environ.get("DRILLS_REDIS_PORT", "6390"))
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"
OUT = Path(os.environ.get("DRILLS_OUT", "/tmp/goalpost-drills"))
OUT.mkdir(parents=True, exist_ok=True)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("EMAIL_URL", "dummymail://")
# The drills' processes run with DEBUG off, which needs a key (they inherit this one).
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")


def verdict(name: str, ok: bool, figures: str) -> bool:
    print(f"{'PASS' if ok else 'FAIL'} {name}: {figures}", flush=True)
    return ok


@contextmanager
def own_redis():
    """A redis-server on REDIS_PORT for this drill only; yields a (stop, start) pair."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    state: dict = {}

    def start() -> None:
        state["process"] = subprocess.Popen(
            [
                binary,
                "--port",
                str(REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=(OUT / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=REDIS_PORT, socket_connect_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise SystemExit(f"redis-server did not start on {REDIS_PORT}")

    def stop() -> None:
        process = state.pop("process", None)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    start()
    try:
        yield stop, start
    finally:
        stop()


def setup(broker: bool = True):
    """Django on the drills database, tasks sent to the drill's Redis (or eager)."""
    if broker:
        os.environ["CELERY_BROKER_URL"] = REDIS_URL
    else:
        os.environ.pop("CELERY_BROKER_URL", None)
    from bench.orgdata import setup_django

    setup_django()


def build_bench_org():
    """The 10,000-customer org and its 500 goals, recalculated once, in-process."""
    from celery import current_app
    from django.utils import timezone

    from bench.bench_recalc import build_goals, remove_bench_goals
    from bench.orgdata import build_org
    from goals import recalc

    remove_bench_goals()
    org = build_org()
    org.now = timezone.now()
    _, goals, _ = build_goals(org)
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        recalc.recalculate_goals([goal.pk for goal in goals])
    finally:
        current_app.conf.task_always_eager = eager
    return org, [goal.pk for goal in goals]


def history_problems(goal_ids: list[int]) -> tuple[int, int]:
    """(goals whose latest history row is not their current value or not today,
    consecutive history rows that repeat the same day and numbers: doubled writes)."""
    from django.utils import timezone

    from goals.models import Goal, ProgressHistory

    today = timezone.localdate()
    latest: dict[int, tuple] = {}
    doubled = 0
    previous: dict[int, tuple] = {}
    rows = (
        ProgressHistory.objects.filter(goal_id__in=goal_ids)
        .order_by("goal_id", "calc_version")
        .values_list("goal_id", "as_of", "value", "progress", "status")
    )
    for goal_id, as_of, value, progress, status in rows.iterator(chunk_size=20_000):
        key = (as_of, value, progress, status)
        if previous.get(goal_id) == key:
            doubled += 1
        previous[goal_id] = key
        latest[goal_id] = (as_of, value)
    missing = sum(
        1
        for goal_id, value in Goal.objects.filter(pk__in=goal_ids).values_list(
            "pk", "current_value"
        )
        if latest.get(goal_id) != (today, value)
    )
    return missing, doubled


def psycopg_params() -> dict:
    """Connection parameters of the drills database, for sessions of the drill's own."""
    from django.db import connection

    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"] or "postgres",
        "dbname": settings["NAME"],
    }
