"""Goal and period services: validation messages, baselines, adjustments, milestones, carry-over."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from goals.lifecycle import periods_roll_over
from goals.models import Adjustment, Goal, GoalPeriod, Milestone
from goals.services import (
    carry_over_period,
    goal_adjust,
    goal_archive,
    goal_create,
    goal_update,
    manual_entry_add,
    milestone_add,
    milestone_complete,
    milestone_reorder,
    period_create,
    period_update,
)
from goals.signals import milestone_completed
from tests.builders import D, book, new_quarter, nrr_goal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def valentines_day():
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        yield


def errors_of(excinfo) -> dict[str, str]:
    return {field: messages[0] for field, messages in excinfo.value.message_dict.items()}


def test_periods_of_one_type_never_overlap_and_end_after_start():
    q1 = new_quarter()
    assert q1.status == GoalPeriod.Status.ACTIVE
    with pytest.raises(ValidationError) as excinfo:
        period_create(
            name="Odd", period_type="quarterly", start=date(2026, 3, 1), end=date(2026, 5, 31)
        )
    assert errors_of(excinfo) == {
        "start": "These dates overlap the quarterly period Q1 2026 (2026-01-01 to 2026-03-31); "
        "periods of one type never overlap."
    }
    with pytest.raises(ValidationError) as excinfo:
        period_create(
            name="Back", period_type="monthly", start=date(2026, 5, 31), end=date(2026, 5, 1)
        )
    assert errors_of(excinfo) == {"end": "The end date must be after the start date."}
    march = period_create(
        name="March", period_type="monthly", start=date(2026, 3, 1), end=date(2026, 3, 31)
    )
    assert march.status == GoalPeriod.Status.PLANNING


def test_goal_validation_names_the_field_and_reason(lead, member, other_member, team, other_team):
    period = new_quarter()
    with pytest.raises(ValidationError) as excinfo:
        nrr_goal(period, by=lead, team=team, baseline="100", target="100")
    assert errors_of(excinfo) == {
        "target": "The target equals the baseline (100): a goal to increase needs a target it "
        "has not reached yet."
    }
    with pytest.raises(ValidationError) as excinfo:
        nrr_goal(period, by=lead, team=team, target="110", stretch_target="105")
    assert errors_of(excinfo) == {
        "stretch_target": "The stretch target must be above the target (110) for a goal to "
        "increase."
    }
    with pytest.raises(ValidationError) as excinfo:
        nrr_goal(period, by=lead, team=team, direction="decrease", target="60", stretch_target="70")
    assert errors_of(excinfo) == {
        "stretch_target": "The stretch target must be below the target (60) for a goal to decrease."
    }
    with pytest.raises(ValidationError) as excinfo:
        goal_create(
            period=period,
            name="x",
            goal_type="metric",
            metric_key="arr_growth",
            team=team,
            baseline=1,
            target=2,
            created_by=lead,
        )
    assert errors_of(excinfo)["metric_key"].startswith("Unknown metric 'arr_growth': use one of")
    with pytest.raises(ValidationError) as excinfo:
        goal_create(
            period=period,
            name="Calls",
            goal_type="task",
            team=team,
            task_target=-3,
            created_by=lead,
        )
    assert errors_of(excinfo) == {
        "task_target": "The task target must be a positive number of tasks."
    }

    parent = nrr_goal(period, by=lead, team=team)
    with pytest.raises(ValidationError) as excinfo:
        nrr_goal(period, by=lead, owner=other_member, parent=parent)
    assert errors_of(excinfo) == {
        "owner": "Otto Other is not a member of Enterprise, the team of the parent goal."
    }
    next_quarter = new_quarter("Q2 2026", date(2026, 4, 1), date(2026, 6, 30))
    with pytest.raises(ValidationError) as excinfo:
        nrr_goal(next_quarter, by=lead, owner=member, parent=parent)
    assert errors_of(excinfo) == {
        "parent": "The parent goal belongs to Q1 2026, outside this goal's period Q2 2026; a goal "
        "cascades within its own period."
    }
    child = nrr_goal(period, by=lead, owner=member, parent=parent)
    assert (child.team, child.parent) == (team, parent)
    with pytest.raises(ValidationError) as excinfo:
        milestone_add(goal=child, name="Kick-off", due_date=date(2026, 4, 2))
    assert "goal" in errors_of(excinfo) and "due_date" in errors_of(excinfo)
    assert Goal.objects.count() == 2  # nothing half-written


def test_baseline_defaults_to_the_owners_value_over_the_previous_period(lead, member, team):
    new_quarter("Q4 2025", date(2025, 10, 1), date(2025, 12, 31))
    q1 = new_quarter()
    book(member, (1000, 1100), start=date(2025, 9, 1), change=date(2025, 11, 1))
    goal = goal_create(
        period=q1,
        name="NRR",
        goal_type="metric",
        metric_key="nrr",
        owner=member,
        target="115",
        created_by=lead,
    )
    assert goal.baseline == D(110)

    with pytest.raises(ValidationError) as excinfo:
        goal_create(
            period=q1,
            name="NRR",
            goal_type="metric",
            metric_key="nrr",
            team=team,
            owner=lead,
            target="115",
            created_by=lead,
        )
    assert errors_of(excinfo) == {
        "baseline": "There is no Net revenue retention data for Lena Lead over the previous "
        "period (2025-10-01 to 2025-12-31): enter a baseline."
    }


def test_adjusting_needs_a_reason_and_leaves_one_row_per_changed_field(lead, team):
    goal = nrr_goal(new_quarter(), by=lead, team=team, target="110", stretch_target="120")
    with pytest.raises(ValidationError) as excinfo:
        goal_adjust(goal=goal, by=lead, reason=" ", target="112")
    assert errors_of(excinfo) == {"reason": "Give a reason for changing target."}

    goal_adjust(
        goal=goal,
        by=lead,
        reason="Board asked for more",
        target="112",
        stretch_target="120",
        weight="2",
        baseline="100",
    )
    rows = list(Adjustment.objects.filter(goal=goal).order_by("field"))
    assert [(r.field, r.old_value, r.new_value, r.reason, r.changed_by) for r in rows] == [
        ("target", "110", "112", "Board asked for more", lead),
        ("weight", "1", "2", "Board asked for more", lead),
    ]
    goal.refresh_from_db()
    assert (goal.target, goal.weight) == (D(112), D(2))

    goal_update(goal=goal, by=lead, name="Grow NRR further", reason="Typo", baseline="95")
    assert Adjustment.objects.filter(goal=goal, field="baseline").get().new_value == "95"
    with pytest.raises(ValidationError) as excinfo:
        goal_adjust(goal=goal, by=lead, reason="why not", target="95")
    assert "target" in errors_of(excinfo)


def test_moving_a_periods_dates_is_audited_on_its_goals(lead, team):
    period = new_quarter()
    goal = nrr_goal(period, by=lead, team=team)
    with pytest.raises(ValidationError) as excinfo:
        period_update(period=period, by=lead, end=date(2026, 4, 15))
    assert errors_of(excinfo) == {"reason": "Give a reason for moving the dates of this period."}
    period_update(period=period, by=lead, end=date(2026, 4, 15), reason="Fiscal calendar")
    row = Adjustment.objects.get(goal=goal)
    assert (row.field, row.old_value, row.new_value) == ("period_end", "2026-03-31", "2026-04-15")


def test_milestones_are_rows_that_complete_reorder_and_announce(
    lead, team, django_capture_on_commit_callbacks
):
    goal = goal_create(
        period=new_quarter(),
        name="Launch playbook",
        goal_type="milestone",
        team=team,
        created_by=lead,
        milestones=[{"name": "Draft"}, {"name": "Review", "weight": 3}],
    )
    draft, review = goal.milestones.all()
    heard = []

    def listener(sender, milestone, by, **kwargs):
        heard.append((milestone.name, by))

    with pytest.raises(ValidationError) as excinfo:
        milestone_reorder(goal=goal, milestone_ids=[review.pk])
    assert "milestones" in errors_of(excinfo)
    milestone_reorder(goal=goal, milestone_ids=[review.pk, draft.pk])
    assert [m.name for m in goal.milestones.all()] == ["Review", "Draft"]

    milestone_completed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            milestone_complete(milestone=review, by=lead)
            assert heard == []  # announced after commit only
        milestone_complete(milestone=review, by=lead)  # already done: no second announcement
    finally:
        milestone_completed.disconnect(listener)
    assert heard == [("Review", lead)]
    assert Milestone.objects.get(pk=review.pk).done_at is not None
    goal.refresh_from_db()
    assert (goal.progress, goal.status) == (D(75), "on_track")  # 3 of 4 weight, 45 of 90 days


def test_manual_entries_by_goal_type(lead, member, team):
    period = new_quarter()
    tasks = goal_create(
        period=period,
        name="Calls",
        goal_type="task",
        owner=member,
        task_target=10,
        created_by=lead,
    )
    with pytest.raises(ValidationError) as excinfo:
        manual_entry_add(goal=tasks, by=member, value="3")
    assert errors_of(excinfo) == {"tasks_done": "Enter the number of tasks done so far."}
    entry = manual_entry_add(goal=tasks, by=member, tasks_done=4, note="Four calls")
    assert (entry.tasks_done, entry.created_by) == (4, member)

    calculated = nrr_goal(period, by=lead, team=team)
    with pytest.raises(ValidationError) as excinfo:
        manual_entry_add(goal=calculated, by=lead, value="99")
    assert errors_of(excinfo) == {
        "goal": "This goal is calculated from customer data; it takes no manual entries."
    }


def test_carry_over_copies_goals_once_with_children_and_undone_milestones(lead, member, team):
    q1 = new_quarter()
    q2 = new_quarter("Q2 2026", date(2026, 4, 1), date(2026, 6, 30))
    parent = nrr_goal(q1, by=lead, team=team, target="110", stretch_target="115")
    child = nrr_goal(q1, by=lead, owner=member, parent=parent)
    Goal.objects.filter(pk=parent.pk).update(current_value=D("104.5"))
    playbook = goal_create(
        period=q1,
        name="Playbook",
        goal_type="milestone",
        team=team,
        created_by=lead,
        milestones=[{"name": "Draft", "due_date": date(2026, 3, 20)}],
    )
    milestone_complete(milestone=playbook.milestones.get(), by=lead)
    goal_archive(goal=nrr_goal(q1, by=lead, team=team, name="Old"), by=lead)

    result = carry_over_period(source=q1, target=q2, by=lead)
    assert len(result.created) == 3 and not result.skipped
    copies = {g.carried_from_id: g for g in Goal.objects.filter(period=q2)}
    assert set(copies) == {parent.pk, child.pk, playbook.pk}
    assert (copies[parent.pk].baseline, copies[parent.pk].target) == (D("104.5"), D(110))
    assert copies[parent.pk].stretch_target == D(115)
    assert copies[child.pk].parent == copies[parent.pk]
    milestone = copies[playbook.pk].milestones.get()
    assert (milestone.name, milestone.done_at, milestone.due_date) == (
        "Draft",
        None,
        date(2026, 6, 18),
    )

    again = carry_over_period(source=q1, target=q2, by=lead)
    assert again.created == [] and len(again.already_carried) == 3
    assert Goal.objects.filter(period=q2).count() == 3
    with pytest.raises(ValidationError) as excinfo:
        carry_over_period(source=q2, target=q1, by=lead)
    assert errors_of(excinfo) == {
        "target": "Carry over goes to a period after Q2 2026 (2026-06-30)."
    }


def test_rollover_activates_and_completes_periods_by_date():
    last = new_quarter("Q4 2025", date(2025, 10, 1), date(2025, 12, 31), status="active")
    current = new_quarter(status="planning")
    moved = periods_roll_over()
    assert moved == {"activated": [current], "completed": [last]}
    last.refresh_from_db()
    current.refresh_from_db()
    assert (last.status, current.status) == ("completed", "active")
    assert periods_roll_over() == {"activated": [], "completed": []}
