"""The goal pages as a lead and a member use them: create (fields follow the type), errors,
cascade with a split, adjust with a reason, delete, share, manual progress."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals import services
from goals.models import Adjustment, Goal, Milestone
from goals.objectives import objective_create
from tests.builders import MembershipFactory, customer, nrr_goal, task_goal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mid_quarter")]

FORM = {
    "period": "",
    "team": "",
    "owner": "",
    "parent": "",
    "name": "Grow NRR",
    "description": "",
    "goal_type": "metric",
    "metric_key": "nrr",
    "direction": "increase",
    "baseline": "",
    "target": "115",
    "stretch_target": "",
    "task_target": "",
    "weight": "1",
    "visibility": "public",
    "show_in_leaderboard": "on",
}


@pytest.fixture
def books(member, teammate):
    """Member: ARR 100 -> 110 over Q4 2025, 120 from Feb; teammate: a third of the book."""
    customer(member, {date(2025, 10, 1): 100, date(2025, 12, 1): 110, date(2026, 2, 1): 120})
    customer(member, {date(2025, 10, 1): 190})
    customer(teammate, {date(2025, 10, 1): 100})


def form(q1, team, **overrides):
    return {**FORM, "period": q1.pk, "team": team.pk, **overrides}


def team_goal(q1, team, lead, **kwargs):
    defaults = {"name": "Team NRR", "goal_type": "metric", "metric_key": "nrr"}
    defaults |= {"baseline": "100", "target": "105", "stretch_target": "110"}
    return services.goal_create(period=q1, team=team, created_by=lead, **(defaults | kwargs))


def test_the_metric_panel_shows_the_current_value_and_the_suggested_baseline(
    client, q1, team, lead, member, books
):
    client.force_login(lead)
    response = client.post(
        "/goals/new/fields/", form(q1, team, owner=member.pk), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    text = response.text
    assert "<html" not in text  # the partial only
    assert "Net revenue retention" in text
    # Jan 1 - Feb 15: 300 at the start, 310 now; previous quarter: 290 -> 300.
    assert "Now, for Mo Member" in text
    assert "103.3 %" in text
    assert "Suggested baseline" in text and "103.4 %" in text
    assert "This field is required" not in text  # no errors before a submit


def test_the_fields_follow_the_type(client, q1, team, lead):
    client.force_login(lead)
    task = client.post("/goals/new/fields/", form(q1, team, goal_type="task"))
    assert "Number of tasks" in task.text
    assert "Suggested baseline" not in task.text
    milestones = client.post(
        "/goals/new/fields/",
        form(q1, team, goal_type="milestone")
        | {
            "milestones-TOTAL_FORMS": "1",
            "milestones-INITIAL_FORMS": "0",
            "milestones-0-name": "Kick-off",
            "milestones-0-weight": "1",
            "milestones-0-ORDER": "1",
            "add_milestone": "1",
        },
    )
    assert 'name="milestones-TOTAL_FORMS" value="2"' in milestones.text
    assert 'value="Kick-off"' in milestones.text


def test_a_lead_creates_a_metric_goal_and_an_empty_baseline_takes_the_suggestion(
    client, q1, team, lead, member, books
):
    client.force_login(lead)
    response = client.post("/goals/new/", form(q1, team, owner=member.pk))
    goal = Goal.objects.get()
    assert response.status_code == 302
    assert response.url == f"/goals/{goal.pk}/"
    assert goal.owner == member
    assert goal.baseline == Decimal("103.4483")
    page = client.get(response.url)
    assert "Grow NRR" in page.text
    assert "Created the goal" in page.text


@pytest.mark.parametrize(
    "overrides,errors",
    [
        (
            {"metric_key": "", "target": ""},
            [
                "Choose the metric this goal tracks (or that its value is entered by hand).",
                "A metric goal needs a target.",
            ],
        ),
        ({"name": "", "weight": "0"}, ["This field is required.", "greater than or equal to"]),
        ({"baseline": "120", "target": "110"}, ["A goal to increase needs a target above"]),
        ({"goal_type": "task", "task_target": ""}, ["Say how many tasks make the goal."]),
    ],
)
def test_form_errors_show_inline_and_nothing_is_saved(client, q1, team, lead, overrides, errors):
    client.force_login(lead)
    response = client.post("/goals/new/", form(q1, team, **overrides))
    assert response.status_code == 200
    for error in errors:
        assert error in response.text
    assert 'class="field-error"' in response.text
    assert not Goal.objects.exists()


def test_a_milestone_goal_keeps_the_chosen_order_and_leaves_removed_rows_out(
    client, q1, team, lead
):
    client.force_login(lead)
    rows = {
        "milestones-TOTAL_FORMS": "3",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-name": "Launch",
        "milestones-0-weight": "2",
        "milestones-0-ORDER": "2",
        "milestones-1-name": "Kick-off",
        "milestones-1-weight": "1",
        "milestones-1-ORDER": "1",
        "milestones-2-name": "Dropped idea",
        "milestones-2-weight": "1",
        "milestones-2-ORDER": "3",
        "milestones-2-DELETE": "on",
    }
    response = client.post("/goals/new/", form(q1, team, goal_type="milestone") | rows)
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert list(goal.milestones.values_list("name", "weight")) == [
        ("Kick-off", Decimal("1")),
        ("Launch", Decimal("2")),
    ]


def test_members_do_not_create_goals_and_leads_only_for_their_team(
    client, q1, team, other_team, lead, member
):
    client.force_login(member)
    assert client.get("/goals/new/").status_code == 403
    client.force_login(lead)
    # Another team is not one the lead may manage: as if it did not exist.
    response = client.post("/goals/new/", form(q1, other_team))
    assert response.status_code == 404
    assert not Goal.objects.exists()


def test_cascade_suggests_each_members_share_and_creates_the_ticked_goals(
    client, q1, team, lead, member, teammate, books
):
    parent = team_goal(q1, team, lead)
    client.force_login(lead)
    page = client.get(f"/goals/{parent.pk}/cascade/")
    assert page.status_code == 200
    # Starting ARR on Jan 1: member 300, teammate 100, lead nothing.
    assert "75%" in page.text and "25%" in page.text
    m, t, lead_ = (f"m{user.pk}_" for user in (member, teammate, lead))
    data = {
        m + "include": "on",
        m + "name": "NRR — Mo",
        m + "baseline": "103",
        m + "target": "105",
        m + "stretch_target": "110",
        m + "weight": "75",
        t + "include": "on",
        t + "name": "NRR — Tia",
        t + "baseline": "100",
        t + "target": "107",
        t + "stretch_target": "",
        t + "weight": "25",
        lead_ + "name": "skipped",
    }
    response = client.post(f"/goals/{parent.pk}/cascade/", data)
    assert response.status_code == 302
    children = {g.owner: g for g in Goal.objects.filter(parent=parent)}
    assert set(children) == {member, teammate}
    assert children[teammate].target == Decimal("107")
    assert children[member].weight == Decimal("75")
    assert children[member].metric_key == "nrr"


def test_a_cascade_with_an_error_creates_nothing_and_names_the_row(
    client, q1, team, lead, member, teammate
):
    parent = team_goal(q1, team, lead)
    client.force_login(lead)
    m, t = f"m{member.pk}_", f"m{teammate.pk}_"
    data = {
        m + "include": "on",
        m + "name": "ok",
        m + "baseline": "100",
        m + "target": "105",
        m + "weight": "1",
        t + "include": "on",
        t + "name": "bad",
        t + "baseline": "120",
        t + "target": "110",
        t + "weight": "1",
    }
    response = client.post(f"/goals/{parent.pk}/cascade/", data)
    assert response.status_code == 200
    assert "A goal to increase needs a target above its baseline" in response.text
    assert not Goal.objects.filter(parent=parent).exists()


def test_a_task_goal_splits_its_count_so_the_parts_add_up(client, q1, team, lead, member, teammate):
    parent = task_goal(q1, team, "Case studies", 10, by=lead)
    client.force_login(lead)
    page = client.get(f"/goals/{parent.pk}/cascade/")
    counts = [
        page.context["form"][f"m{u.pk}_task_target"].initial for u in (lead, member, teammate)
    ]
    assert sorted(counts) == [3, 3, 4]


def test_adjusting_needs_a_reason_and_the_goal_page_shows_the_history(client, q1, team, lead):
    goal = team_goal(q1, team, lead)
    client.force_login(lead)
    data = {"baseline": "100", "target": "108", "stretch_target": "110", "weight": "1"}
    data["period"] = q1.pk
    refused = client.post(f"/goals/{goal.pk}/adjust/", data | {"reason": ""})
    assert "Give a reason for the adjustment." in refused.text
    assert Goal.objects.get(pk=goal.pk).target == Decimal("105")
    response = client.post(
        f"/goals/{goal.pk}/adjust/", data | {"reason": "Two renewals moved into Q2"}, follow=True
    )
    assert Goal.objects.get(pk=goal.pk).target == Decimal("108")
    adjustment = Adjustment.objects.get(goal=goal)
    assert (adjustment.field, adjustment.old_value, adjustment.new_value) == (
        "target",
        "105",
        "108",
    )
    assert adjustment.changed_by == lead
    assert "Two renewals moved into Q2" in response.text
    assert "Lena Lead" in response.text


def test_delete_asks_first_then_archives_and_keeps_the_history(client, q1, team, lead):
    goal = team_goal(q1, team, lead)
    client.force_login(lead)
    confirm = client.get(f"/goals/{goal.pk}/delete/")
    assert "Delete “Team NRR”?" in confirm.text
    assert Goal.objects.get(pk=goal.pk).archived_at is None
    response = client.post(f"/goals/{goal.pk}/delete/")
    assert response.status_code == 302
    assert Goal.objects.get(pk=goal.pk).archived_at is not None
    assert client.get(f"/goals/{goal.pk}/").status_code == 404


def test_sharing_a_private_goal_lets_that_person_see_it_until_unshared(
    client, q1, team, lead, member, other_member
):
    goal = task_goal(q1, team, "Private plan", 3, by=lead, owner=member, visibility="private")
    client.force_login(other_member)
    assert client.get(f"/goals/{goal.pk}/").status_code == 404
    client.force_login(member)  # the owner shares their own goal
    dialog = client.post(
        f"/goals/{goal.pk}/share/", {"user": other_member.pk}, headers={"HX-Request": "true"}
    )
    assert "Otto Other" in dialog.text
    client.force_login(other_member)
    assert client.get(f"/goals/{goal.pk}/").status_code == 200
    assert client.get(f"/goals/{goal.pk}/share/").status_code == 403
    client.force_login(lead)
    client.post(f"/goals/{goal.pk}/share/remove/", {"user": other_member.pk})
    client.force_login(other_member)
    assert client.get(f"/goals/{goal.pk}/").status_code == 404


def test_the_owner_records_progress_inline(client, q1, team, lead, member, teammate):
    goal = task_goal(q1, team, "Onboard", 4, by=lead, owner=member)
    client.force_login(member)
    page = client.get(f"/goals/{goal.pk}/")
    assert "Record progress" in page.text
    partial = client.post(
        f"/goals/{goal.pk}/progress/", {"tasks_done": "3"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200
    assert "Progress recorded." in partial.text
    assert "<html" not in partial.text
    assert goal.manual_entries.get().tasks_done == 3
    bad = client.post(
        f"/goals/{goal.pk}/progress/", {"tasks_done": "-1"}, headers={"HX-Request": "true"}
    )
    assert "greater than or equal to 0" in bad.text
    client.force_login(teammate)
    assert "Record progress" not in client.get(f"/goals/{goal.pk}/").text


def test_the_owner_ticks_milestones(client, q1, team, lead, member):
    goal = services.goal_create(
        period=q1,
        team=team,
        owner=member,
        name="Launch",
        goal_type="milestone",
        milestones=[{"name": "Plan"}, {"name": "Ship"}],
        created_by=lead,
    )
    plan = goal.milestones.get(name="Plan")
    client.force_login(member)
    client.post(f"/goals/{goal.pk}/milestones/{plan.pk}/tick/", {"done": "yes"})
    assert Milestone.objects.get(pk=plan.pk).done_at is not None


def test_a_child_goal_never_shows_its_private_parent(client, q1, team, lead, teammate):
    parent = team_goal(q1, team, lead, name="Secret team plan", visibility="private")
    child = nrr_goal(
        q1, by=lead, team=team, owner=teammate, parent=parent, name="My NRR", target="105"
    )
    client.force_login(teammate)
    page = client.get(f"/goals/{child.pk}/")
    assert "Cascades from a private goal." in page.text
    assert "Secret team plan" not in page.text
    period_page = client.get(f"/periods/{q1.pk}/")
    assert "from a private goal" in period_page.text
    assert "Secret team plan" not in period_page.text
    api = client.get(f"/api/goals/{child.pk}/").json()
    assert api["parent"] is None and api["parent_name"] == "Private goal"
    client.force_login(lead)
    assert "Secret team plan" in client.get(f"/goals/{child.pk}/").text


def test_the_period_page_lists_goals_by_team_in_a_fixed_number_of_queries(
    client, q1, team, other_team, lead, admin_user
):
    def queries():
        with CaptureQueriesContext(connection) as context:
            response = client.get(f"/periods/{q1.pk}/")
        assert response.status_code == 200
        return len(context)

    client.force_login(admin_user)
    team_goal(q1, team, lead)
    few = queries()
    for n in range(5):
        member = MembershipFactory(team=other_team).user
        task_goal(q1, other_team, f"Tasks {n}", 2, by=admin_user, owner=member)
    assert queries() == few
    page = client.get(f"/periods/{q1.pk}/")
    assert page.text.index("Enterprise") < page.text.index("SMB")


def test_edit_changes_plain_fields_and_leads_add_and_reorder_milestones(client, q1, team, lead):
    goal = services.goal_create(
        period=q1,
        team=team,
        name="Launch",
        goal_type="milestone",
        milestones=[{"name": "Plan"}, {"name": "Ship"}],
        created_by=lead,
    )
    client.force_login(lead)
    page = client.get(f"/goals/{goal.pk}/edit/")
    assert page.status_code == 200 and 'value="Launch"' in page.text
    data = {
        "name": "Launch v2",
        "description": "",
        "direction": "increase",
        "visibility": "private",
    }
    assert client.post(f"/goals/{goal.pk}/edit/", data).status_code == 302
    goal.refresh_from_db()
    assert (goal.name, goal.visibility, goal.show_in_leaderboard) == ("Launch v2", "private", False)
    added = client.post(
        f"/goals/{goal.pk}/milestones/",
        {"name": "Review", "weight": "1"},
        headers={"HX-Request": "true"},
    )
    assert "Review" in added.text and "<html" not in added.text
    outside = client.post(
        f"/goals/{goal.pk}/milestones/",
        {"name": "Late", "weight": "1", "due_date": "2026-05-01"},
        headers={"HX-Request": "true"},
    )
    assert "The due date must fall within the goal&#x27;s period" in outside.text
    ship = goal.milestones.get(name="Ship")
    client.post(f"/goals/{goal.pk}/milestones/{ship.pk}/move/", {"direction": "up"})
    assert list(goal.milestones.values_list("name", flat=True)) == ["Ship", "Plan", "Review"]


def test_a_lead_removes_a_milestone_and_the_progress_follows(
    client, q1, team, lead, member, other_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        goal = services.goal_create(
            period=q1,
            team=team,
            name="Launch",
            goal_type="milestone",
            milestones=[{"name": "Plan"}, {"name": "Ship"}, {"name": "Review", "weight": "2"}],
            created_by=lead,
        )
    plan, ship, review = goal.milestones.order_by("order")
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/goals/{goal.pk}/milestones/{plan.pk}/tick/", {"done": "yes"})
    goal.refresh_from_db()
    assert goal.progress == Decimal("25")

    page = client.get(f"/goals/{goal.pk}/edit/")
    assert f'action="/goals/{goal.pk}/milestones/{review.pk}/remove/"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.post(
            f"/goals/{goal.pk}/milestones/{review.pk}/remove/", headers={"HX-Request": "true"}
        )
    assert removed.status_code == 200 and "<html" not in removed.text
    assert "Review" not in removed.text and "Ship" in removed.text
    goal.refresh_from_db()
    assert list(goal.milestones.values_list("name", flat=True)) == ["Plan", "Ship"]
    assert goal.progress == Decimal("50")

    # A done milestone may go too; without HTMX the page comes back with a message.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/goals/{goal.pk}/milestones/{plan.pk}/remove/", follow=True)
    assert "Removed the milestone Plan." in response.text
    goal.refresh_from_db()
    assert list(goal.milestones.values_list("name", flat=True)) == ["Ship"]
    assert goal.progress == Decimal("0")

    # The last milestone stays: a milestone goal needs one.
    last = client.post(
        f"/goals/{goal.pk}/milestones/{ship.pk}/remove/", headers={"HX-Request": "true"}
    )
    assert "Ship is the goal&#x27;s only milestone" in last.text
    assert goal.milestones.count() == 1

    # Another goal's milestone, or one already gone, is a 404.
    assert client.post(f"/goals/{goal.pk}/milestones/{plan.pk}/remove/").status_code == 404


def test_a_member_cannot_remove_a_milestone(client, q1, team, lead, member, other_member):
    goal = services.goal_create(
        period=q1,
        team=team,
        owner=member,
        name="Launch",
        goal_type="milestone",
        milestones=[{"name": "Plan"}, {"name": "Ship"}],
        visibility="private",
        created_by=lead,
    )
    plan = goal.milestones.get(name="Plan")
    client.force_login(member)
    assert client.post(f"/goals/{goal.pk}/milestones/{plan.pk}/remove/").status_code == 403
    client.force_login(other_member)
    assert client.post(f"/goals/{goal.pk}/milestones/{plan.pk}/remove/").status_code == 404
    assert goal.milestones.count() == 2


def test_a_team_goal_chooses_its_objective_on_the_new_goal_form(
    client, q1, team, other_team, lead, member, admin_user
):
    company = objective_create(period=q1, name="Grow without losing logos", created_by=admin_user)
    objective_create(period=q1, team=other_team, name="SMB's own aim", created_by=admin_user)
    client.force_login(lead)
    page = client.get("/goals/new/", {"team": team.pk, "period": q1.pk}).text
    assert "Serves the objective" in page and company.name in page
    assert "SMB&#x27;s own aim" not in page and "SMB's own aim" not in page
    # An individual goal serves its team goal: the field goes when an owner is chosen.
    redrawn = client.post(
        "/goals/new/fields/", form(q1, team, owner=member.pk), headers={"HX-Request": "true"}
    )
    assert "Serves the objective" not in redrawn.text
    response = client.post(
        "/goals/new/", form(q1, team, objective=company.pk, baseline="100", target="110")
    )
    assert response.status_code == 302
    assert Goal.objects.get(name="Grow NRR").objective == company
