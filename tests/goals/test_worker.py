"""A real Celery worker on Redis: an imported ARR change reaches the goal within 5 seconds."""

import time

import pytest
from django.db import connection
from django.utils import timezone

from goals.models import Goal
from metrics.importing import import_records
from tests.builders import D, this_quarter_nrr_goal

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    # An in-memory SQLite test database cannot be shared with another process.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs PostgreSQL"),
]

DEADLINE = 5.0


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
