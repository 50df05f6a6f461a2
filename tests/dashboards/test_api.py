from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.models import LeaderboardSetting
from goals.models import Goal
from tests.api_support import field_errors
from tests.builders import MembershipFactory, calculated_goal

pytestmark = pytest.mark.django_db


@pytest.fixture
def goals(team, quarter, teammate, book):
    calculated_goal(
        team,
        quarter,
        owner=teammate,
        name="Tia secret",
        progress=Decimal("90"),
        visibility=Goal.Visibility.PRIVATE,
    )
    Goal.objects.filter(name="Mo NRR").update(progress=Decimal("80"))
    return book


def test_team_dashboard_has_the_pages_numbers_and_visibility(client, member, team, goals):
    client.force_login(member)
    response = client.get("/api/goals/dashboard/team", {"team": team.pk})
    assert response.status_code == 200
    data = response.json()
    assert data["team"] == {"id": team.pk, "name": "Enterprise"}
    assert data["period"]["name"] == "Q4 2026"
    assert [goal["name"] for goal in data["goals"]] == ["Mo NRR", "Team NRR"]
    assert data["total_goals"] == 2
    team_row = data["goals"][1]
    assert team_row["current_value"] == "103.7000" and team_row["status"] == "on_track"
    assert team_row["target_value"] == "105.0000"
    assert team_row["stretch_target_value"] == "108.0000"
    assert (team_row["owner_type"], team_row["user"], team_row["metric_name"]) == (
        "team",
        None,
        "nrr",
    )
    filtered = client.get("/api/goals/dashboard/team", {"status": "at_risk"}).json()
    assert [goal["name"] for goal in filtered["goals"]] == ["Mo NRR"]
    teams_only = client.get("/api/goals/dashboard/team", {"owner_type": "team"}).json()
    assert [goal["name"] for goal in teams_only["goals"]] == ["Team NRR"]
    mine = client.get("/api/goals/dashboard/team", {"user": member.pk}).json()
    assert [goal["name"] for goal in mine["goals"]] == ["Mo NRR"]


def test_individual_dashboard_explains_contributions(client, member, lead, teammate, goals):
    client.force_login(member)
    data = client.get("/api/goals/dashboard/individual").json()
    assert data["user"]["name"] == "Mo Member"
    assert data["contributions"][0]["points"] == "38.1000"
    assert data["contributions"][0]["sentence"].startswith(
        "Your book: NRR 104.2% on $1.2M starting ARR = 38.1 points"
    )
    assert client.get("/api/goals/dashboard/individual", {"user": teammate.pk}).status_code == 404
    client.force_login(lead)
    assert client.get("/api/goals/dashboard/individual", {"user": member.pk}).status_code == 200


def test_leaderboard_api_ranks_and_hides_what_the_page_hides(client, member, team, goals):
    LeaderboardSetting.objects.create(team=team, enabled=True, ranks_by="progress")
    client.force_login(member)
    data = client.get("/api/goals/leaderboard").json()
    assert data["enabled"] is True and data["metric_name"] == "nrr"
    assert [(e["rank"], e["user_name"]) for e in data["entries"]] == [(1, "Mo Member")]


@pytest.mark.parametrize(
    ("url", "query", "code"),
    [
        ("/api/goals/dashboard/team", {"team": "x"}, 400),
        ("/api/goals/dashboard/team", {"status": "lost"}, 400),
        ("/api/goals/dashboard/team", {"period": 99999}, 404),
        ("/api/goals/leaderboard", {"team": "everyone"}, 400),
        ("/api/goals/dashboard/team", {"team": 2**63}, 400),
        ("/api/goals/dashboard/individual", {"user": 2**70}, 400),
        ("/api/goals/dashboard/team", {"status": ""}, 400),
    ],
)
def test_bad_parameters_name_the_field(client, member, goals, url, query, code):
    client.force_login(member)
    response = client.get(url, query)
    assert response.status_code == code
    if code == 400:
        assert set(field_errors(response)) == set(query)


def test_other_team_and_anonymous(client, other_member, team, goals):
    anonymous = client.get("/api/goals/dashboard/team", {"team": team.pk})
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert anonymous["WWW-Authenticate"] == "Bearer"
    client.force_login(other_member)
    assert client.get("/api/goals/dashboard/team", {"team": team.pk}).status_code == 404
    assert client.get("/api/goals/leaderboard", {"team": team.pk}).status_code == 404


def test_endpoints_are_in_the_openapi_schema(client, member):
    client.force_login(member)
    schema = client.get("/api/schema/", headers={"Accept": "application/json"}).content.decode()
    for path in (
        "/api/goals/dashboard/team",
        "/api/goals/dashboard/individual",
        "/api/goals/leaderboard",
    ):
        assert path in schema


def test_team_dashboard_api_query_count_does_not_grow(
    client, django_assert_num_queries, lead, team, quarter, goals
):
    client.force_login(lead)

    def add(count):
        for _ in range(count):
            owner = MembershipFactory(team=team).user
            calculated_goal(team, quarter, owner=owner, name=f"NRR {owner.name}")

    with CaptureQueriesContext(connection) as few:
        client.get("/api/goals/dashboard/team")
    add(8)
    with django_assert_num_queries(len(few)):
        client.get("/api/goals/dashboard/team")
