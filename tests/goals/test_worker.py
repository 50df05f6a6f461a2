"""A real Celery worker on Redis: an imported ARR change reaches the goal within 5 seconds."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from celery import current_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from goals.comparison import shift_months
from goals.models import Goal
from goals.services import goal_create, period_create
from metrics.importing import import_records
from tests.metrics.builders import customer

from .engine_support import D, fast_password_hashing  # noqa: F401

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    # An in-memory SQLite test database cannot be shared with another process.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs PostgreSQL"),
]

# A Redis database of the goals tests' own; a per-run queue name keeps runs apart on it too.
REDIS_URL = os.environ.get("GOALS_WORKER_REDIS_URL", "redis://127.0.0.1:6379/11")
READY_TIMEOUT = 60
DEADLINE = 5.0


def database_url() -> str:
    """The test database, for the worker process (it must see what this test commits)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres") + (
        f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    )
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


def forget_connections() -> None:
    """Drop the app's cached connection and producer pools: the next use builds them for the
    broker configured now (eager tasks also take a producer from the pool)."""
    current_app._pool = None
    current_app.amqp._producer_pool = None


@pytest.fixture
def worker(tmp_path: Path):
    """A `celery worker` subprocess on the test database, consuming a queue of its own."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not answering at {REDIS_URL}: the worker test needs it.")
    queue = f"goals-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "goals_project.settings",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "goals_project",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                f"--hostname={queue}@localhost",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    conf = current_app.conf
    saved = (conf.task_always_eager, conf.broker_url, conf.task_default_queue)
    try:
        started = time.monotonic()
        while "ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() - started > READY_TIMEOUT:
                pytest.fail(f"The worker did not start:\n{log.read_text()}")
            time.sleep(0.1)
        conf.task_always_eager, conf.broker_url, conf.task_default_queue = (
            False,
            REDIS_URL,
            queue,
        )
        forget_connections()
        yield process
    finally:
        conf.task_always_eager, conf.broker_url, conf.task_default_queue = saved
        kombu.pools.reset()
        forget_connections()
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_imported_arr_change_reaches_the_goal_within_five_seconds(lead, member, worker):
    today = timezone.localdate()
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = shift_months(start, 3) - timedelta(days=1)
    client = customer(member, {start: 1000})
    # Goals are created before the worker takes over the tasks (their first calculation is
    # eager, in this process), so the only task the worker gets is the data change.
    current_app.conf.task_always_eager = True
    period = period_create(name="This quarter", period_type="quarterly", start=start, end=end)
    goal = goal_create(
        period=period,
        name="NRR",
        goal_type="metric",
        metric_key="nrr",
        owner=member,
        baseline="100",
        target="110",
        created_by=lead,
    )
    current_app.conf.task_always_eager = False
    assert Goal.objects.get(pk=goal.pk).current_value == D(100)

    import_records(
        "arr",
        [
            (
                2,
                {
                    "customer_external_id": client.external_id,
                    "effective_date": today.isoformat(),
                    "arr": "1100",
                },
            )
        ],
    )
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        goal.refresh_from_db()
        if goal.current_value == D(110):
            break
        time.sleep(0.1)
    assert (goal.current_value, goal.progress, goal.status) == (D(110), D(100), "achieved")
