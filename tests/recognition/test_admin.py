"""Admins switch badges off and look after recognition data in Django admin."""

import pytest

from goals.models import Goal
from recognition.models import BadgeSetting
from recognition.services import badges_award
from tests.builders import reach


def test_an_admin_switches_a_badge_off(client, admin_user, member_goal, member):
    client.force_login(admin_user)
    form = client.get("/admin/recognition/badgesetting/add/").content.decode()
    assert '<option value="checkin_streak_4">4-week check-in streak</option>' in form

    response = client.post(
        "/admin/recognition/badgesetting/add/", {"badge": "first_goal", "enabled": ""}
    )

    assert response.status_code == 302
    assert response.url == "/admin/recognition/badgesetting/"
    assert BadgeSetting.objects.get(badge="first_goal").enabled is False
    reach(member_goal, Goal.Status.ACHIEVED)
    assert badges_award() == []


@pytest.mark.parametrize(
    "model",
    [
        "recognition/achievement",
        "recognition/celebration",
        "notifications/notification",
        "recognition/badgeaward",
        "recognition/badgesetting",
        "recognition/periodsummary",
    ],
)
def test_admin_lists_load(client, admin_user, member_goal, model):
    reach(member_goal, Goal.Status.ACHIEVED)
    badges_award()
    client.force_login(admin_user)
    assert client.get(f"/admin/{model}/").status_code == 200


def test_members_cannot_use_admin(client, member):
    client.force_login(member)
    response = client.get("/admin/recognition/badgesetting/")
    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/recognition/badgesetting/"
