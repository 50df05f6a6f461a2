"""Recalculation twice at once on PostgreSQL: no duplicate history rows, no lost update."""

import threading
from datetime import date

import pytest
import time_machine
from django.db import connection, connections

from goals import recalc
from goals.models import Goal, ProgressHistory
from metrics.models import ArrRecord, Customer
from tests.builders import D, book, new_quarter, nrr_goal

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(callables):
    """Run the callables in threads released at the same moment, each on its own connection."""
    barrier = threading.Barrier(len(callables))
    results, errors = [], []

    def worker(function):
        try:
            barrier.wait()
            results.append(function())
        except Exception as error:  # reported below: a thread must not swallow a failure
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(function,)) for function in callables]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_recalculations_write_each_change_once(lead, member, teammate, team):
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        period = new_quarter()
        book(member, (1000, 1000))
        book(teammate, (500, 500))
        goals = [
            nrr_goal(period, by=lead, team=team, baseline="100", target="120"),
            nrr_goal(period, by=lead, owner=member, baseline="100", target="120"),
            nrr_goal(period, by=lead, owner=teammate, baseline="100", target="120"),
        ]
        ids = [goal.pk for goal in goals]
        # Creating the goals backfilled and calculated them (eager tasks, real commits).
        before = dict(Goal.objects.filter(pk__in=ids).values_list("pk", "calc_version"))
        rows_before = ProgressHistory.objects.filter(goal_id__in=ids).count()
        ArrRecord.objects.create(
            customer=Customer.objects.get(csm=member), effective_date=date(2026, 2, 10), arr=1150
        )
        results = run_together([lambda: recalc.recalculate_goals(ids)] * 4)

        # The team goal and the member's goal changed (the teammate's book did not): each is
        # written by exactly one of the four runs.
        assert sum(len(result.changed_ids) for result in results) == 2
        assert ProgressHistory.objects.filter(goal_id__in=ids).count() == rows_before + 2
        after = {goal.pk: goal for goal in Goal.objects.filter(pk__in=ids)}
        assert [after[pk].calc_version - before[pk] for pk in ids] == [1, 1, 0]
        assert after[goals[1].pk].current_value == D(115)
        assert after[goals[0].pk].current_value == D(110)
        assert recalc.recalculate_goals(ids).changed_ids == []
