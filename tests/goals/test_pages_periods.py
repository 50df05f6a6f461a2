"""Goal periods: admins create and edit them; everyone reads them; carry-over previews first."""

from datetime import date

import pytest

from goals import lifecycle, services
from goals.models import Goal, GoalPeriod
from tests.builders import task_goal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mid_quarter")]


@pytest.fixture
def q2(db):
    return services.period_create(
        name="Q2 2026", period_type="quarterly", start=date(2026, 4, 1), end=date(2026, 6, 30)
    )


PERIOD = {
    "name": "Q3 2026",
    "period_type": "quarterly",
    "start": "2026-07-01",
    "end": "2026-09-30",
    "status": "planning",
}


def test_an_admin_creates_a_period(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/periods/new/", PERIOD, follow=True)
    period = GoalPeriod.objects.get()
    assert (period.name, period.start, period.end) == (
        "Q3 2026",
        date(2026, 7, 1),
        date(2026, 9, 30),
    )
    assert "Created Q3 2026" in response.text
    assert "Q3 2026" in client.get("/periods/").text


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"start": "2026-02-01", "end": "2026-04-30"}, "overlap the quarterly period Q1 2026"),
        ({"end": "2026-06-01"}, "The end date must be after the start date."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_period_errors_show_on_the_field_and_nothing_is_saved(
    client, admin_user, q1, overrides, error
):
    client.force_login(admin_user)
    response = client.post("/periods/new/", PERIOD | overrides)
    assert response.status_code == 200
    assert error in response.text
    assert list(GoalPeriod.objects.values_list("name", flat=True)) == ["Q1 2026"]


def test_moving_the_dates_of_a_period_with_goals_needs_a_reason(client, admin_user, lead, team, q1):
    task_goal(q1, team, "Tasks", 3, by=lead)
    client.force_login(admin_user)
    data = {"name": "Q1 2026", "start": "2026-01-01", "end": "2026-03-30", "status": "active"}
    refused = client.post(f"/periods/{q1.pk}/edit/", data)
    assert "Give a reason for moving the dates of this period." in refused.text
    assert GoalPeriod.objects.get(pk=q1.pk).end == date(2026, 3, 31)
    client.post(f"/periods/{q1.pk}/edit/", data | {"reason": "Fiscal calendar"})
    assert GoalPeriod.objects.get(pk=q1.pk).end == date(2026, 3, 30)


@pytest.mark.parametrize("url", ["/periods/new/", "/periods/{id}/edit/"])
def test_only_admins_manage_periods(client, lead, q1, url):
    client.force_login(lead)
    assert client.get(url.format(id=q1.pk)).status_code == 403
    assert client.get("/periods/").status_code == 200
    assert client.get(f"/periods/{q1.pk}/").status_code == 200


def test_a_lead_carries_over_only_the_goals_of_their_team(
    client, lead, member, team, other_team, other_member, q1, q2
):
    task_goal(q1, team, "Case studies", 4, by=lead)
    task_goal(q1, other_team, "Their goal", 2, by=lead, owner=other_member)
    client.force_login(member)
    assert client.get(f"/periods/{q1.pk}/carry-over/").status_code == 403
    client.force_login(lead)
    preview = client.get(f"/periods/{q1.pk}/carry-over/", {"target_period": q2.pk})
    assert "live goals of Enterprise" in preview.text
    assert "1</strong> goal will be copied" in preview.text
    assert "Their goal" not in preview.text
    client.post(f"/periods/{q1.pk}/carry-over/", {"target_period": q2.pk, "confirm": "yes"})
    assert list(Goal.objects.filter(period=q2).values_list("name", flat=True)) == ["Case studies"]


def test_carry_over_previews_then_copies_once(client, admin_user, lead, member, team, q1, q2):
    parent = task_goal(q1, team, "Case studies", 4, by=lead)
    task_goal(q1, team, "My case studies", 2, by=lead, owner=member, parent=parent)
    client.force_login(admin_user)
    preview = client.get(f"/periods/{q1.pk}/carry-over/", {"target_period": q2.pk})
    assert "2</strong> goals will be copied" in preview.text
    assert "My case studies" in preview.text
    assert Goal.objects.filter(period=q2).count() == 0  # a preview writes nothing
    response = client.post(
        f"/periods/{q1.pk}/carry-over/", {"target_period": q2.pk, "confirm": "yes"}, follow=True
    )
    assert "Carried 2 goals from Q1 2026 into Q2 2026" in response.text
    copies = Goal.objects.filter(period=q2)
    assert copies.count() == 2
    assert copies.get(owner=member).parent == copies.get(owner=None)
    again = client.get(f"/periods/{q1.pk}/carry-over/", {"target_period": q2.pk})
    assert "Nothing to carry over." in again.text


def test_carry_over_only_offers_later_periods_of_the_same_type(client, admin_user, q1, q2):
    client.force_login(admin_user)
    response = client.get(f"/periods/{q2.pk}/carry-over/", {"target_period": q1.pk})
    assert "Select a valid choice" in response.text


def test_carry_over_into_a_completed_period_is_refused_on_the_field(client, admin_user, q1, q2):
    lifecycle.period_close(period=q2, today=date(2026, 7, 1))
    client.force_login(admin_user)
    response = client.get(f"/periods/{q1.pk}/carry-over/", {"target_period": q2.pk})
    assert "The period Q2 2026 is completed." in response.text
    assert "will be copied" not in response.text
