"""Persona fixtures used by name across the suite, the password hasher, and a real Celery worker."""

import datetime as dt
import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.db import connection, transaction
from django.test import override_settings

from goals_project.people.models import Membership
from tests.builders import GoalPeriodFactory, MembershipFactory, TeamFactory, UserFactory
from tests.celery_worker import (
    WORKER_REDIS_URL,
    WorkerDidNotStart,
    database_url,
    forget_queue,
    start_worker,
    stop_worker,
    tasks_sent_to,
)

# Processes the suite starts (a Celery worker, manage.py) run with DEBUG off, which refuses to
# start without a key; the test process itself is allowed the local one.
os.environ.setdefault("SECRET_KEY", "test-suite-only-" + "k" * 50)


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """The one place the suite's password hasher is chosen: users are made and log in by the
    hundred (and the demo is built once per session), and the production hasher's deliberate
    slowness would dominate. The browser journeys log in through the real form with it."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: kept values are keyed by ids a test database may
    give again (SQLite reuses them after a rollback)."""
    from django.core.cache import cache

    cache.clear()
    yield


@contextmanager
def rolled_back(django_db_blocker):
    """For a module- or session-scoped fixture: what it builds inside is there for every test
    that uses it (each test's own writes roll back to a savepoint, as usual) and rolled back
    when the fixture ends, so other tests find the database as they expect it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def team(db):
    return TeamFactory(name="Enterprise")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="SMB")


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@example.com", name="Admin", is_staff=True, is_superuser=True)


@pytest.fixture
def lead(team):
    return MembershipFactory(
        team=team, role=Membership.Role.LEAD, user__email="lead@example.com", user__name="Lena Lead"
    ).user


@pytest.fixture
def member(team):
    return MembershipFactory(
        team=team, user__email="member@example.com", user__name="Mo Member"
    ).user


@pytest.fixture
def teammate(team):
    return MembershipFactory(team=team, user__email="mate@example.com", user__name="Tia Mate").user


@pytest.fixture
def other_member(other_team):
    return MembershipFactory(
        team=other_team, user__email="other@example.com", user__name="Otto Other"
    ).user


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.com", name="Out Sider")


@pytest.fixture
def quarter(db):
    """The active Q4 2026 period the check-in and recognition tests plan their goals in."""
    return GoalPeriodFactory(
        name="Q4 2026", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31), status="active"
    )


@pytest.fixture
def worker(tmp_path: Path):
    """A `celery worker` subprocess on the test database (tests using it commit: mark them
    django_db(transaction=True) and worker), consuming a queue of its own; this process sends
    its tasks there while the fixture lasts. The worker is always stopped."""
    try:
        redis.Redis.from_url(WORKER_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not answering at {WORKER_REDIS_URL}: the worker test needs it.")
    queue = f"goals-test-{uuid.uuid4().hex[:8]}"
    try:
        process = start_worker(
            queue=queue,
            log=tmp_path / "worker.log",
            broker_url=WORKER_REDIS_URL,
            env={
                "DATABASE_URL": database_url(connection.settings_dict),
                "DJANGO_SETTINGS_MODULE": "goals_project.settings",
            },
            timeout=60,
        )
    except WorkerDidNotStart as error:
        pytest.fail(str(error))
    try:
        with tasks_sent_to(queue, WORKER_REDIS_URL):
            yield process
    finally:
        stop_worker(process)
        forget_queue(WORKER_REDIS_URL, queue)
