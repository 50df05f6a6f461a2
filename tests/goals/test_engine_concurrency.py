"""Recalculation on PostgreSQL with more than one connection: runs at once write no duplicate
history rows and lose no update; a run reads its stored series alongside the engine."""

import threading
from datetime import date

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from goals import recalc
from goals.models import ContributionSnapshot, Goal, ProgressHistory
from goals.recalc.plan import FORECAST_FIELDS, WRITTEN_FIELDS
from goals.signals import goals_recalculated
from metrics.models import ArrRecord, Customer
from tests.builders import Q1, D, book, customer, new_quarter, nrr_goal, team_nrr_with_members

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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second connection alongside")
def test_outside_a_transaction_the_stored_series_is_read_alongside_the_engine_to_the_same_forecast(
    lead, member, team, monkeypatch
):
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        period = new_quarter()
        customer(member, {Q1[0]: 1000, date(2026, 1, 10): 1050, date(2026, 1, 20): 1020})
        customer(member, {Q1[0]: 500, date(2026, 2, 1): 560, date(2026, 2, 10): 540})
        # Created with a backfilled daily history (eager tasks, real commits).
        goal = nrr_goal(period, by=lead, owner=member, baseline="100", target="105")
    before = Goal.objects.filter(pk=goal.pk).values(*WRITTEN_FIELDS).get()

    def forecast_of_the_next_day() -> tuple[tuple, bool]:
        next_day = time_machine.travel("2026-02-15 12:00Z", tick=False)
        with next_day, CaptureQueriesContext(connection) as queries:
            assert recalc.recalculate_goals([goal.pk]).changed_ids == [goal.pk]
        goal.refresh_from_db()
        forecast = tuple(getattr(goal, name) for name in FORECAST_FIELDS)
        read_here = any("LATERAL" in query["sql"] for query in queries.captured_queries)
        # As it was, for the next try.
        ProgressHistory.objects.filter(goal=goal, as_of=date(2026, 2, 15)).delete()
        Goal.objects.filter(pk=goal.pk).update(**before)
        return forecast, read_here

    small, read_here = forecast_of_the_next_day()
    assert read_here  # a run of a few goals reads it on its own connection, after the engine
    monkeypatch.setattr(recalc.plan, "SIDE_READ_GOALS", 1)  # as a large run does:
    alongside, read_here = forecast_of_the_next_day()
    assert not read_here  # read on a connection of its own while the engine worked
    with transaction.atomic():  # inside a transaction: read on the run's own connection
        inside, read_here = forecast_of_the_next_day()
    assert read_here
    assert alongside == inside == small and alongside[0] is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second connection alongside")
def test_a_large_write_outside_a_transaction_goes_in_two_halves_each_goal_whole(
    lead, member, teammate, team, monkeypatch
):
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        goals = team_nrr_with_members(lead=lead, team=team, member=member, teammate=teammate)
    ids = [goal.pk for goal in goals]
    monkeypatch.setattr(recalc.store, "SPLIT_ROWS", 2)  # this small write splits too
    halves = []
    commit_part = recalc.store._commit_part

    def each_half(writes, **kwargs):
        halves.append(sorted(write.goal.pk for write in writes))
        return commit_part(writes, **kwargs)

    monkeypatch.setattr(recalc.store, "_commit_part", each_half)
    announced = []

    def listener(goal_ids, **kwargs):
        announced.extend(goal_ids)

    goals_recalculated.connect(listener)
    try:
        with time_machine.travel("2026-02-15 12:00Z", tick=False):
            ArrRecord.objects.create(
                customer=Customer.objects.get(csm=member),
                effective_date=date(2026, 2, 15),
                arr=1150,
            )
            announced.clear()
            result = recalc.recalculate_goals(ids)
    finally:
        goals_recalculated.disconnect(listener)

    assert len(halves) == 2 and sorted(halves[0] + halves[1]) == sorted(ids)
    assert sorted(result.changed_ids) == sorted(ids) == sorted(announced)
    # Each goal got its new day's point once, with its version, and its state.
    today = ProgressHistory.objects.filter(goal_id__in=ids, as_of=date(2026, 2, 15))
    assert sorted(today.values_list("goal_id", flat=True)) == sorted(ids)
    after = {goal.pk: goal for goal in Goal.objects.filter(pk__in=ids)}
    assert {pk: goal.calc_version for pk, goal in after.items()} == {
        pk: row.calc_version for pk, row in ((row.goal_id, row) for row in today)
    }
    assert after[goals[1].pk].current_value == D(115)
    assert after[goals[0].pk].current_value == D(110)
    snapshots = ContributionSnapshot.objects.filter(goal=goals[0], as_of=date(2026, 2, 15))
    assert snapshots.count() == 3  # the lead, the member and the teammate
    with time_machine.travel("2026-02-15 13:00Z", tick=False):
        assert recalc.recalculate_goals(ids).changed_ids == []
