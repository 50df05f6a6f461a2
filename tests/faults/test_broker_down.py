"""Redis down: an import still succeeds and its goals are recalculated in-process (with a
warning) instead of waiting on a queue nobody can reach; nothing is lost."""

import logging
import socket

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from checkins.models import CheckIn, SupportRequest
from goals.models import Goal, PendingRecalculation
from metrics.importing import import_records
from metrics.models import ArrRecord
from tests.builders import D, this_quarter_nrr_goal
from tests.celery_worker import tasks_sent_to

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


def test_a_check_in_page_with_redis_down_still_saves(goal_and_customer, client, member, lead):
    """With the broker down, a member checks in (with a request for help, which tells the lead)
    through the check-in page: the check-in is saved, the page says so, the lead is emailed, and
    the goal page and a refresh still work."""
    goal, _ = goal_and_customer
    client.force_login(member)
    prefix = f"goal-{goal.pk}-"
    with tasks_sent_to("drill", f"redis://127.0.0.1:{closed_port()}/0"):
        page = client.get("/check-in/")
        saved = client.post(
            f"/check-in/goals/{goal.pk}/",
            {
                f"{prefix}note": "Renewal call booked",
                f"{prefix}confidence": "4",
                f"{prefix}blockers": "Waiting on legal",
                f"{prefix}support_message": "Can you join the renewal call?",
            },
            HTTP_HX_REQUEST="true",
        )
        detail = client.get(f"/goals/{goal.pk}/")
        refresh = client.post(f"/api/goals/{goal.pk}/refresh/", {}, content_type="application/json")
    assert page.status_code == 200
    assert "NRR" in page.text
    assert saved.status_code == 200
    assert "Saved. Thank you for checking in." in saved.text
    checkin = CheckIn.objects.get(goal=goal)
    assert (checkin.user, checkin.confidence, checkin.note, checkin.blockers) == (
        member,
        4,
        "Renewal call booked",
        "Waiting on legal",
    )
    request = SupportRequest.objects.get(checkin=checkin)
    assert (request.message, request.status) == ("Can you join the renewal call?", "open")
    assert [message.to for message in mail.outbox] == [[lead.email]]
    assert detail.status_code == 200
    assert "Renewal call booked" in detail.text
    assert refresh.status_code == 200
    assert refresh.json()["current_value"] == "100.0000"
    assert Goal.objects.get(pk=goal.pk).current_value == D(100)
