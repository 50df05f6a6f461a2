"""What a browser sends: the goal form's fields follow the type, so task and milestone goals are
created with exactly the fields shown; no error is swallowed; periods never overlap, whatever
the surface; the form and the dashboards start from the period running today."""

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string

from goals.forms import GoalForm
from goals.models import Goal, GoalPeriod, ManualEntry
from goals.services import goal_create

pytestmark = pytest.mark.django_db

# Exactly what the browser sends for each type (no `direction` outside a metric goal).
COMMON = {"name": "Ship it", "weight": "1", "visibility": "public"}


def fields_shown(client, **chosen) -> set[str]:
    """The fields of the form as redrawn (htmx) for what is chosen so far."""
    html = client.post("/goals/new/fields/", chosen, HTTP_HX_REQUEST="true").text
    return set(re.findall(r'name="([a-z_]+)"', html))


@pytest.mark.usefixtures("mid_quarter")
def test_a_task_goal_is_created_from_the_fields_the_form_shows(client, lead, team, q1):
    client.force_login(lead)
    shown = fields_shown(client, goal_type="task", period=q1.pk)
    assert "direction" not in shown and "task_target" in shown
    response = client.post(
        "/goals/new/",
        {**COMMON, "period": q1.pk, "team": team.pk, "goal_type": "task", "task_target": "5"},
    )
    goal = Goal.objects.get(name="Ship it")
    assert response.status_code == 302 and goal.task_target == 5


@pytest.mark.usefixtures("mid_quarter")
def test_a_milestone_goal_is_created_with_its_rows(client, lead, team, q1):
    client.force_login(lead)
    rows = {
        "milestones-TOTAL_FORMS": "3",
        "milestones-INITIAL_FORMS": "0",
        **{f"milestones-{i}-name": name for i, name in enumerate(["Plan", "Build", "Launch"])},
        **{f"milestones-{i}-weight": "1" for i in range(3)},
        **{f"milestones-{i}-ORDER": str(i + 1) for i in range(3)},
    }
    client.post(
        "/goals/new/",
        {**COMMON, "period": q1.pk, "team": team.pk, "goal_type": "milestone", **rows},
    )
    goal = Goal.objects.get(name="Ship it")
    assert list(goal.milestones.values_list("name", flat=True)) == ["Plan", "Build", "Launch"]


def test_errors_of_no_visible_field_are_shown_above_the_form():
    form = GoalForm(
        {"goal_type": "task"}, periods=GoalPeriod.objects.none(), teams=Goal.objects.none()
    )
    form.fields["period"].widget = form.fields["period"].hidden_widget()
    form.is_valid()
    form.add_error(None, "Something about the whole goal.")
    html = render_to_string("partials/form_errors.html", {"form": form})
    assert 'role="alert"' in html
    assert "Something about the whole goal." in html
    assert "Period: This field is required." in html  # a hidden field's error, named


@pytest.mark.usefixtures("mid_quarter")
def test_a_roll_up_goal_offers_no_manual_entry_and_the_api_refuses_one(
    client, lead, member, team, q1
):
    rollup = goal_create(
        period=q1, team=team, name="Team total", goal_type="metric", created_by=lead
    )
    goal_create(
        period=q1,
        owner=member,
        parent=rollup,
        name="Mine",
        goal_type="metric",
        baseline=Decimal(0),
        target=Decimal(10),
        created_by=lead,
    )
    client.force_login(lead)
    assert "Record progress" not in client.get(f"/goals/{rollup.pk}/").text
    answer = client.post(
        f"/api/goals/{rollup.pk}/progress/", {"current_value": 5}, content_type="application/json"
    )
    assert answer.status_code == 400
    assert "adds up its cascaded goals" in str(answer.json())
    assert not ManualEntry.objects.filter(goal=rollup).exists()


@pytest.mark.usefixtures("mid_quarter")
def test_task_and_milestone_goals_read_as_counts(
    client, lead, team, q1, django_capture_on_commit_callbacks
):
    tasks = goal_create(
        period=q1, team=team, name="Calls", goal_type="task", task_target=5, created_by=lead
    )
    plan = goal_create(
        period=q1,
        team=team,
        name="Plan",
        goal_type="milestone",
        created_by=lead,
        milestones=[{"name": n, "weight": w} for n, w in (("A", 1), ("B", 1), ("C", 3))],
    )
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):  # the recalculation after commit
        client.post(f"/goals/{tasks.pk}/progress/", {"tasks_done": "4"})
        for milestone in plan.milestones.all()[:2]:
            client.post(f"/goals/{plan.pk}/milestones/{milestone.pk}/tick/", {"done": "yes"})
    assert "4 of 5 tasks" in client.get(f"/goals/{tasks.pk}/").text
    page = client.get(f"/goals/{plan.pk}/").text
    assert "2 of 3 milestones (40 %)" in page
    assert "target no data" not in page
    dashboard = client.get(f"/teams/{team.pk}/?period={q1.pk}").text
    assert "4 of 5 tasks" in dashboard and "2 of 3 milestones (40 %)" in dashboard


@pytest.mark.usefixtures("mid_quarter")
def test_a_manual_entry_answers_with_every_region_of_the_goal_page(
    client, lead, team, q1, django_capture_on_commit_callbacks
):
    goal = goal_create(
        period=q1, team=team, name="Calls", goal_type="task", task_target=2, created_by=lead
    )
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/goals/{goal.pk}/progress/", {"tasks_done": "2"}, HTTP_HX_REQUEST="true"
        )
    html = answer.text
    for region in ("progress-panel", "goal-title", "goal-panels", "manual-entries"):
        assert f'id="{region}" hx-swap-oob="true"' in html or f'id="{region}"' in html
    assert html.count('hx-swap-oob="true"') == 4
    assert "Achieved" in html and "2 of 2 tasks" in html and "Progress recorded." in html


# Periods ------------------------------------------------------------------------------------


def test_admin_refuses_an_overlapping_period(admin_client, q1):
    answer = admin_client.post(
        "/admin/goals/goalperiod/add/",
        {
            "name": "Overlapping",
            "period_type": "quarterly",
            "start": "2026-03-01",
            "end": "2026-05-31",
            "status": "planning",
        },
    )
    assert "These dates overlap the quarterly period Q1 2026" in answer.text
    assert not GoalPeriod.objects.filter(name="Overlapping").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL constraint")
def test_postgresql_refuses_an_overlap_that_skips_the_model_check(q1):
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalPeriod.objects.bulk_create(
            [
                GoalPeriod(
                    name="Raced in",
                    period_type="quarterly",
                    start=date(2026, 3, 31),
                    end=date(2026, 6, 30),
                )
            ]
        )
    # Another type may overlap.
    GoalPeriod.objects.create(
        name="2026", period_type="annual", start=date(2026, 1, 1), end=date(2026, 12, 31)
    )


@time_machine.travel("2026-11-15 12:00Z", tick=False)
def test_form_and_dashboard_start_from_the_period_running_today(client, lead, team):
    def period(name, kind, start, end, status):
        return GoalPeriod.objects.create(
            name=name, period_type=kind, start=start, end=end, status=status
        )

    q4 = period("Q4 2026", "quarterly", date(2026, 10, 1), date(2026, 12, 31), "active")
    year = period("2026", "annual", date(2026, 1, 1), date(2026, 12, 31), "active")
    q1 = period("Q1 2027", "quarterly", date(2027, 1, 1), date(2027, 3, 31), "planning")
    q2 = period("Q2 2027", "quarterly", date(2027, 4, 1), date(2027, 6, 30), "planning")
    q3 = period("Q3 2026", "quarterly", date(2026, 7, 1), date(2026, 9, 30), "completed")
    client.force_login(lead)
    form = client.get("/goals/new/").text
    options = [name for name in ("Q4 2026", "2026", "Q1 2027", "Q2 2027") if name in form]
    positions = [form.index(f">{name}</option>") for name in options]
    assert positions == sorted(positions)  # current (quarter, year), then upcoming
    assert f'<option value="{q4.pk}" selected>Q4 2026</option>' in form
    dashboard = client.get(f"/teams/{team.pk}/").text
    assert "Q4 2026 · 1 Oct – 31 Dec 2026" in dashboard
    pills = [dashboard.index(f"?period={p.pk}") for p in (q4, year, q1, q2, q3)]
    assert pills == sorted(pills)  # current, upcoming, past
