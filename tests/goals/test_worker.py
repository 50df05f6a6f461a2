"""A real Celery worker on Redis: an imported ARR change reaches the goal within 5 seconds."""

import os
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from django.utils import timezone

from bench.celery_worker import (
    WorkerDidNotStart,
    forget_queue,
    start_worker,
    stop_worker,
    tasks_sent_to,
)
from goals.models import Goal
from metrics.importing import import_records

from .engine_support import D, fast_password_hashing, this_quarter_nrr_goal  # noqa: F401

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


@pytest.fixture
def worker(tmp_path: Path):
    """A `celery worker` subprocess on the test database, consuming a queue of its own; this
    process sends its tasks there while the fixture lasts. The worker is always stopped."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not answering at {REDIS_URL}: the worker test needs it.")
    queue = f"goals-test-{uuid.uuid4().hex[:8]}"
    try:
        process = start_worker(
            queue=queue,
            log=tmp_path / "worker.log",
            broker_url=REDIS_URL,
            env={
                "DATABASE_URL": database_url(),
                "DJANGO_SETTINGS_MODULE": "goals_project.settings",
            },
            timeout=READY_TIMEOUT,
        )
    except WorkerDidNotStart as error:
        pytest.fail(str(error))
    try:
        with tasks_sent_to(queue, REDIS_URL):
            yield process
    finally:
        stop_worker(process)
        forget_queue(REDIS_URL, queue)


@pytest.fixture
def goal_and_client(lead, member):
    """A member's NRR goal this quarter on one customer, calculated in this process (eagerly)
    before the worker takes over: the only task the worker gets is the data change."""
    return this_quarter_nrr_goal(lead, member)


def test_imported_arr_change_reaches_the_goal_within_five_seconds(goal_and_client, worker):
    goal, client = goal_and_client
    today = timezone.localdate()
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
