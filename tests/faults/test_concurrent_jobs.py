"""Jobs and imports that run twice at once, and an import whose database connection is cut:
the result is always that of one clean run."""

import datetime as dt
import threading
import time

import psycopg
import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, connection

from checkins.digest import send_weekly_updates
from metrics.importing import import_records
from metrics.models import ArrRecord
from tests.builders import GoalFactory, GoalPeriodFactory, customer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrency"),
]

MONDAY = dt.date(2026, 11, 30)


def run_at_once(*jobs):
    """Start the jobs together (a barrier) on threads of their own; their results or errors."""
    start = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(index, job):
        try:
            start.wait()
            outcomes[index] = job()
        except Exception as error:  # returned: the test asserts what happened
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), tick=False)
def test_the_weekly_digest_run_twice_at_once_sends_one_email_per_user(lead, member, teammate):
    period = GoalPeriodFactory(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31))
    for user in (member, teammate):
        GoalFactory(period=period, team=user.membership.team, owner=user)
    outcomes = run_at_once(*[lambda: send_weekly_updates(week_start=MONDAY)] * 2)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([lead.email, member.email, teammate.email])
    assert sorted(len(report.sent) for report in outcomes) in ([0, 3], [1, 2])
    assert sum(len(report.sent) for report in outcomes) == 3


def arr_rows(customers, day="2026-02-01"):
    return [
        (n, {"customer_external_id": c.external_id, "effective_date": day, "arr": f"{n}.00"})
        for n, c in enumerate(customers, start=2)
    ]


@pytest.fixture
def book(member):
    return [customer(member, {dt.date(2026, 1, 1): 1000}) for _ in range(300)]


def test_the_same_import_sent_twice_at_once_equals_one_import(book):
    rows = arr_rows(book)
    outcomes = run_at_once(lambda: import_records("arr", rows), lambda: import_records("arr", rows))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    # Each run reports what it saw when it read (both may say "300 created"); the data is
    # that of one import: one row per (customer, date), with the file's values.
    assert [o.created + o.updated + o.unchanged for o in outcomes] == [300, 300]
    feb = ArrRecord.objects.filter(effective_date=dt.date(2026, 2, 1))
    assert feb.count() == 300
    assert sorted(feb.values_list("arr", flat=True)) == sorted(
        int(row["arr"].split(".")[0]) for _, row in rows
    )
    assert ArrRecord.objects.count() == 600


def test_an_import_whose_connection_is_cut_writes_nothing_and_the_retry_succeeds(book):
    """Another session holds a lock the import needs, so the import is caught mid-transaction
    (its rows half-sent); that backend is then terminated, as a failover or a DBA would."""
    rows = arr_rows(book)
    settings = connection.settings_dict
    admin = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        dbname=settings["NAME"],
        autocommit=True,
    )
    blocker = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        dbname=settings["NAME"],
    )
    try:
        blocker.execute(f"LOCK TABLE {ArrRecord._meta.db_table} IN EXCLUSIVE MODE")
        outcome: list = []
        worker = threading.Thread(target=lambda: outcome.append(_import_or_error(rows)))
        worker.start()
        waiting = None
        deadline = time.monotonic() + 30
        while waiting is None and time.monotonic() < deadline:
            waiting = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchone()
            time.sleep(0.05)
        assert waiting is not None, "the import never reached the locked table"
        admin.execute("SELECT pg_terminate_backend(%s)", waiting)
        worker.join(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
        admin.close()
    assert isinstance(outcome[0], OperationalError)
    assert ArrRecord.objects.count() == 300  # only the January rows of the book
    retry = import_records("arr", rows)
    assert retry.created == 300
    assert ArrRecord.objects.count() == 600


def _import_or_error(rows):
    try:
        return import_records("arr", rows)
    except Exception as error:
        return error
    finally:
        connection.close()
