"""Objectives: who sees and sets them, aligning team goals (audited), the roll-up's rules and the
/api/objectives/ resource."""

from datetime import date
from decimal import Decimal

import pytest
from django.http import Http404

from goals import objectives, services
from goals.access import get_objective_for_user, visible_objectives
from goals.models import Adjustment, Goal, GoalPeriod
from goals.objectives import goal_align, objective_create, roll_up
from goals.recalc import recalculate_goals
from tests.api_support import error, field_errors
from tests.builders import D, nrr_goal, task_goal

from .test_api_goals import Api

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mid_quarter")]

TODAY = date(2026, 2, 15)  # mid_quarter: 46 of Q1's 90 days


def company_objective(period, *, by, name="Grow enterprise without losing logos", **kwargs):
    return objective_create(period=period, name=name, created_by=by, **kwargs)


# --- the roll-up's rules (pure: goals as the recalculation left them) --------------------------


def stored(period, *, progress, weight="1", direction="increase", expected=None, **fields):
    return Goal(
        period=period,
        goal_type="metric",
        direction=direction,
        progress=None if progress is None else D(progress),
        expected_progress=None if expected is None else D(expected),
        weight=D(weight),
        target=fields.pop("target", D(100)),
        baseline=fields.pop("baseline", D(90)),
        **fields,
    )


def test_roll_up_is_the_weighted_progress_with_the_goals_status_rules(q1):
    goals = [
        stored(q1, progress="80", weight="3", expected="50"),
        stored(q1, progress="20", weight="1", expected="50"),
        stored(q1, progress=None, weight="5"),  # no data yet: not counted
    ]
    result = roll_up(goals, today=TODAY)
    assert result.progress == Decimal("65.0000")  # (3 x 80 + 20) / 4
    assert result.expected_progress == Decimal("50.0000")
    assert result.status == Goal.Status.ON_TRACK
    assert result.counted == 2 and not result.withheld and result.note == ""
    behind = roll_up([stored(q1, progress="10", expected="50")], today=TODAY)
    assert behind.status == Goal.Status.BEHIND


def test_a_maintain_goal_that_holds_counts_as_on_pace_until_the_period_ends(q1):
    floor = stored(q1, progress="100", direction="maintain", target=D(90), baseline=None)
    breached = stored(q1, progress="0", direction="maintain", target=D(90), baseline=None)
    elapsed = Decimal(46) / Decimal(90) * 100
    held = roll_up([floor], today=TODAY)
    assert held.progress == elapsed.quantize(Decimal("0.0001"))
    assert held.status == Goal.Status.ON_TRACK  # never "achieved" before the period ends
    assert roll_up([floor, breached], today=TODAY).status == Goal.Status.BEHIND
    after = roll_up([floor], today=date(2026, 4, 2))
    assert (after.progress, after.status) == (Decimal("100.0000"), Goal.Status.ACHIEVED)


def test_one_hidden_goal_withholds_the_figure_two_only_add_the_note(q1):
    goals = [stored(q1, progress="80"), stored(q1, progress="20"), stored(q1, progress="50")]
    one = roll_up(goals, today=TODAY, hidden=1)
    assert one.withheld and one.progress is None and one.forecast_progress is None
    assert one.note == "includes goals you cannot see"
    two = roll_up(goals, today=TODAY, hidden=2)
    assert not two.withheld and two.progress == Decimal("50.0000")
    assert two.note == "includes goals you cannot see"


# --- services ------------------------------------------------------------------------------


def test_objectives_are_checked_field_by_field(q1, admin_user, team, lead, other_member):
    with pytest.raises(services.ValidationError) as caught:
        company_objective(q1, by=admin_user, name="two\nlines", visibility="secret")
    assert set(caught.value.message_dict) == {"name", "visibility"}
    with pytest.raises(services.ValidationError) as caught:
        objective_create(period=q1, team=team, name="Renew", created_by=lead, owners=[other_member])
    assert caught.value.message_dict["owners"] == [
        "Otto Other is not on Enterprise: a team objective is owned by people of that team."
    ]
    closed = services.period_create(
        name="Q4 2025",
        period_type="quarterly",
        start=date(2025, 10, 1),
        end=date(2025, 12, 31),
        status=GoalPeriod.Status.COMPLETED,
    )
    with pytest.raises(services.ValidationError) as caught:
        company_objective(closed, by=admin_user)
    assert "completed" in caught.value.message_dict["period"][0]


def test_only_team_goals_of_the_period_and_level_align(
    q1, admin_user, team, other_team, lead, member
):
    company = company_objective(q1, by=admin_user)
    theirs = objective_create(period=q1, team=other_team, name="SMB aim", created_by=admin_user)
    team_goal = nrr_goal(q1, by=lead, team=team)
    mine = nrr_goal(q1, by=lead, owner=member, parent=team_goal, name="My NRR")
    for goal, objective, says in (
        (mine, company, "Only a team goal aligns"),
        (team_goal, theirs, "is an objective of SMB"),
    ):
        with pytest.raises(services.ValidationError) as caught:
            goal_align(goal=goal, objective=objective, by=lead)
        assert says in caught.value.message_dict["objective"][0]
    q2 = services.period_create(
        name="Q2 2026", period_type="quarterly", start=date(2026, 4, 1), end=date(2026, 6, 30)
    )
    later = company_objective(q2, by=admin_user, name="Later")
    with pytest.raises(services.ValidationError) as caught:
        goal_align(goal=team_goal, objective=later, by=lead)
    assert "of its own period (Q1 2026)" in caught.value.message_dict["objective"][0]


def test_a_move_is_audited(q1, admin_user, team, lead):
    first = company_objective(q1, by=admin_user, name="Keep logos")
    second = company_objective(q1, by=admin_user, name="Grow accounts")
    goal = task_goal(q1, team, "Run EBRs", 4, by=lead, objective=first)
    goal_align(goal=goal, objective=second, by=lead)
    goal_align(goal=goal, objective=None, by=lead, reason="Not an aim this quarter")
    rows = list(Adjustment.objects.filter(goal=goal, field="objective").order_by("pk"))
    assert [(row.old_value, row.new_value, row.reason, row.changed_by) for row in rows] == [
        ("Keep logos", "Grow accounts", "Alignment changed.", lead),
        ("Grow accounts", "", "Not an aim this quarter", lead),
    ]


# --- who sees what ---------------------------------------------------------------------------


def test_visibility_of_objectives(q1, admin_user, team, other_team, lead, member, other_member):
    company = company_objective(q1, by=admin_user)
    private = company_objective(q1, by=admin_user, name="Board only", visibility="private")
    ours = objective_create(period=q1, team=team, name="Ours", created_by=lead)
    our_private = objective_create(
        period=q1, team=team, name="Leads' aim", created_by=lead, visibility="private"
    )
    owned = company_objective(
        q1, by=admin_user, name="Member owns", visibility="private", owners=[member]
    )
    seen = {
        user: set(visible_objectives(user).values_list("name", flat=True))
        for user in (admin_user, lead, member, other_member)
    }
    assert seen[admin_user] == {o.name for o in (company, private, ours, our_private, owned)}
    assert seen[lead] == {company.name, ours.name, our_private.name}
    assert seen[member] == {company.name, ours.name, owned.name}
    assert seen[other_member] == {company.name}
    with pytest.raises(Http404):
        get_objective_for_user(other_member, ours.pk)


# --- the API ---------------------------------------------------------------------------------


def test_api_lists_objectives_with_their_roll_up_for_the_reader(
    q1, admin_user, team, lead, member, teammate
):
    objective = company_objective(q1, by=admin_user, owners=[lead])
    public = task_goal(q1, team, "Run EBRs", 4, by=lead, objective=objective)
    hidden = task_goal(q1, team, "Fix churn list", 2, by=lead, objective=objective)
    hidden.visibility = Goal.Visibility.PRIVATE
    hidden.save(update_fields=["visibility"])
    services.manual_entry_add(goal=public, by=lead, tasks_done=2)  # 50%
    services.manual_entry_add(goal=hidden, by=lead, tasks_done=2)  # 100%
    recalculate_goals([public.pk, hidden.pk])

    as_lead = Api(lead).get("/api/objectives/").json()["results"][0]
    assert as_lead["level"] == "company" and as_lead["owner_names"] == ["Lena Lead"]
    assert as_lead["progress_percentage"] == "75.0000"
    assert not as_lead["includes_hidden_goals"]
    assert [goal["name"] for goal in as_lead["aligned_goals"]] == ["Fix churn list", "Run EBRs"]

    as_member = Api(member).get(f"/api/objectives/{objective.pk}/").json()
    assert [goal["name"] for goal in as_member["aligned_goals"]] == ["Run EBRs"]
    assert as_member["includes_hidden_goals"] and as_member["progress_withheld"]
    assert as_member["progress_percentage"] is None  # 75 and 50 would give away the 100


def test_api_creates_and_changes_objectives_by_role(q1, admin_user, team, other_team, lead):
    created = Api(admin_user).post(
        "/api/objectives/",
        {"period": q1.pk, "name": "Grow enterprise", "owners": [lead.pk]},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["level"], body["owners"], body["status"]) == ("company", [lead.pk], "no_data")

    as_lead = Api(lead)
    refused = as_lead.post("/api/objectives/", {"period": q1.pk, "name": "Company-wide"})
    assert refused.status_code == 403
    assert "Only admins set company objectives" in error(refused)["detail"]
    ours = as_lead.post("/api/objectives/", {"period": q1.pk, "team": team.pk, "name": "Ours"})
    assert ours.status_code == 201 and ours.json()["team_name"] == "Enterprise"

    bad = as_lead.patch(f"/api/objectives/{ours.json()['id']}/", {"name": "a\tb"})
    assert "one line" in field_errors(bad)["name"][0]
    renamed = as_lead.patch(f"/api/objectives/{ours.json()['id']}/", {"name": "Renew every logo"})
    assert renamed.json()["name"] == "Renew every logo"
    not_theirs = as_lead.patch(f"/api/objectives/{body['id']}/", {"name": "Mine now"})
    assert not_theirs.status_code == 403

    smb = objective_create(period=q1, team=other_team, name="SMB", created_by=admin_user)
    for method in ("get", "patch"):
        missing = getattr(as_lead, method)(f"/api/objectives/{smb.pk}/", {})
        assert missing.status_code == 404
        assert error(missing)["detail"] == "No such objective, or you may not see it."


def test_api_aligns_a_goal_and_refuses_an_objective_it_may_not_see(
    q1, admin_user, team, other_team, lead
):
    objective = company_objective(q1, by=admin_user)
    smb = objective_create(period=q1, team=other_team, name="SMB", created_by=admin_user)
    goal = nrr_goal(q1, by=lead, team=team)
    api = Api(lead)
    assert (
        "may not see"
        in field_errors(api.patch(f"/api/goals/{goal.pk}/", {"objective": smb.pk}))["objective"][0]
    )
    moved = api.patch(f"/api/goals/{goal.pk}/", {"objective": objective.pk})
    assert moved.status_code == 200
    assert (moved.json()["objective"], moved.json()["objective_name"]) == (
        objective.pk,
        objective.name,
    )
    aligned = api.get(f"/api/objectives/{objective.pk}/").json()["aligned_goals"]
    assert [row["id"] for row in aligned] == [goal.pk]
    assert Adjustment.objects.filter(goal=goal, field="objective").count() == 1


def test_api_goals_name_their_objective_only_to_who_may_see_it(q1, team, lead, member):
    aim = objective_create(
        period=q1, team=team, name="Leads' aim", created_by=lead, visibility="private"
    )
    aligned = task_goal(q1, team, "Run EBRs", 4, by=lead, objective=aim)
    task_goal(q1, team, "Not aligned", 2, by=lead)

    def objectives_of(user):
        listed = Api(user).get("/api/goals/").json()["results"]
        one = Api(user).get(f"/api/goals/{aligned.pk}/").json()
        rows = {row["name"]: (row["objective"], row["objective_name"]) for row in listed}
        return rows, (one["objective"], one["objective_name"])

    assert objectives_of(lead) == (
        {"Run EBRs": (aim.pk, "Leads' aim"), "Not aligned": (None, None)},
        (aim.pk, "Leads' aim"),
    )
    assert objectives_of(member) == (
        {"Run EBRs": (None, "Private objective"), "Not aligned": (None, None)},
        (None, "Private objective"),
    )


def test_objective_list_reads_a_fixed_number_of_queries(
    q1, admin_user, team, lead, django_assert_max_num_queries
):
    for index in range(6):
        objective = company_objective(q1, by=admin_user, name=f"Aim {index}", owners=[lead])
        task_goal(q1, team, f"Goal {index}", 3, by=lead, objective=objective)
    api = Api(lead)
    with django_assert_max_num_queries(12):
        response = api.get("/api/objectives/")
    assert len(response.json()["results"]) == 6
    assert objectives.UNSEEN_NOTE == "includes goals you cannot see"


# --- Django admin ----------------------------------------------------------------------------


def test_admins_set_objectives_in_django_admin_with_the_services_rules(
    client, q1, admin_user, team, lead, other_member
):
    client.force_login(admin_user)
    form = {"period": q1.pk, "team": team.pk, "name": "Renew\tall", "visibility": "public"}
    refused = client.post("/admin/goals/objective/add/", {**form, "owners": [other_member.pk]})
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "An objective&#x27;s name is one line" in page
    assert "Otto Other is not on Enterprise" in page
    created = client.post(
        "/admin/goals/objective/add/", {**form, "name": "Renew all", "owners": [lead.pk]}
    )
    assert created.status_code == 302
    objective = visible_objectives(admin_user).get(name="Renew all")
    assert list(objective.owners.all()) == [lead] and objective.created_by == admin_user

    goal = task_goal(q1, team, "Run EBRs", 4, by=lead)
    change = client.get(f"/admin/goals/goal/{goal.pk}/change/")
    assert change.status_code == 200
    fields = change.context["adminform"].form.initial
    data = {
        key: value
        for key, value in fields.items()
        if value is not None and not isinstance(value, list | dict)
    }
    data |= {"objective": objective.pk, "_save": "Save"}
    data |= {
        f"{prefix}-{key}": value
        for prefix in ("milestones", "adjustments", "history")
        for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))
    }
    client.post(f"/admin/goals/goal/{goal.pk}/change/", data)
    goal.refresh_from_db()
    assert goal.objective == objective
    audit = Adjustment.objects.get(goal=goal, field="objective")
    assert (audit.new_value, audit.reason) == ("Renew all", "Changed in the admin.")
