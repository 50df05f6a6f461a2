"""The permission matrix of team and person pages: every role against every page and API that
opens a team or a person (goals_project/people/access.py). A page the role may not open is a
404, as if the team or person did not exist; a team setting a member may see but not change is
a 403."""

import pytest
from django.test import Client

from goals_project.people.access import MAX_ID, parse_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _period(quarter):
    """A current period, so that dashboards have one to show."""


ROLES = ("admin_user", "lead", "member", "teammate", "other_member", "outsider")


def _expect(allowed: set[str], refused: int = 404) -> list[tuple[str, int]]:
    return [(role, 200 if role in allowed else refused) for role in ROLES]


TEAM_MEMBERS = {"admin_user", "lead", "member", "teammate"}
TEAM_PAGES = {
    "team dashboard": "/teams/{team}/",
    "team dashboard API": "/api/goals/dashboard/team?team={team}",
    "team's leaderboard": "/leaderboard/?team={team}",
    "celebrations": "/recognition/teams/{team}/celebrations/",
    "highlights": "/recognition/teams/{team}/highlights/",
    "period summaries": "/recognition/teams/{team}/summaries/",
}

# The person is `member`: their dashboard is for themself, their lead and admins; their badges
# and contributions also for their teammates.
PERSON_PAGES = {
    "person dashboard": ("/people/{person}/", {"admin_user", "lead", "member"}),
    "person dashboard API": (
        "/api/goals/dashboard/individual?user={person}",
        {"admin_user", "lead", "member"},
    ),
    "badges": ("/recognition/people/{person}/badges/", TEAM_MEMBERS),
    "contributions API": ("/api/users/{person}/contributions/", TEAM_MEMBERS),
}


def _client(request, role: str) -> Client:
    client = Client()
    client.force_login(request.getfixturevalue(role))
    return client


@pytest.mark.parametrize(
    ("page", "role", "status"),
    [(page, role, status) for page in TEAM_PAGES for role, status in _expect(TEAM_MEMBERS)],
)
def test_team_pages_open_for_the_team_and_admins_only(
    request, team, other_team, page, role, status
):
    url = TEAM_PAGES[page].format(team=team.pk)
    assert _client(request, role).get(url).status_code == status


@pytest.mark.parametrize(
    ("page", "role", "status"),
    [
        (page, role, status)
        for page, (_, allowed) in PERSON_PAGES.items()
        for role, status in _expect(allowed)
    ],
)
def test_person_pages_open_for_who_may_see_the_person(
    request, member, teammate, other_member, lead, page, role, status
):
    url = PERSON_PAGES[page][0].format(person=member.pk)
    assert _client(request, role).get(url).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin_user", 302), ("lead", 302), ("member", 403), ("teammate", 403)]
    + [("other_member", 404), ("outsider", 404)],
)
def test_a_teams_leaderboard_settings_are_its_leads_and_admins(
    request, team, member, teammate, other_member, role, status
):
    response = _client(request, role).post(
        f"/leaderboard/settings/{team.pk}/", {"enabled": "on", "ranks_by": "progress"}
    )
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == f"/leaderboard/?team={team.pk}"


@pytest.mark.parametrize(("role", "status"), _expect({"admin_user", "lead"}))
def test_program_health_is_for_leads_and_admins(request, team, member, role, status):
    assert _client(request, role).get("/health/").status_code == status


@pytest.mark.parametrize(
    "url",
    [
        "/teams/{huge}/",
        "/recognition/teams/{huge}/summaries/",
        "/people/{huge}/",
        "/recognition/people/{huge}/badges/",
        "/api/users/{huge}/contributions/",
    ],
)
def test_an_id_too_large_to_exist_is_a_404(admin_user, url):
    client = Client()
    client.force_login(admin_user)
    assert client.get(url.format(huge=MAX_ID + 1)).status_code == 404


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("12", 12), (12, 12), (" 7", 7), ("0", None), ("-3", None), ("1.5", None), ("x", None)]
    + [("", None), (None, None), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None)],
)
def test_one_id_parser(raw, parsed):
    assert parse_id(raw) == parsed
