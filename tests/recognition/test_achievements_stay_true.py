"""Achievements stay true, driven by the real engine from customer-data imports (frozen time):
a goal must cross its target while it exists; a correction before the period closes withdraws
the win (feed, kudos, badges) with one notification, a second correction restores it with one
more; flapping tells people at most once a day; after the close, wins are final."""

import datetime as dt
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from goals import recalc
from goals.models import Goal
from goals.services import goal_create, period_create
from metrics.importing import import_records
from notifications.models import Notification
from recognition import services
from recognition.models import Achievement, BadgeAward, Celebration
from recognition.selectors import celebrations_for_team
from tests.builders import customer
from tests.builders import nrr_goal as engine_nrr_goal

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]
JANUARY = date(2026, 1, 1)


def on(day: str, hour: int = 10):
    return time_machine.travel(dt.datetime.fromisoformat(f"{day} {hour:02d}:00+00:00"), tick=False)


@pytest.fixture
def q1(db):
    with on("2026-01-01"):
        return period_create(
            name="Q1 2026", period_type="quarterly", start=JANUARY, end=date(2026, 3, 31)
        )


@pytest.fixture
def account(member):
    return customer(member, {JANUARY: 1000}, external_id="ACME")


def nrr_goal(period, owner, lead) -> Goal:
    """The member's goal to grow NRR from 100 to 110, calculated with its daily history."""
    goal = engine_nrr_goal(period, by=lead, owner=owner, name="Grow my NRR")
    recalc.backfill_history([goal.pk])
    goal.refresh_from_db()
    return goal


def arr_import(capture, arr: str, day: str = "2026-02-10") -> None:
    """An ARR import of ACME's row on `day` (a second import of that row corrects it); the
    engine recalculates the goals after commit, as it does for any import."""
    with capture(execute=True):
        import_records(
            "arr",
            [(2, {"customer_external_id": "ACME", "effective_date": day, "arr": arr})],
        )


def win_notifications(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user, kind="achievement")
        .order_by("created_at", "pk")
        .values_list("title", flat=True)
    )


def test_a_correction_withdraws_the_win_and_a_second_restores_it_one_notification_each(
    q1, account, lead, member, teammate, django_capture_on_commit_callbacks
):
    with on("2026-02-02"):
        goal = nrr_goal(q1, member, lead)
    assert goal.status == "behind"

    with on("2026-02-10"):
        arr_import(django_capture_on_commit_callbacks, "1150")  # NRR 115: past the 110 target
    win = Achievement.objects.get(goal=goal)
    assert (win.kind, win.withdrawn_at) == ("achieved", None)
    assert win_notifications(member) == ["You reached the target of “Grow my NRR”"]
    assert BadgeAward.objects.filter(user=member, badge="first_goal").exists()
    services.achievement_celebrate(achievement=win, by=teammate, message="Nice!")

    with on("2026-02-11"):
        arr_import(django_capture_on_commit_callbacks, "1050")  # the 10 Feb row was wrong
    goal.refresh_from_db()
    win.refresh_from_db()
    assert (goal.current_value, goal.status) == (105, "on_track")
    assert win.withdrawn_at is not None
    assert win_notifications(member)[1:] == [
        "The target of “Grow my NRR” is no longer reached after a data correction"
    ]
    told = Notification.objects.filter(user=member, kind="achievement").latest("created_at")
    assert "it is at 105" in told.body and "Badges it earned" in told.body
    assert not BadgeAward.objects.filter(user=member, badge="first_goal").exists()
    assert celebrations_for_team(goal.team, teammate) == []  # out of the feed
    with pytest.raises(ValidationError, match="Kudos are closed"):
        services.achievement_celebrate(achievement=win, by=lead)
    assert Celebration.objects.count() == 1  # the earlier kudos stays with the win

    with on("2026-02-12"):
        arr_import(django_capture_on_commit_callbacks, "1120")  # corrected again: 112
    win.refresh_from_db()
    assert win.withdrawn_at is None and Achievement.objects.filter(goal=goal).count() == 1
    assert win_notifications(member)[2:] == ["You reached the target of “Grow my NRR” again"]
    assert [item.achievement for item in celebrations_for_team(goal.team, teammate)] == [win]
    assert BadgeAward.objects.filter(user=member, badge="first_goal").exists()


def test_flapping_across_the_target_tells_the_owner_once_a_day(
    q1, account, lead, member, django_capture_on_commit_callbacks
):
    with on("2026-02-02"):
        goal = nrr_goal(q1, member, lead)
    with on("2026-02-10", 9):
        arr_import(django_capture_on_commit_callbacks, "1150")
    for hour, arr in ((10, "1050"), (11, "1150"), (12, "1050")):
        with on("2026-02-10", hour):
            arr_import(django_capture_on_commit_callbacks, arr)

    # One notification that day, saying how it stands now (unread again).
    notifications = Notification.objects.filter(user=member, kind="achievement")
    assert [(n.title, n.read_at) for n in notifications] == [
        ("The target of “Grow my NRR” is no longer reached after a data correction", None)
    ]
    assert Achievement.objects.get(goal=goal).withdrawn_at is not None

    with on("2026-02-11"):
        arr_import(django_capture_on_commit_callbacks, "1150")
    assert win_notifications(member)[1:] == ["You reached the target of “Grow my NRR” again"]


def test_a_goal_created_past_its_target_is_not_an_achievement(
    q1, account, lead, member, django_capture_on_commit_callbacks
):
    with on("2026-02-01"):
        arr_import(django_capture_on_commit_callbacks, "1150", day="2026-01-20")
    with on("2026-02-02"):
        goal = nrr_goal(q1, member, lead)
    with on("2026-02-03"), django_capture_on_commit_callbacks(execute=True):
        recalc.recalculate_goals([goal.pk])
    goal.refresh_from_db()
    assert goal.status == "achieved"
    assert not Achievement.objects.exists()
    assert win_notifications(member) == []

    # It falls short, then crosses its target while it exists: that is an achievement.
    with on("2026-02-10"):
        arr_import(django_capture_on_commit_callbacks, "1050", day="2026-02-05")
    with on("2026-02-11"):
        arr_import(django_capture_on_commit_callbacks, "1130", day="2026-02-05")
    assert Achievement.objects.get(goal=goal).kind == "achieved"
    assert win_notifications(member) == ["You reached the target of “Grow my NRR”"]


def test_after_the_period_closes_a_correction_does_not_withdraw_the_win(
    q1, account, lead, member, django_capture_on_commit_callbacks
):
    with on("2026-02-02"):
        goal = nrr_goal(q1, member, lead)
    with on("2026-02-10"):
        arr_import(django_capture_on_commit_callbacks, "1150")
    with on("2026-04-02"):
        arr_import(django_capture_on_commit_callbacks, "1050")
        with django_capture_on_commit_callbacks(execute=True):
            recalc.recalculate_goals([goal.pk])  # the rollover's last recalculation
    goal.refresh_from_db()
    assert goal.current_value == 105
    assert Achievement.objects.get(goal=goal).withdrawn_at is None
    assert len(win_notifications(member)) == 1


def test_a_maintain_goal_is_achieved_when_its_period_closes_held(
    q1, account, lead, member, django_capture_on_commit_callbacks
):
    with on("2026-01-10"):
        goal = goal_create(
            period=q1,
            owner=member,
            name="Keep gross retention above 95%",
            goal_type="metric",
            metric_key="grr",
            direction="maintain",
            target="95",
            stretch_target="99",
            created_by=lead,
        )
        recalc.backfill_history([goal.pk])
    with on("2026-02-14"), django_capture_on_commit_callbacks(execute=True):
        recalc.recalculate_goals([goal.pk])
    goal.refresh_from_db()
    assert goal.status == "exceeded"  # beyond the stretch mid-period: no celebration yet
    assert not Achievement.objects.exists()

    with on("2026-04-01"), django_capture_on_commit_callbacks(execute=True):
        recalc.recalculate_goals([goal.pk])
    assert sorted(Achievement.objects.values_list("kind", flat=True)) == ["achieved", "exceeded"]
    assert win_notifications(member) == [
        "You reached the stretch target of “Keep gross retention above 95%”"
    ]
