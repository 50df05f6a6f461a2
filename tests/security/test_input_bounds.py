"""Numbers past what a column holds are refused with a 400 naming the field, never a 500
(found by schemathesis against the running stack)."""

import pytest

from checkins.models import CheckIn
from goals_project.people.tokens import api_token_create
from tests.api_support import field_errors
from tests.builders import GoalFactory, GoalPeriodFactory

pytestmark = pytest.mark.django_db

HUGE = 90800453611029696


@pytest.fixture
def task_goal(team, member):
    return GoalFactory(period=GoalPeriodFactory(), team=team, owner=member)


def test_the_check_in_api_refuses_a_count_too_large(client, member, task_goal):
    _, secret = api_token_create(user=member, name="rw", scopes=["read", "write"])
    response = client.post(
        f"/api/goals/{task_goal.pk}/check-ins/",
        {"confidence_level": 2, "tasks_done": HUGE, "milestones_done": [HUGE * 10**3]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert set(field_errors(response)) == {"tasks_done", "milestones_done.0"}
    assert not CheckIn.objects.exists()


def test_the_check_in_form_refuses_a_count_too_large(client, member, task_goal):
    client.force_login(member)
    response = client.post(
        f"/check-in/goals/{task_goal.pk}/",
        {f"goal-{task_goal.pk}-confidence": 3, f"goal-{task_goal.pk}-tasks_done": HUGE},
        HTTP_HX_REQUEST="true",
    )
    assert "Ensure this value is less than or equal to 100000." in response.text
    assert not CheckIn.objects.exists()
