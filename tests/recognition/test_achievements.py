"""Achievements are recorded exactly once per (goal, kind) and per milestone, whoever sends."""

import datetime as dt
import threading

import pytest
from django.db import connection

from goals.models import Goal, Milestone, ProgressHistory
from goals.signals import goal_status_changed, goals_recalculated, milestone_completed
from notifications.models import Notification
from recognition.models import Achievement
from tests.builders import reach, recalculated


def kinds(goal):
    return sorted(Achievement.objects.filter(goal=goal).values_list("kind", flat=True))


@pytest.mark.sqlite_parity
def test_reaching_the_target_twice_records_one_achievement_and_one_notification(
    member_goal, member
):
    reach(member_goal, Goal.Status.ACHIEVED)
    reach(member_goal, Goal.Status.ACHIEVED)

    assert kinds(member_goal) == ["achieved"]
    achievement = Achievement.objects.get(goal=member_goal)
    assert list(achievement.credited.all()) == [member]
    assert achievement.value == member_goal.current_value
    titles = list(Notification.objects.filter(user=member).values_list("title", flat=True))
    assert titles == ["You reached the target of “QBR completion”"]


def test_a_dip_and_a_recovery_do_not_record_the_win_again(member_goal, member):
    reach(member_goal, Goal.Status.ACHIEVED)
    reach(member_goal, Goal.Status.ON_TRACK, value="79", old_status="achieved")
    reach(member_goal, Goal.Status.ACHIEVED, value="81")

    assert kinds(member_goal) == ["achieved"]
    assert Notification.objects.filter(user=member).count() == 1


@pytest.mark.sqlite_parity
def test_reaching_the_stretch_records_achieved_and_exceeded_with_one_notification(
    member_goal, member
):
    reach(member_goal, Goal.Status.EXCEEDED, value="92")
    reach(member_goal, Goal.Status.EXCEEDED, value="93")

    assert kinds(member_goal) == ["achieved", "exceeded"]
    assert list(Notification.objects.filter(user=member).values_list("title", flat=True)) == [
        "You reached the stretch target of “QBR completion”"
    ]


def test_stretch_after_target_adds_only_the_exceeded_achievement(member_goal, member):
    reach(member_goal, Goal.Status.ACHIEVED)
    reach(member_goal, Goal.Status.EXCEEDED, value="91", old_status="achieved")

    assert kinds(member_goal) == ["achieved", "exceeded"]
    # One notification a day per goal: the day's one now says the stretch was reached too.
    assert list(Notification.objects.filter(user=member).values_list("title", flat=True)) == [
        "You reached the stretch target of “QBR completion”"
    ]


def test_a_team_goal_credits_and_notifies_every_member(team_goal, lead, member, teammate):
    reach(team_goal, Goal.Status.ACHIEVED, value="106")

    achievement = Achievement.objects.get(goal=team_goal)
    assert set(achievement.credited.all()) == {lead, member, teammate}
    for person in (lead, member, teammate):
        assert Notification.objects.get(user=person).title == (
            "Enterprise reached the target of “Team NRR”"
        )


def test_other_statuses_record_nothing(member_goal):
    reach(member_goal, Goal.Status.AT_RISK)
    reach(member_goal, Goal.Status.BEHIND)

    assert kinds(member_goal) == []


@pytest.mark.sqlite_parity
def test_a_milestone_is_recorded_once(member_goal, member):
    milestone = Milestone.objects.create(goal=member_goal, name="Kick-off deck")
    milestone_completed.send(sender=Milestone, milestone=milestone, by=member)
    milestone_completed.send(sender=Milestone, milestone=milestone, by=member)

    achievement = Achievement.objects.get(goal=member_goal)
    assert (achievement.kind, achievement.milestone) == ("milestone", milestone)
    assert Notification.objects.get(user=member).title == (
        "You completed the milestone “Kick-off deck” of “QBR completion”"
    )


def test_recalculated_signal_repairs_a_missed_status_signal(member_goal, member):
    recalculated(member_goal, Goal.Status.ACHIEVED)  # its status signal was lost

    goals_recalculated.send(sender=Goal, goal_ids=[member_goal.pk])
    goals_recalculated.send(sender=Goal, goal_ids=[member_goal.pk])

    assert kinds(member_goal) == ["achieved"]
    assert Notification.objects.filter(user=member, kind="achievement").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
def test_concurrent_recalculations_record_the_win_once(member_goal, member):
    recalculated(member_goal, Goal.Status.ACHIEVED)
    start = threading.Barrier(4)
    errors = []

    def recalculation_announces():
        try:
            start.wait()
            goal = Goal.objects.get(pk=member_goal.pk)
            goal_status_changed.send(
                sender=Goal, goal=goal, old_status="on_track", new_status="achieved"
            )
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=recalculation_announces) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert kinds(member_goal) == ["achieved"]
    assert Achievement.objects.get(goal=member_goal).credits.count() == 1
    assert Notification.objects.filter(user=member).count() == 1


def test_a_late_recorded_win_keeps_the_day_it_was_reached(member_goal):
    reached = dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)
    for version, (status, moment) in enumerate(
        [("on_track", reached - dt.timedelta(days=1)), ("achieved", reached)], start=1
    ):
        ProgressHistory.objects.create(
            goal=member_goal,
            as_of=moment.date(),
            status=status,
            recorded_at=moment,
            calc_version=version,
        )
    member_goal.status = Goal.Status.ACHIEVED
    member_goal.save(update_fields=["status"])

    goals_recalculated.send(sender=Goal, goal_ids=[member_goal.pk])

    assert Achievement.objects.get(goal=member_goal).achieved_at == reached
