"""The goals REST API as a script with a personal token sees it: the contract, the rules, the
error bodies and the token scopes."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from goals import services
from goals.models import Adjustment, Goal
from goals_project.people.tokens import api_token_create
from tests.api_support import error, field_errors
from tests.builders import MembershipFactory, customer, nrr_goal, task_goal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mid_quarter")]

CREATE_FIELDS = {
    "period",
    "owner_type",
    "team",
    "user",
    "parent",
    "objective",
    "name",
    "description",
    "goal_type",
    "metric_name",
    "target_direction",
    "maintain_side",
    "unit",
    "baseline_value",
    "target_value",
    "stretch_target_value",
    "task_count_target",
    "weight",
    "visibility",
    "show_in_leaderboard",
    "milestones",
}


class Api:
    """A client that sends a bearer token and JSON."""

    def __init__(self, user, scopes=("read", "write")):
        self.client = Client()
        _, self.secret = api_token_create(user=user, name="test", scopes=list(scopes))

    def __getattr__(self, method):
        def call(url, data=None, **extra):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}", **extra}
            if method in ("post", "patch", "put"):
                kwargs["content_type"] = "application/json"
            func = getattr(self.client, method)
            return func(url, data, **kwargs) if data is not None else func(url, **kwargs)

        return call


def new_goal(api, q1, team, **fields):
    body = {
        "period": q1.pk,
        "team": team.pk,
        "name": "Grow NRR",
        "goal_type": "metric",
        "metric_name": "nrr",
        "baseline_value": "100",
        "target_value": "110",
    } | fields
    return api.post("/api/goals/", body)


def test_periods_admins_create_everyone_reads(admin_user, lead, q1):
    admin, lead_api = Api(admin_user), Api(lead)
    body = {
        "name": "Q2 2026",
        "period_type": "quarterly",
        "start_date": "2026-04-01",
        "end_date": "2026-06-30",
    }
    assert lead_api.post("/api/goal-periods/", body).status_code == 403
    created = admin.post("/api/goal-periods/", body)
    assert created.status_code == 201
    assert created.json() | {"id": 0} == {
        "id": 0,
        "name": "Q2 2026",
        "period_type": "quarterly",
        "start_date": "2026-04-01",
        "end_date": "2026-06-30",
        "status": "planning",
        "activated_at": None,
        "closed_at": None,
    }
    overlap = admin.post("/api/goal-periods/", body | {"name": "Again"})
    assert "overlap" in field_errors(overlap)["start_date"][0]
    listing = lead_api.get("/api/goal-periods/").json()
    assert listing["count"] == 2 and [p["name"] for p in listing["results"]] == [
        "Q2 2026",
        "Q1 2026",
    ]
    assert lead_api.get(f"/api/goal-periods/{q1.pk}/").json()["name"] == "Q1 2026"
    assert lead_api.get("/api/goal-periods/999999/").status_code == 404
    renamed = admin.patch(f"/api/goal-periods/{q1.pk}/", {"name": "Q1 FY26"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Q1 FY26"
    assert lead_api.patch(f"/api/goal-periods/{q1.pk}/", {"name": "x"}).status_code == 403


def test_a_lead_creates_a_goal_and_reads_it_back_with_strings_for_decimals(q1, team, lead, member):
    api = Api(lead)
    response = new_goal(api, q1, team, user=member.pk, stretch_target_value="112.5")
    assert response.status_code == 201, response.json()
    goal = response.json()
    assert goal["owner_type"] == "individual"
    assert goal["user"] == member.pk and goal["user_name"] == "Mo Member"
    assert goal["target_value"] == "110.0000" and goal["stretch_target_value"] == "112.5000"
    assert goal["target_direction"] == "increase" and goal["metric_name"] == "nrr"
    assert goal["goal_type"] == "metric" and goal["status"] in {"no_data", "behind", "on_track"}
    assert goal["url"] == f"/api/goals/{goal['id']}/"
    assert goal["created_at"].startswith("2026-02-15T12:00:00")
    assert api.get(f"/api/goals/{goal['id']}/").json()["name"] == "Grow NRR"


@pytest.mark.parametrize(
    "fields,errors",
    [
        ({"goal_type": "quest"}, {"goal_type": ['"quest" is not a valid choice.']}),
        ({"target_value": "abc"}, {"target_value": ["A valid number is required."]}),
        (
            {"baseline_value": "120"},
            {"target_value": ["A goal to increase needs a target above its baseline (120)."]},
        ),
        ({"metric_name": "churn"}, {"metric_name": None}),
        ({"period": 999999}, {"period": ['Invalid pk "999999" - object does not exist.']}),
        (
            {"target": "110"},
            {"target": [f"Unknown field: the fields are {', '.join(sorted(CREATE_FIELDS))}."]},
        ),
    ],
)
def test_bad_goal_input_answers_400_with_field_errors(q1, team, lead, fields, errors):
    body = field_errors(new_goal(Api(lead), q1, team, **fields))
    assert set(body) == set(errors)
    for field, messages in errors.items():
        assert messages is None or body[field] == messages
    assert not Goal.objects.exists()


def test_a_lead_may_not_create_goals_for_another_team_nor_a_member_at_all(
    q1, team, other_team, lead, member
):
    denied = new_goal(Api(lead), q1, other_team)
    assert denied.status_code == 403
    assert error(denied) == {
        "detail": "Only the team's leads and admins create goals for this team.",
        "code": "permission_denied",
        "errors": [],
    }
    assert new_goal(Api(member), q1, team).status_code == 403


def test_a_parent_the_caller_cannot_see_is_refused(q1, team, other_team, lead, admin_user):
    hidden = task_goal(q1, other_team, "SMB tasks", 2, by=admin_user)
    response = new_goal(Api(lead), q1, team, parent=hidden.pk)
    assert field_errors(response) == {"parent": ["No such goal, or you may not see it."]}


def test_the_list_filters_and_paginates_what_the_caller_may_see(
    q1, team, other_team, lead, member, teammate, admin_user
):
    for owner in (member, teammate):
        task_goal(q1, team, f"Tasks {owner.name}", 3, by=lead, owner=owner)
    task_goal(q1, team, "Private team", 3, by=lead, visibility="private")
    task_goal(q1, other_team, "SMB", 3, by=admin_user)
    api = Api(member)
    names = {g["name"] for g in api.get("/api/goals/").json()["results"]}
    assert names == {"Tasks Mo Member", "Tasks Tia Mate"}
    mine = api.get("/api/goals/", {"user": member.pk}).json()
    assert mine["count"] == 1 and mine["results"][0]["name"] == "Tasks Mo Member"
    assert api.get("/api/goals/", {"goal_type": "metric"}).json()["count"] == 0
    assert api.get("/api/goals/", {"owner_type": "team"}).json()["count"] == 0
    assert Api(lead).get("/api/goals/", {"team": team.pk}).json()["count"] == 3
    assert (
        Api(admin_user).get("/api/goals/", {"period": q1.pk, "status": "no_data"}).json()["count"]
        >= 0
    )
    bad = api.get("/api/goals/", {"period": "soon", "status": "great"})
    assert field_errors(bad) == {
        "period": ["A valid integer is required."],
        "status": ['"great" is not a valid choice.'],
    }
    page = Api(admin_user).get("/api/goals/", {"page": 99})
    assert page.status_code == 404 and error(page)["detail"] == "Invalid page."


def test_the_goal_list_costs_the_same_queries_for_many_goals(q1, other_team, admin_user):
    api = Api(admin_user)

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert api.get("/api/goals/").status_code == 200
        return len(context)

    task_goal(q1, other_team, "One", 1, by=admin_user)
    queries()  # the token's first use of the minute is recorded once; measure after it
    one = queries()
    for n in range(6):
        owner = MembershipFactory(team=other_team).user
        task_goal(q1, other_team, f"Goal {n}", 1, by=admin_user, owner=owner)
    assert queries() == one


def test_patch_needs_a_reason_for_adjusted_fields_and_records_it(q1, team, lead):
    api = Api(lead)
    goal = new_goal(api, q1, team).json()
    missing = api.patch(f"/api/goals/{goal['id']}/", {"target_value": "115"})
    assert field_errors(missing) == {"reason": ["A reason is required to change target_value."]}
    renamed = api.patch(f"/api/goals/{goal['id']}/", {"name": "NRR 2026"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "NRR 2026"
    adjusted = api.patch(
        f"/api/goals/{goal['id']}/", {"target_value": "115", "reason": "New pricing"}
    )
    assert adjusted.status_code == 200 and adjusted.json()["target_value"] == "115.0000"
    row = Adjustment.objects.get(goal_id=goal["id"])
    assert (row.field, row.old_value, row.new_value, row.reason) == (
        "target",
        "110",
        "115",
        "New pricing",
    )


def test_delete_archives_and_the_goal_is_gone_from_the_api(q1, team, lead, member):
    api = Api(lead)
    goal = new_goal(api, q1, team).json()
    assert Api(member).delete(f"/api/goals/{goal['id']}/").status_code == 403
    assert api.delete(f"/api/goals/{goal['id']}/").status_code == 204
    assert Goal.objects.get(pk=goal["id"]).archived_at is not None
    assert api.get(f"/api/goals/{goal['id']}/").status_code == 404


def test_manual_progress_and_refresh(q1, team, lead, member, teammate):
    goal = task_goal(q1, team, "Onboard", 4, by=lead, owner=member)
    owner = Api(member)
    assert (
        Api(teammate).post(f"/api/goals/{goal.pk}/progress/", {"tasks_done": 1}).status_code == 403
    )
    empty = owner.post(f"/api/goals/{goal.pk}/progress/", {})
    assert field_errors(empty) == {
        "current_value": ["Give a value, a number of tasks done or milestones done."]
    }
    assert owner.post(f"/api/goals/{goal.pk}/progress/", {"tasks_done": 2}).status_code == 201
    refreshed = owner.post(f"/api/goals/{goal.pk}/refresh/")
    assert refreshed.status_code == 200
    assert refreshed.json()["current_value"] == "2.0000"
    assert refreshed.json()["progress_percentage"] == "50.0000"
    progress = owner.get(f"/api/goals/{goal.pk}/progress/").json()
    assert progress["progress_percentage"] == "50.0000" and progress["goal"] == goal.pk


def test_milestones_done_through_the_api(q1, team, lead, member):
    goal = services.goal_create(
        period=q1,
        team=team,
        owner=member,
        name="Launch",
        goal_type="milestone",
        milestones=[{"name": "Plan"}, {"name": "Ship", "weight": "3"}],
        created_by=lead,
    )
    plan = goal.milestones.get(name="Plan")
    api = Api(member)
    unknown = api.post(f"/api/goals/{goal.pk}/progress/", {"milestones_done": [999999]})
    assert "no milestone 999999" in field_errors(unknown)["milestones_done"][0]
    assert (
        api.post(f"/api/goals/{goal.pk}/progress/", {"milestones_done": [plan.pk]}).status_code
        == 201
    )
    progress = api.post(f"/api/goals/{goal.pk}/refresh/").json()
    assert progress["progress_percentage"] == "25.0000"


def test_history_contributions_and_a_users_contributions(
    q1, team, lead, member, teammate, other_member
):
    customer(member, {date(2026, 1, 1): 300, date(2026, 2, 1): 330})
    customer(teammate, {date(2026, 1, 1): 100})
    goal = nrr_goal(q1, by=lead, team=team, name="Team NRR", target="105")
    api = Api(lead)
    assert api.post(f"/api/goals/{goal.pk}/refresh/").json()["current_value"] == "107.5000"
    history = api.get(f"/api/goals/{goal.pk}/history/", {"from": "2026-02-01", "to": "2026-02-28"})
    assert history.status_code == 200
    rows = history.json()["results"]
    assert rows and all("2026-02-01" <= row["as_of"] <= "2026-02-28" for row in rows)
    assert rows[-1]["value"] == "107.5000"
    reversed_window = api.get(
        f"/api/goals/{goal.pk}/history/", {"from": "2026-03-01", "to": "2026-02-01"}
    )
    assert "to" in field_errors(reversed_window)
    assert api.get(f"/api/goals/{goal.pk}/history/", {"from": "yesterday"}).status_code == 400
    contributions = api.get(f"/api/goals/{goal.pk}/contributions/").json()["results"]
    points = {row["user_name"]: Decimal(row["points"]) for row in contributions}
    assert points["Mo Member"] == Decimal("82.5000") and points["Tia Mate"] == Decimal("25.0000")
    mine = Api(member).get(f"/api/users/{member.pk}/contributions/").json()["results"]
    assert [(row["goal_name"], row["points"]) for row in mine] == [("Team NRR", "82.5000")]
    assert Api(other_member).get(f"/api/users/{member.pk}/contributions/").status_code == 404


def test_token_scopes_limit_what_a_token_does(q1, team, lead):
    reader = Api(lead, scopes=["read"])
    assert reader.get("/api/goals/").status_code == 200
    refused = new_goal(reader, q1, team)
    assert refused.status_code == 403
    assert error(refused)["detail"] == "This API token lacks the `write` scope."
    importer = Api(lead, scopes=["import"])
    assert importer.get("/api/goals/").status_code == 403


def test_session_calls_need_the_csrf_token(q1, team, lead):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)
    assert client.get("/api/goals/").status_code == 200
    response = client.post("/api/goals/", {}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in error(response)["detail"]


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/goal-periods/",
        "/api/goals/{id}/",
        "/api/goals/{id}/progress/",
        "/api/goals/{id}/refresh/",
        "/api/goals/{id}/history/",
        "/api/goals/{id}/contributions/",
        "/api/users/{user_id}/contributions/",
    ):
        assert path in paths
    assert set(paths["/api/goals/{id}/"]["patch"]["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "413",
        "415",
    }
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs.text
    assert "<script>" not in docs.text
    assert "cdn" not in docs.text.lower()


def test_unknown_api_paths_answer_json_and_a_missing_slash_redirects(client, lead):
    client.force_login(lead)
    for path in ("/api/goals/0.5/", "/api/goals/99999999999999999999999/", "/api/nothing/"):
        response = client.get(path)
        assert response.status_code == 404
        assert error(response)["code"] == "not_found"
    assert client.delete("/api/goals/abc/").status_code == 404
    redirect = client.get("/api/goals")
    assert redirect.status_code == 301 and redirect.url == "/api/goals/"


def test_a_page_must_be_one_number_and_text_must_be_text(q1, team, lead, member):
    api = Api(lead)
    for query in ("page=", "page=1&page=2", "page=x"):
        response = api.get(f"/api/goals/?{query}")
        assert response.status_code == 404 and error(response)["detail"] == "Invalid page."
    assert api.get("/api/goals/?page=1").status_code == 200
    refused = new_goal(api, q1, team, name=7)
    assert field_errors(refused) == {"name": ["Not a valid string."]}


def test_decimals_are_numbers_or_strings_in_and_strings_out(q1, team, lead):
    api = Api(lead)
    # JSON numbers are parsed exactly (0.1 + 0.2 style floats never happen on the way in).
    created = api.post(
        "/api/goals/",
        f'{{"period": {q1.pk}, "team": {team.pk}, "name": "Exact", "goal_type": "metric",'
        ' "metric_name": "nrr", "baseline_value": 100.1, "target_value": 110.3,'
        ' "stretch_target_value": 1.123e2, "weight": 1}',
    )
    assert created.status_code == 201, created.json()
    goal = created.json()
    assert (goal["baseline_value"], goal["target_value"], goal["stretch_target_value"]) == (
        "100.1000",
        "110.3000",
        "112.3000",
    )
    assert goal["weight"] == "1.00"
    stored = Goal.objects.get(pk=goal["id"])
    assert stored.target == Decimal("110.3") and stored.baseline == Decimal("100.1")
    for refused_value in (True, "١١٠", "1_10", [110], {"v": 1}):
        refused = new_goal(api, q1, team, name="Again", target_value=refused_value)
        assert set(field_errors(refused)) == {"target_value"}, refused_value
    too_precise = new_goal(api, q1, team, name="Again", target_value=110.00001)
    assert set(field_errors(too_precise)) == {"target_value"}
    not_json = api.post("/api/goals/", '{"target_value": NaN}')
    assert not_json.status_code == 400 and error(not_json)["code"] == "parse_error"


def test_unknown_fields_are_refused_by_name(q1, team, lead):
    api = Api(lead)
    refused = new_goal(api, q1, team, colour="blue", targte_value="9")
    assert set(field_errors(refused)) == {"colour", "targte_value"}
    goal = new_goal(api, q1, team).json()
    patch = api.patch(f"/api/goals/{goal['id']}/", {"nickname": "x"})
    assert set(field_errors(patch)) == {"nickname"}
    assert not Goal.objects.filter(name="x").exists()


def test_page_size_up_to_the_documented_maximum(q1, team, lead, admin_user):
    for number in range(3):
        task_goal(q1, team, f"Tasks {number}", 3, by=lead)
    api = Api(admin_user)
    page = api.get("/api/goals/", {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and "page_size=2" in page["next"]
    assert len(api.get("/api/goals/", {"page_size": 200}).json()["results"]) == 3
    for bad in ("0", "201", "abc", "-1"):
        assert set(field_errors(api.get("/api/goals/", {"page_size": bad}))) == {"page_size"}


def test_malformed_and_oversize_bodies_answer_the_error_shape(lead, settings):
    api = Api(lead)
    malformed = api.post("/api/goals/", '{"name": ')
    assert malformed.status_code == 400 and error(malformed)["code"] == "parse_error"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    oversize = api.post("/api/goals/", '{"name": "%s"}' % ("x" * 2000))
    assert oversize.status_code == 413 and error(oversize)["code"] == "too_large"
    assert oversize["Content-Type"] == "application/json"
