"""A real `celery worker` subprocess on a queue of its own, and this process sending its tasks
there: the suite's worker tests (the `worker` fixture in tests/conftest.py) and the benchmarks and
drills in bench/ that need a worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent

# The Redis database the suite's workers use as their broker (a per-run queue name keeps runs
# apart on it too).
WORKER_REDIS_URL = os.environ.get("GOALS_WORKER_REDIS_URL", "redis://127.0.0.1:6379/11")


class WorkerDidNotStart(RuntimeError):
    pass


def start_worker(
    *, queue: str, log: Path, broker_url: str, env: dict[str, str] | None = None, timeout=60.0
) -> subprocess.Popen:
    """Start `celery -A goals_project worker` consuming `queue` and wait until it is ready.

    Its output goes to `log`; it runs in a session of its own so that stop_worker() ends it
    with any child it started.
    """
    environment = {**os.environ, "CELERY_BROKER_URL": broker_url, **(env or {})}
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
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = time.monotonic()
    while "ready." not in log.read_text():
        if process.poll() is not None or time.monotonic() - started > timeout:
            stop_worker(process)
            raise WorkerDidNotStart(f"The worker did not start:\n{log.read_text()}")
        time.sleep(0.1)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    """Stop the worker (warm shutdown, then kill after 10 s) and wait for it."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def forget_queue(broker_url: str, queue: str) -> None:
    """Delete a finished run's queue and its kombu bindings from the (Redis) broker database,
    and the default queue there: the tasks the worker itself enqueued (recognition's, after a
    goal's status changed) went to it, and nothing consumes it on this database."""
    import redis

    client = redis.Redis.from_url(broker_url)
    default = "celery"
    client.delete(
        queue,
        default,
        *client.keys(f"_kombu.binding*.{queue}"),
        *client.keys(f"_kombu.binding*.{default}"),
    )
    client.close()


def _forget_connections(app) -> None:
    # The app caches its connection and producer pools (eager tasks take a producer too): drop
    # them so that the next use builds them for the broker configured now.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def tasks_sent_to(queue: str, broker_url: str) -> Iterator[None]:
    """Within the block, this process sends its Celery tasks to `queue` on `broker_url` instead
    of running them eagerly; the previous configuration is restored afterwards."""
    import kombu.pools
    from celery import current_app

    conf = current_app.conf
    saved = (conf.task_always_eager, conf.broker_url, conf.task_default_queue)
    conf.task_always_eager, conf.broker_url, conf.task_default_queue = False, broker_url, queue
    _forget_connections(current_app)
    try:
        yield
    finally:
        conf.task_always_eager, conf.broker_url, conf.task_default_queue = saved
        kombu.pools.reset()
        _forget_connections(current_app)


def database_url(settings_dict: dict) -> str:
    """A database URL for another process, from a connection's settings (the test database the
    worker must share with the test that commits to it)."""
    credentials = quote(settings_dict["USER"] or "postgres") + (
        f":{quote(settings_dict['PASSWORD'])}" if settings_dict.get("PASSWORD") else ""
    )
    host = f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{settings_dict['NAME']}"
