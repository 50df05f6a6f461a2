"""Redis down: an import still succeeds and its goals are recalculated in-process (with a
warning) instead of waiting on a queue nobody can reach; nothing is lost."""

import logging
import socket

import pytest
from django.db import connection
from django.utils import timezone

from bench.celery_worker import tasks_sent_to
from goals.models import Goal, PendingRecalculation
from metrics.importing import import_records
from metrics.models import ArrRecord
from tests.goals.engine_support import (  # noqa: F401
    D,
    fast_password_hashing,
    this_quarter_nrr_goal,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="drills run on PostgreSQL"),
]


def closed_port() -> int:
    """A loopback port with nothing listening: a broker that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def goal_and_customer(lead, member):
    return this_quarter_nrr_goal(lead, member)


def test_an_import_with_redis_down_succeeds_and_recalculates_inline(goal_and_customer, caplog):
    goal, acme = goal_and_customer
    today = timezone.localdate().isoformat()
    row = {"customer_external_id": acme.external_id, "effective_date": today, "arr": "1100"}
    with (
        tasks_sent_to("drill", f"redis://127.0.0.1:{closed_port()}/0"),
        caplog.at_level(logging.WARNING, logger="goalpost.tasks"),
    ):
        result = import_records("arr", [(2, row)])
    assert result.created == 1
    assert ArrRecord.objects.filter(customer=acme, arr=D(1100)).exists()
    goal.refresh_from_db()
    assert (goal.current_value, goal.status) == (D(110), "achieved")
    assert not PendingRecalculation.objects.exists()
    assert any("broker unreachable" in record.getMessage() for record in caplog.records)


def test_a_check_in_page_with_redis_down_still_saves(goal_and_customer, client, member):
    goal, _ = goal_and_customer
    client.force_login(member)
    with tasks_sent_to("drill", f"redis://127.0.0.1:{closed_port()}/0"):
        response = client.get(f"/goals/{goal.pk}/")
        refresh = client.post(f"/api/goals/{goal.pk}/refresh/", {}, content_type="application/json")
    assert response.status_code == 200
    assert refresh.status_code == 200
    assert Goal.objects.get(pk=goal.pk).current_value == D(100)
