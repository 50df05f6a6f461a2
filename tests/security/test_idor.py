"""IDOR: a user of one team who guesses the ids of another team's objects gets a 404, on the
pages and in the API, for every object type with an id in a URL. Nonexistent and absurd ids
(beyond bigint) are 404s too, never a 500."""

import datetime as dt

import pytest
from django.utils import timezone

from checkins.models import CheckIn, SupportRequest
from goals.models import Goal
from goals_project.people.models import Membership
from goals_project.people.tokens import api_token_create
from notifications.models import Notification
from recognition.models import Achievement, PeriodSummary
from tests.builders import GoalFactory, GoalPeriodFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def victims(other_team, other_member):
    """Objects of every kind that belong to the other team (SMB) and its member."""
    other_lead = MembershipFactory(
        team=other_team, role=Membership.Role.LEAD, user__email="otherlead@example.com"
    ).user
    period = GoalPeriodFactory()
    team_goal = GoalFactory(period=period, team=other_team, visibility=Goal.Visibility.PUBLIC)
    own_goal = GoalFactory(period=period, team=other_team, owner=other_member, parent=team_goal)
    checkin = CheckIn.objects.create(
        goal=own_goal, user=other_member, week_start=dt.date(2026, 2, 2), confidence=3
    )
    support = SupportRequest.objects.create(
        goal=own_goal, requester=other_member, addressee=other_lead, message="Help with Acme"
    )
    achievement = Achievement.objects.create(
        goal=team_goal, kind=Achievement.Kind.ACHIEVED, achieved_at=timezone.now()
    )
    notification = Notification.objects.create(
        user=other_member, kind="badge", title="Badge", created_at=timezone.now()
    )
    summary = PeriodSummary.objects.create(
        period=period, team=other_team, data={}, built_at=timezone.now()
    )
    token, _ = api_token_create(user=other_member, name="sync", scopes=["read"])
    return {
        "team": other_team.pk,
        "person": other_member.pk,
        "period": period.pk,
        "goal": team_goal.pk,
        "own_goal": own_goal.pk,
        "checkin": checkin.pk,
        "support": support.pk,
        "achievement": achievement.pk,
        "notification": notification.pk,
        "summary_period": summary.period_id,
        "token": token.pk,
        "milestone": 1,
    }


PAGES = [
    ("get", "/goals/{goal}/"),
    ("get", "/goals/{own_goal}/"),
    ("get", "/goals/{goal}/edit/"),
    ("post", "/goals/{goal}/adjust/"),
    ("post", "/goals/{goal}/cascade/"),
    ("post", "/goals/{own_goal}/progress/"),
    ("post", "/goals/{goal}/delete/"),
    ("post", "/goals/{goal}/share/"),
    ("post", "/goals/{goal}/milestones/"),
    ("post", "/check-in/goals/{own_goal}/"),
    ("post", "/check-ins/{checkin}/acknowledge-blocker/"),
    ("post", "/support-requests/{support}/acknowledge/"),
    ("post", "/support-requests/{support}/reply/"),
    ("post", "/support-requests/{support}/resolve/"),
    ("get", "/recognition/achievements/{achievement}/"),
    ("post", "/recognition/achievements/{achievement}/celebrate/"),
    ("post", "/recognition/achievements/{achievement}/acknowledge/"),
    ("post", "/recognition/notifications/{notification}/read/"),
    ("get", "/recognition/teams/{team}/celebrations/"),
    ("get", "/recognition/teams/{team}/highlights/"),
    ("get", "/recognition/teams/{team}/summaries/"),
    ("get", "/recognition/teams/{team}/periods/{summary_period}/summary/"),
    ("post", "/profile/tokens/{token}/revoke/"),
    ("get", "/teams/{team}/"),
    ("get", "/people/{person}/"),
    ("post", "/leaderboard/settings/{team}/"),
]

API = [
    ("get", "/api/goals/{goal}/"),
    ("patch", "/api/goals/{goal}/"),
    ("delete", "/api/goals/{goal}/"),
    ("get", "/api/goals/{own_goal}/progress/"),
    ("post", "/api/goals/{own_goal}/progress/"),
    ("post", "/api/goals/{goal}/refresh/"),
    ("get", "/api/goals/{goal}/history/"),
    ("get", "/api/goals/{goal}/contributions/"),
    ("get", "/api/goals/{own_goal}/check-ins/"),
    ("post", "/api/goals/{own_goal}/check-ins/"),
    ("get", "/api/goals/{own_goal}/support-requests/"),
    ("post", "/api/goals/{own_goal}/support-requests/"),
    ("get", "/api/support-requests/{support}/"),
    ("post", "/api/support-requests/{support}/acknowledge/"),
    ("post", "/api/support-requests/{support}/reply/"),
    ("post", "/api/support-requests/{support}/resolve/"),
    ("post", "/api/achievements/{achievement}/acknowledge"),
    ("post", "/api/achievements/{achievement}/celebrate"),
    ("get", "/api/users/{person}/contributions/"),
]


@pytest.mark.parametrize("role", ["lead", "member"])
@pytest.mark.parametrize(("method", "url"), PAGES)
def test_pages_answer_404_to_another_teams_ids(client, request, victims, role, method, url):
    client.force_login(request.getfixturevalue(role))
    response = getattr(client, method)(url.format(**victims))
    assert response.status_code == 404, url


@pytest.mark.parametrize("role", ["lead", "member"])
@pytest.mark.parametrize(("method", "url"), API)
def test_api_answers_404_to_another_teams_ids(client, request, victims, role, method, url):
    _, secret = api_token_create(
        user=request.getfixturevalue(role), name="guess", scopes=["read", "write"]
    )
    response = getattr(client, method)(
        url.format(**victims),
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 404, url
    assert response["Content-Type"] == "application/json"


def test_nothing_of_the_other_team_changed(client, lead, victims):
    client.force_login(lead)
    for method, url in PAGES:
        getattr(client, method)(url.format(**victims))
    assert SupportRequest.objects.get(pk=victims["support"]).status == "open"
    assert Notification.objects.get(pk=victims["notification"]).read_at is None
    assert Achievement.objects.get(pk=victims["achievement"]).acknowledged_at is None
    assert Goal.objects.get(pk=victims["goal"]).archived_at is None
    assert not CheckIn.objects.filter(user=lead).exists()


@pytest.mark.parametrize("guess", ["999999", "9223372036854775807", "99999999999999999999"])
@pytest.mark.parametrize(
    "url",
    [
        "/goals/{id}/",
        "/periods/{id}/",
        "/teams/{id}/",
        "/people/{id}/",
        "/recognition/achievements/{id}/",
        "/recognition/teams/{id}/summaries/",
        "/api/goals/{id}/",
        "/api/goal-periods/{id}/",
        "/api/support-requests/{id}/",
        "/api/users/{id}/contributions/",
    ],
)
def test_absurd_ids_are_404_not_500(admin_client, url, guess):
    assert admin_client.get(url.format(id=guess)).status_code == 404


@pytest.mark.parametrize(
    "query", ["achievement_type=", "goal=", "goal=99999999999999999999", "team=0", "page=abc"]
)
def test_the_achievement_list_refuses_blank_and_impossible_filters(client, member, query):
    client.force_login(member)
    response = client.get(f"/api/goals/achievements/?{query}")
    assert response.status_code in (400, 404)
    assert response["Content-Type"] == "application/json"
