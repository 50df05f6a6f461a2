"""A large recalculation write on PostgreSQL goes in two halves on two connections: listeners
hear of the run once, after both halves are committed, and a run that fails or is interrupted
leaves nothing writing after it and announces what it committed."""

import threading
import time
from datetime import date

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection

from goals import recalc
from goals.models import ProgressHistory
from goals.signals import goals_recalculated
from metrics.models import ArrRecord, Customer
from tests.builders import team_nrr_with_members

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once"),
]

NEW_DAY = date(2026, 2, 15)


@pytest.fixture
def three_goals(lead, member, teammate, team, monkeypatch):
    """A team goal and its two members' goals, set up the day before; a change of the member's
    book on NEW_DAY; every write splits (SPLIT_ROWS=2)."""
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        goals = team_nrr_with_members(lead=lead, team=team, member=member, teammate=teammate)
    monkeypatch.setattr(recalc.store, "SPLIT_ROWS", 2)
    with time_machine.travel("2026-02-15 12:00Z", tick=False):
        ArrRecord.objects.create(
            customer=Customer.objects.get(csm=member), effective_date=NEW_DAY, arr=1150
        )
    return [goal.pk for goal in goals]


@pytest.fixture
def heard():
    """What goals_recalculated listeners hear: the goal ids of each signal, and which of the
    goals had their new day's point committed when it went out."""
    signals = []

    def listener(goal_ids, **kwargs):
        written = ProgressHistory.objects.filter(as_of=NEW_DAY).values_list("goal_id", flat=True)
        signals.append((sorted(goal_ids), sorted(written)))

    goals_recalculated.connect(listener)
    yield signals
    goals_recalculated.disconnect(listener)


def halves_by_thread(monkeypatch, *, here=None, there=None):
    """Run `here` before the half written on the run's own thread, `there` before the half on
    the other connection."""
    commit_part = recalc.store._commit_part

    def each_half(writes, **kwargs):
        other = threading.current_thread().name == "recalc-alongside"
        before = there if other else here
        if before:
            before()
        return commit_part(writes, **kwargs)

    monkeypatch.setattr(recalc.store, "_commit_part", each_half)


def still_running() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "recalc-alongside"]


def written_today(ids) -> list[int]:
    rows = ProgressHistory.objects.filter(goal_id__in=ids, as_of=NEW_DAY)
    return sorted(rows.values_list("goal_id", flat=True))


def test_a_split_write_is_announced_once_with_every_goal_after_both_halves_committed(
    three_goals, heard, monkeypatch
):
    # The other connection is slower this time: its half commits after this one's.
    halves_by_thread(monkeypatch, there=lambda: time.sleep(0.3))
    with time_machine.travel("2026-02-15 12:00Z", tick=False):
        result = recalc.recalculate_goals(three_goals)
    assert sorted(result.changed_ids) == sorted(three_goals)
    # One signal for the run, carrying every goal, sent when all of them were written.
    assert heard == [(sorted(three_goals), sorted(three_goals))]


def test_a_run_interrupted_while_it_waits_for_the_other_half_waits_and_announces_it(
    three_goals, heard, monkeypatch
):
    halves_by_thread(monkeypatch, there=lambda: time.sleep(0.3))
    wait_for_other_half = recalc.side.Alongside.__call__

    def time_limit_while_waiting(self):
        if self.on_side:  # a task's soft time limit lands while it waits for the other half
            raise SoftTimeLimitExceeded()
        return wait_for_other_half(self)

    monkeypatch.setattr(recalc.side.Alongside, "__call__", time_limit_while_waiting)
    with (
        time_machine.travel("2026-02-15 12:00Z", tick=False),
        pytest.raises(SoftTimeLimitExceeded),
    ):
        recalc.recalculate_goals(three_goals)
    monkeypatch.setattr(recalc.side.Alongside, "__call__", wait_for_other_half)
    assert still_running() == []  # nothing of the run writes after it ended
    assert written_today(three_goals) == sorted(three_goals)
    assert heard == [(sorted(three_goals), sorted(three_goals))]  # and all of it is announced
    with time_machine.travel("2026-02-15 12:05Z", tick=False):
        assert recalc.recalculate_goals(three_goals).changed_ids == []


def test_a_run_whose_own_half_fails_waits_for_the_other_and_announces_what_it_wrote(
    three_goals, heard, monkeypatch
):
    def interrupted():
        if not retried:  # the first time only
            raise SoftTimeLimitExceeded()

    retried = []

    halves_by_thread(monkeypatch, here=interrupted, there=lambda: time.sleep(0.3))
    with (
        time_machine.travel("2026-02-15 12:00Z", tick=False),
        pytest.raises(SoftTimeLimitExceeded),
    ):
        recalc.recalculate_goals(three_goals)
    assert still_running() == []
    other_half = written_today(three_goals)
    assert other_half and other_half != sorted(three_goals)
    assert heard == [(other_half, other_half)]  # the half that committed, announced
    # The retry writes (and announces) the rest.
    retried.append(True)
    with time_machine.travel("2026-02-15 12:05Z", tick=False):
        retry = recalc.recalculate_goals(three_goals)
    assert sorted(set(retry.changed_ids) | set(other_half)) == sorted(three_goals)
    assert written_today(three_goals) == sorted(three_goals)


def test_a_run_whose_engine_fails_leaves_no_read_of_its_series_running(three_goals, monkeypatch):
    monkeypatch.setattr(recalc.plan, "SIDE_READ_GOALS", 1)  # this small run reads alongside
    history_stats = recalc.plan._history_stats

    def slow_read(*args):
        time.sleep(0.3)
        return history_stats(*args)

    def engine_fails(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(recalc.plan, "_history_stats", slow_read)
    monkeypatch.setattr(recalc.plan, "_evaluate_window", engine_fails)
    with (
        time_machine.travel("2026-02-15 12:00Z", tick=False),
        pytest.raises(SoftTimeLimitExceeded),
    ):
        recalc.recalculate_goals(three_goals)
    assert still_running() == []
    assert written_today(three_goals) == []
