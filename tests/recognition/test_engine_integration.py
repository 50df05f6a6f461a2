"""The real engine: a data change that makes a goal achieved records the win once, even when the
recalculation runs again or from several threads at the same moment (PostgreSQL)."""

import threading
from datetime import date

import pytest
import time_machine
from django.db import connection, connections

from goals import recalc
from metrics.models import ArrRecord, Customer
from notifications.models import Notification
from recognition.models import Achievement, BadgeAward
from tests.builders import book, new_quarter, nrr_goal

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(function, times: int) -> None:
    barrier = threading.Barrier(times)
    errors = []

    def worker():
        try:
            barrier.wait()
            function()
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
def test_an_arr_change_makes_the_goal_achieved_once(lead, member, team):
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        period = new_quarter()
        book(member, (1000, 1000))
        goal = nrr_goal(period, by=lead, owner=member, baseline="100", target="110")
        assert not Achievement.objects.exists()

        ArrRecord.objects.create(
            customer=Customer.objects.get(csm=member), effective_date=date(2026, 2, 10), arr=1150
        )
        run_together(lambda: recalc.recalculate_goals([goal.pk]), times=3)
        recalc.recalculate_goals([goal.pk])

    goal.refresh_from_db()
    assert goal.status == "achieved"
    achievement = Achievement.objects.get(goal=goal)
    assert achievement.kind == "achieved"
    assert list(achievement.credited.all()) == [member]
    assert list(
        Notification.objects.filter(user=member, kind="achievement").values_list("title", flat=True)
    ) == ["You reached the target of “Grow NRR”"]
    assert list(BadgeAward.objects.filter(user=member).values_list("badge", flat=True)) == [
        "first_goal"
    ]
