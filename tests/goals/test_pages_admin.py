"""Django admin for goals: lists with filters, inlines, guardian's object permissions."""

from datetime import date

import pytest

from goals import services
from goals.models import Goal
from goals.permissions import goal_share

pytestmark = pytest.mark.django_db


@pytest.fixture
def goal(db, team, lead, member, outsider):
    period = services.period_create(
        name="Q1 2026",
        period_type="quarterly",
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        status="active",
    )
    goal = services.goal_create(
        period=period,
        team=team,
        owner=member,
        name="Launch plan",
        goal_type="milestone",
        milestones=[{"name": "Kick-off"}],
        created_by=lead,
        visibility="private",
    )
    services.goal_adjust(goal=goal, by=lead, reason="Bigger launch", weight="2")
    goal_share(goal=goal, users=[outsider])
    return goal


def test_admins_list_goals_with_filters_and_see_inlines_and_object_permissions(
    client, admin_user, goal
):
    client.force_login(admin_user)
    listing = client.get(
        "/admin/goals/goal/",
        {
            "period__id__exact": goal.period_id,
            "team__id__exact": goal.team_id,
            "goal_type": "milestone",
        },
    )
    assert listing.status_code == 200 and "Launch plan" in listing.text
    change = client.get(f"/admin/goals/goal/{goal.pk}/change/")
    assert change.status_code == 200
    assert "Kick-off" in change.text  # milestone inline
    assert "Bigger launch" in change.text  # adjustments, read-only
    assert 'name="target"' not in change.text  # adjusted through the goal page, with a reason
    permissions = client.get(f"/admin/goals/goal/{goal.pk}/permissions/")
    assert permissions.status_code == 200
    assert "Out Sider" in permissions.text  # the share, a guardian object permission
    assert client.get("/admin/goals/goalperiod/").status_code == 200
    assert client.get("/admin/goals/manualentry/", {"goal__status": "no_data"}).status_code == 200


def test_admins_can_purge_a_goal(client, admin_user, goal):
    client.force_login(admin_user)
    response = client.post(f"/admin/goals/goal/{goal.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert response.url == "/admin/goals/goal/"
    assert not Goal.objects.filter(pk=goal.pk).exists()


def test_team_leads_have_no_django_admin(client, lead):
    client.force_login(lead)
    response = client.get("/admin/goals/goal/")
    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/goals/goal/"
