"""Admins switch badges off and look after recognition data in Django admin."""

import pytest
from django.apps import apps
from django.utils import timezone

from goals.models import Goal
from recognition.models import Achievement, BadgeSetting, Celebration, PeriodSummary
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
        "recognition.achievement",
        "recognition.celebration",
        "notifications.notification",
        "recognition.badgeaward",
        "recognition.badgesetting",
        "recognition.periodsummary",
    ],
)
def test_admin_lists_show_the_records(
    client, admin_user, member_goal, member, teammate, team, quarter, model
):
    reach(member_goal, Goal.Status.ACHIEVED)
    badges_award()
    now = timezone.now()
    Celebration.objects.create(
        achievement=Achievement.objects.get(), user=teammate, message="Bravo", created_at=now
    )
    BadgeSetting.objects.create(badge="helper", enabled=False)
    PeriodSummary.objects.create(period=quarter, team=team, data={}, built_at=now)
    records = apps.get_model(model)
    count = records.objects.count()
    assert count > 0
    opts = records._meta
    client.force_login(admin_user)
    page = client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
    assert page.status_code == 200
    name = opts.verbose_name if count == 1 else opts.verbose_name_plural
    assert f"{count} {name}" in page.text  # the list's count of what is stored
    for record in records.objects.all():
        assert f"/admin/{opts.app_label}/{opts.model_name}/{record.pk}/change/" in page.text


def test_members_cannot_use_admin(client, member):
    client.force_login(member)
    response = client.get("/admin/recognition/badgesetting/")
    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/recognition/badgesetting/"
