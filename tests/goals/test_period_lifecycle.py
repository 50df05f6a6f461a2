"""Periods that are planned and closed: drafts are not calculated, activation takes the
baselines, closing freezes final values, statuses and grades; closed goals are read-only but
for an admin's audited correction and the lead's closing comment."""

import datetime as dt
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dashboards.leaderboard import leaderboard
from dashboards.models import LeaderboardSetting
from goals import lifecycle, recalc
from goals.lifecycle import final_reading
from goals.models import Adjustment, Goal, GoalPeriod
from goals.services import goal_adjust, goal_update, manual_entry_add, period_create
from tests.builders import customer, nrr_goal

pytestmark = pytest.mark.django_db


def on(day: str):
    return time_machine.travel(dt.datetime.fromisoformat(f"{day} 10:00+00:00"), tick=False)


def errors_of(excinfo) -> dict[str, str]:
    return {field: " ".join(messages) for field, messages in excinfo.value.message_dict.items()}


def reading(direction="increase", value="105", **fields):
    goal = Goal(
        goal_type=fields.pop("goal_type", "metric"),
        direction=direction,
        baseline=Decimal(fields.pop("baseline", "100")),
        target=Decimal(fields.pop("target", "110")),
        **{k: Decimal(v) if isinstance(v, str) else v for k, v in fields.items()},
    )
    return final_reading(goal, value=None if value is None else Decimal(value))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"value": "105"}, ("missed", "0.50", None)),
        ({"value": "112", "stretch_target": "115"}, ("achieved", "1.00", "0.80")),
        ({"value": "116", "stretch_target": "115"}, ("exceeded", "1.00", "1.00")),
        ({"value": "95"}, ("missed", "0.00", None)),
        (
            {"direction": "decrease", "baseline": "40", "target": "30", "value": "33"},
            ("missed", "0.70", None),
        ),
        (
            {"direction": "maintain", "baseline": "85", "target": "90", "value": "91"},
            ("achieved", "1.00", None),
        ),
        # Breached at the close: the share of the way from the baseline towards the floor.
        (
            {"direction": "maintain", "baseline": "85", "target": "90", "value": "88"},
            ("missed", "0.60", None),
        ),
        (
            {"direction": "maintain", "baseline": "95", "target": "90", "value": "88"},
            ("missed", "0.00", None),
        ),
        (
            {"goal_type": "task", "task_target": 6, "stretch_target": "8", "value": "4"},
            ("missed", "0.67", "0.50"),
        ),
        ({"value": None}, ("no_data", None, None)),
    ],
)
def test_grades_follow_the_okr_convention(fields, expected):
    result = reading(**fields)
    grade = None if result.grade is None else str(result.grade)
    stretch = None if result.stretch_grade is None else str(result.stretch_grade)
    assert (result.status, grade, stretch) == expected


@pytest.fixture
def planned(db, member, lead):
    """Q1 2026 planned in December 2025, with the member's draft NRR goal (baseline typed as
    100); the member's book went from 1000 to 1100 in Q4 2025 (NRR 110 there)."""
    customer(member, {date(2025, 10, 1): 1000, date(2025, 11, 15): 1100, date(2026, 2, 1): 1265})
    with on("2025-12-15"):
        period_create(
            name="Q4 2025", period_type="quarterly", start=date(2025, 10, 1), end=date(2025, 12, 31)
        )
        q1 = period_create(
            name="Q1 2026",
            period_type="quarterly",
            start=date(2026, 1, 1),
            end=date(2026, 3, 31),
            status="planning",
        )
        goal = nrr_goal(q1, by=lead, owner=member, baseline="100", target="120")
    return q1, goal


def test_a_draft_goal_is_not_calculated_nor_ranked_until_its_period_goes_live(
    planned, member, django_capture_on_commit_callbacks
):
    q1, goal = planned
    with on("2025-12-20"):
        recalc.recalculate_goals([goal.pk])
        recalc.backfill_history([goal.pk])
    goal.refresh_from_db()
    assert (goal.status, goal.last_calculated_at, goal.history.count()) == ("no_data", None, 0)
    # Even a draft carrying numbers (a carried-over copy) is not ranked.
    Goal.objects.filter(pk=goal.pk).update(current_value=105, progress=50)
    LeaderboardSetting.objects.create(team=goal.team, enabled=True)
    with on("2025-12-20"):
        board = leaderboard(viewer=member, period=q1, team=goal.team, teams=[goal.team])
    assert board.entries == []

    with on("2026-01-02"), django_capture_on_commit_callbacks(execute=True):
        moved = lifecycle.periods_roll_over()
    assert [p.name for p in moved["activated"]] == ["Q1 2026"]
    goal.refresh_from_db()
    q1.refresh_from_db()
    assert q1.status == "active" and q1.activated_at is not None
    # The baseline is taken from the data when the period goes live, and audited.
    assert goal.baseline == Decimal("110")
    adjustment = Adjustment.objects.get(goal=goal)
    assert (adjustment.field, adjustment.old_value, adjustment.new_value) == (
        "baseline",
        "100",
        "110",
    )
    assert adjustment.reason == "Baseline taken from the data when Q1 2026 went live."
    assert goal.last_calculated_at is not None


def test_closing_freezes_final_value_status_and_grade(planned, member, lead, admin_user):
    q1, goal = planned
    with on("2026-01-02"):
        lifecycle.period_activate(period=q1, by=admin_user)
    with on("2026-03-20"), pytest.raises(ValidationError) as early:
        lifecycle.period_close(period=q1, by=admin_user)
    assert errors_of(early) == {
        "status": "Q1 2026 runs until 2026-03-31: it closes after its last day."
    }

    with on("2026-04-01"):
        moved = lifecycle.periods_roll_over()
    assert [p.name for p in moved["completed"]] == ["Q4 2025", "Q1 2026"]
    goal.refresh_from_db()
    q1.refresh_from_db()
    assert q1.status == "completed" and q1.closed_at is not None
    # NRR 1265 / 1100 = 115: half the way from the baseline 110 to the target 120.
    assert (goal.final_value, goal.final_status, goal.final_grade) == (
        Decimal("115.0000"),
        "missed",
        Decimal("0.50"),
    )
    assert goal.is_closed

    # Later data corrections and recalculations leave a closed goal alone.
    customer(member, {date(2026, 1, 1): 500})
    with on("2026-04-05"):
        recalc.recalculate_goals([goal.pk])
    goal.refresh_from_db()
    assert goal.final_value == Decimal("115.0000") and goal.current_value == Decimal("115.0000")

    closed = "Grow NRR is closed with its period Q1 2026: it is read-only"
    for change in (
        lambda: goal_update(goal=goal, by=lead, name="Renamed"),
        lambda: goal_adjust(goal=goal, by=lead, reason="late", target="116"),
        lambda: manual_entry_add(goal=goal, by=lead, value="1"),
    ):
        with pytest.raises(ValidationError) as refused:
            change()
        assert closed in " ".join(errors_of(refused).values())


def test_an_admin_corrects_a_closed_goal_with_a_reason_and_the_lead_comments(
    planned, lead, admin_user
):
    q1, goal = planned
    with on("2026-04-02"):
        lifecycle.period_close(period=q1, by=admin_user)
    goal.refresh_from_db()
    assert goal.final_grade == Decimal("0.50")
    with pytest.raises(ValidationError) as not_admin:
        lifecycle.goal_correct_final(goal=goal, by=lead, reason="x", final_value="121")
    assert errors_of(not_admin) == {"final_value": "Only an admin corrects a closed goal."}
    with pytest.raises(ValidationError) as no_reason:
        lifecycle.goal_correct_final(goal=goal, by=admin_user, reason=" ", final_value="121")
    assert errors_of(no_reason) == {"reason": "Give a reason for correcting a closed goal."}

    lifecycle.goal_correct_final(
        goal=goal, by=admin_user, reason="A late expansion booked in March", final_value="121"
    )
    goal.refresh_from_db()
    assert (goal.final_value, goal.final_status, goal.final_grade) == (
        Decimal("121"),
        "achieved",
        Decimal("1.00"),
    )
    rows = {
        a.field: (a.old_value, a.new_value, a.reason)
        for a in Adjustment.objects.filter(goal=goal, field__startswith="final")
    }
    assert rows == {
        "final_value": ("115", "121", "A late expansion booked in March"),
        "final_status": ("missed", "achieved", "A late expansion booked in March"),
        "final_grade": ("0.5", "1", "A late expansion booked in March"),
    }

    lifecycle.goal_closing_comment(
        goal=goal, by=lead, comment="Two expansions landed late; start upsell talks earlier."
    )
    goal.refresh_from_db()
    assert goal.closing_comment.startswith("Two expansions") and goal.closing_comment_by == lead


def test_a_period_moves_forward_only_and_a_comment_waits_for_the_close(planned, lead, admin_user):
    q1, goal = planned
    with on("2026-01-05"):
        lifecycle.period_edit(period=q1, by=admin_user, status="active")
        q1.refresh_from_db()
        with pytest.raises(ValidationError) as back:
            lifecycle.period_edit(period=q1, by=admin_user, status="planning")
        with pytest.raises(ValidationError) as early_comment:
            lifecycle.goal_closing_comment(goal=goal, by=lead, comment="Too soon")
    assert errors_of(back) == {
        "status": "Q1 2026 is active: a period moves forward only (planning, active, closed)."
    }
    assert errors_of(early_comment) == {
        "closing_comment": "A closing comment is added once the goal's period has closed."
    }
    assert GoalPeriod.objects.get(pk=q1.pk).status == "active"


def test_period_page_activates_closes_and_takes_closing_comments(
    client, planned, lead, member, admin_user, django_capture_on_commit_callbacks
):
    q1, goal = planned
    client.force_login(member)
    with on("2025-12-20"):
        draft = client.get(f"/goals/{goal.pk}/")
        assert "Draft: Q1 2026 is being planned" in draft.text
        assert client.post(f"/periods/{q1.pk}/activate/").status_code == 403
        client.force_login(admin_user)
        page = client.get(f"/periods/{q1.pk}/")
        assert "the goals below are drafts" in page.text and "Activate now" in page.text
        with django_capture_on_commit_callbacks(execute=True):
            live = client.post(f"/periods/{q1.pk}/activate/", follow=True)
        assert "Q1 2026 is live" in live.text
    with on("2026-03-30"):
        client.force_login(admin_user)  # sessions do not last a quarter
        early = client.post(f"/periods/{q1.pk}/close/", follow=True)
        assert "it closes after its last day" in early.text
    with on("2026-04-02"):
        client.force_login(admin_user)
        closed = client.post(f"/periods/{q1.pk}/close/", follow=True)
        assert "Q1 2026 is closed" in closed.text
        assert '<span class="grade">0.50</span>' in closed.text

        client.force_login(member)
        assert (
            client.post(
                f"/goals/{goal.pk}/closing-comment/", {"closing_comment": "mine"}
            ).status_code
            == 403
        )
        page = client.get(f"/goals/{goal.pk}/")
        assert "Closed with Q1 2026" in page.text and "Read-only." in page.text
        assert f"/goals/{goal.pk}/edit/" not in page.text
        assert client.get(f"/goals/{goal.pk}/correct/").status_code == 403

        client.force_login(lead)
        row = client.post(
            f"/goals/{goal.pk}/closing-comment/",
            {"closing_comment": "Expansions slipped to April."},
            headers={"HX-Request": "true"},
        )
        assert f'id="closed-goal-{goal.pk}"' in row.text
        assert "Expansions slipped to April." in row.text and "Saved." in row.text

        client.force_login(admin_user)
        refused = client.post(f"/goals/{goal.pk}/correct/", {"final_value": "121", "reason": ""})
        assert "Give a reason for correcting a closed goal." in refused.text
        corrected = client.post(
            f"/goals/{goal.pk}/correct/",
            {"final_value": "121", "reason": "Late booking"},
            follow=True,
        )
        assert "Corrected the final value" in corrected.text
        assert "Achieved · grade" in corrected.text
