"""The recognition API: list achievements, acknowledge, celebrate; same rules as the pages."""

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from goals.models import Goal
from goals_project.people.tokens import api_token_create
from recognition.models import Achievement, Celebration
from tests.api_support import error, field_errors
from tests.builders import GoalFactory, reach


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def win(member_goal):
    reach(member_goal, Goal.Status.EXCEEDED, value="91")
    return Achievement.objects.get(goal=member_goal, kind="exceeded")


@time_machine.travel(dt.datetime(2026, 12, 29, 15, 0, tzinfo=dt.UTC), tick=False)
def test_list_shows_visible_achievements_with_filters(api, win, team_goal, member, other_member):
    reach(team_goal, Goal.Status.ACHIEVED, value="106")
    api.force_authenticate(member)

    everything = api.get("/api/goals/achievements").json()
    assert everything["count"] == 3
    first = everything["results"][0]
    assert first["summary"] == "Enterprise reached the target of “Team NRR”, 2 days early"
    assert first["goal"]["team_name"] == "Enterprise"
    assert first["achievement_type"] == "achieved"
    assert {person["email"] for person in first["credited"]} == {
        "lead@example.com",
        "member@example.com",
        "mate@example.com",
    }
    exceeded = api.get("/api/goals/achievements/", {"achievement_type": "exceeded"}).json()
    assert [row["id"] for row in exceeded["results"]] == [win.pk]
    assert exceeded["results"][0]["value"] == "91.0000"
    assert exceeded["results"][0]["you_celebrated"] is False

    api.force_authenticate(other_member)
    assert api.get("/api/goals/achievements").json()["count"] == 0


def test_list_rejects_a_bad_filter_naming_it(api, member):
    api.force_authenticate(member)
    response = api.get("/api/goals/achievements", {"achievement_type": "huge"})
    assert set(field_errors(response)) == {"achievement_type"}


def test_list_does_not_query_per_achievement(
    api, quarter, team, member, teammate, django_assert_max_num_queries
):
    for number in range(6):
        goal = GoalFactory(period=quarter, team=team, owner=teammate, name=f"G{number}")
        reach(goal, Goal.Status.ACHIEVED)
    api.force_authenticate(member)
    with django_assert_max_num_queries(4):
        response = api.get("/api/goals/achievements")
    assert response.json()["count"] == 6


def test_celebrate_once_then_409(api, win, teammate):
    api.force_authenticate(teammate)
    created = api.post(f"/api/achievements/{win.pk}/celebrate", {"message": "Wow"}, format="json")
    assert created.status_code == 201
    assert created.json()["message"] == "Wow"
    assert created.json()["user"]["email"] == "mate@example.com"

    again = api.post(f"/api/achievements/{win.pk}/celebrate/", {}, format="json")
    assert again.status_code == 409
    assert error(again) == {
        "detail": "You have already celebrated this achievement.",
        "code": "conflict",
        "errors": [],
    }
    assert Celebration.objects.count() == 1
    listed = api.get("/api/goals/achievements", {"achievement_type": "exceeded"}).json()["results"][
        0
    ]
    assert (listed["celebration_count"], listed["you_celebrated"]) == (1, True)


def test_celebrate_validates_the_message(api, win, teammate):
    api.force_authenticate(teammate)
    response = api.post(
        f"/api/achievements/{win.pk}/celebrate", {"message": "x" * 141}, format="json"
    )
    assert set(field_errors(response)) == {"message"}


@pytest.mark.parametrize(
    ("persona", "acknowledge", "celebrate"),
    [
        ("member", 200, 403),
        ("teammate", 403, 201),
        ("lead", 403, 201),
        ("admin_user", 403, 201),
        ("other_member", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_permission_matrix(api, request, win, persona, acknowledge, celebrate):
    api.force_authenticate(request.getfixturevalue(persona))
    response = api.post(f"/api/achievements/{win.pk}/acknowledge")
    assert response.status_code == acknowledge
    if acknowledge == 200:
        assert response.json()["acknowledged_at"] is not None
    assert api.post(f"/api/achievements/{win.pk}/celebrate").status_code == celebrate


def test_unknown_achievement_is_404_and_anonymous_is_refused(api, member):
    anonymous = api.get("/api/goals/achievements")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert anonymous["WWW-Authenticate"] == "Bearer"
    api.force_authenticate(member)
    assert api.post("/api/achievements/999999/acknowledge").status_code == 404


def test_the_endpoints_are_documented(api, member):
    api.force_authenticate(member)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/goals/achievements",
        "/api/achievements/{achievement_id}/acknowledge",
        "/api/achievements/{achievement_id}/celebrate",
    ):
        assert path in schema
    assert "Celebrate an achievement (a kudos, once per person)" in schema


def test_a_read_token_lists_but_cannot_celebrate(win, teammate):
    _, read_secret = api_token_create(user=teammate, name="read", scopes=["read"])
    _, write_secret = api_token_create(user=teammate, name="write", scopes=["read", "write"])
    reader = APIClient(HTTP_AUTHORIZATION=f"Bearer {read_secret}")
    writer = APIClient(HTTP_AUTHORIZATION=f"Bearer {write_secret}")

    assert reader.get("/api/goals/achievements").json()["count"] == 2
    refused = reader.post(f"/api/achievements/{win.pk}/celebrate", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This API token lacks the `write` scope."
    assert (
        writer.post(f"/api/achievements/{win.pk}/celebrate", {}, format="json").status_code == 201
    )


def test_the_list_is_documented_as_the_page_it_returns(api, member):
    api.force_authenticate(member)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    ok = schema["paths"]["/api/goals/achievements/"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert page["type"] == "object"
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["items"]["$ref"].endswith("/Achievement")
    body = api.get("/api/goals/achievements").json()
    assert set(body) == set(page["properties"])


@pytest.mark.sqlite_parity
@pytest.mark.parametrize("name", ["period", "team", "goal"])
@pytest.mark.parametrize("value", ["99999999999999999999", str(2**63), "0", "-1", ""])
def test_list_refuses_an_impossible_id_naming_the_filter(api, member, name, value):
    api.force_authenticate(member)
    response = api.get("/api/goals/achievements", {name: value})
    assert list(field_errors(response)) == [name]


@pytest.mark.sqlite_parity
@pytest.mark.parametrize("achievement_id", ["99999999999999999999", str(2**63), "0"])
@pytest.mark.parametrize("action", ["acknowledge", "celebrate"])
def test_an_impossible_achievement_id_is_404(api, member, achievement_id, action):
    api.force_authenticate(member)
    response = api.post(f"/api/achievements/{achievement_id}/{action}", {}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_celebrate_takes_a_json_object_only(api, win, teammate):
    api.force_authenticate(teammate)
    url = f"/api/achievements/{win.pk}/celebrate"
    form = api.post(url, {"message": "Wow"}, format="multipart")
    assert form.status_code == 415
    assert "multipart/form-data" in form.json()["detail"]
    not_an_object = api.post(url, "false", content_type="application/json")
    assert not_an_object.status_code == 400
    assert "Expected a dictionary" in error(not_an_object)["detail"]
    assert not Celebration.objects.filter(achievement=win).exists()
