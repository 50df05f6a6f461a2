import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkins.models import CheckIn, SupportRequest
from goals.models import Goal, ManualEntry
from tests.builders import WEDNESDAY, GoalFactory

pytestmark = pytest.mark.django_db


def post_checkin(client, goal, *, htmx=True, **fields):
    data = {f"goal-{goal.pk}-{key}": value for key, value in fields.items()}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(f"/check-in/goals/{goal.pk}/", data, **headers)


@time_machine.travel(WEDNESDAY, tick=False)
def test_member_checks_in_and_the_page_shows_it_saved(login, member, member_goal):
    client = login(member)
    page = client.get("/check-in/")
    assert page.status_code == 200
    assert "Close 10 onboarding tasks" in page.text
    assert "0 of 1 goal checked in this week" in page.text

    response = post_checkin(client, member_goal, note="Two done", confidence="4", tasks_done="2")
    assert response.status_code == 200
    assert "Saved. Thank you for checking in." in response.text
    assert "confidence 4/5" in response.text
    assert (
        '<span id="checkin-tally" hx-swap-oob="true">1 of 1 goal checked in this week.</span>'
        in response.text
    )

    checkin = CheckIn.objects.get()
    assert (checkin.week_start, checkin.confidence, checkin.note, checkin.tasks_done) == (
        dt.date(2026, 11, 23),
        4,
        "Two done",
        2,
    )
    page = client.get("/check-in/")
    assert "1 of 1 goal checked in this week" in page.text
    assert "Update check-in" in page.text
    assert "Two done" in page.text  # the saved note fills the form again


def test_editing_within_the_week_updates_and_next_week_adds_a_row(login, member, member_goal):
    client = login(member)
    with time_machine.travel(WEDNESDAY, tick=False):
        post_checkin(client, member_goal, note="first", confidence="2")
    with time_machine.travel(WEDNESDAY + dt.timedelta(days=2), tick=False):  # Friday
        post_checkin(client, member_goal, note="second", confidence="3")
    assert list(CheckIn.objects.values_list("week_start", "note", "confidence")) == [
        (dt.date(2026, 11, 23), "second", 3)
    ]
    with time_machine.travel(WEDNESDAY + dt.timedelta(days=7), tick=False):
        post_checkin(client, member_goal, note="next week", confidence="5")
    assert list(
        CheckIn.objects.order_by("week_start").values_list("week_start", "note", "confidence")
    ) == [(dt.date(2026, 11, 23), "second", 3), (dt.date(2026, 11, 30), "next week", 5)]


@pytest.mark.parametrize(
    ("utc_moment", "week_start"),
    [
        # Sunday 23:30 in New York is already Monday 04:30 in UTC: still the old week there.
        (dt.datetime(2026, 11, 30, 4, 30, tzinfo=dt.UTC), dt.date(2026, 11, 23)),
        # Monday 00:30 in New York: the new week has begun.
        (dt.datetime(2026, 11, 30, 5, 30, tzinfo=dt.UTC), dt.date(2026, 11, 30)),
    ],
)
def test_the_week_is_counted_in_the_project_time_zone(
    settings, login, member, member_goal, utc_moment, week_start
):
    settings.TIME_ZONE = "America/New_York"
    client = login(member)
    with time_machine.travel(utc_moment, tick=False):
        response = post_checkin(client, member_goal, confidence="3")
    assert response.status_code == 200
    assert CheckIn.objects.get().week_start == week_start


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_member_cannot_check_in_on_another_teams_goal(login, member, other_member, quarter):
    hidden = GoalFactory(period=quarter, team=other_member.membership.team, owner=other_member)
    response = post_checkin(login(member), hidden, confidence="3")
    assert response.status_code == 404
    assert not CheckIn.objects.exists()


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_teammates_goal_is_visible_but_takes_no_check_in_from_a_member(
    login, member, teammate_goal
):
    response = post_checkin(login(member), teammate_goal, htmx=False, confidence="3")
    assert response.status_code == 403
    assert "only its owner and the team&#x27;s leads can" in response.text
    assert not CheckIn.objects.exists()


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_lead_checks_in_on_the_team_goal(login, lead, team_goal, member_goal):
    client = login(lead)
    page = client.get("/check-in/")
    assert "Team onboarding" in page.text
    assert "Close 10 onboarding tasks" not in page.text  # a member's goal is theirs to check in
    response = post_checkin(client, team_goal, confidence="5", note="On pace")
    assert response.status_code == 200
    assert CheckIn.objects.get().user == lead


@pytest.mark.parametrize(
    ("fields", "field_error"),
    [
        ({"confidence": "0"}, "Confidence must be a whole number from 1 to 5."),
        ({"confidence": "6"}, "Confidence must be a whole number from 1 to 5."),
        ({"confidence": "high"}, "Confidence must be a whole number from 1 to 5."),
        ({}, "Choose your confidence from 1 to 5."),
        ({"confidence": "3", "note": "x" * 2001}, "at most 2000 characters (it has 2001)"),
        ({"confidence": "3", "blockers": "x" * 2500}, "at most 2000 characters (it has 2500)"),
        ({"confidence": "3", "tasks_done": "-1"}, "greater than or equal to 0"),
    ],
)
@time_machine.travel(WEDNESDAY, tick=False)
def test_invalid_check_ins_say_why_and_save_nothing(
    login, member, member_goal, fields, field_error
):
    fields = {"support_message": "Please help", **fields}
    response = post_checkin(login(member), member_goal, **fields)
    assert field_error in response.text
    assert not CheckIn.objects.exists()
    assert not SupportRequest.objects.exists()


@time_machine.travel(WEDNESDAY, tick=False)
def test_an_automated_metric_goal_takes_no_value(login, member, nrr_goal):
    client = login(member)
    page = client.get("/check-in/")
    assert f'name="goal-{nrr_goal.pk}-value"' not in page.text  # no field offered
    response = post_checkin(client, nrr_goal, confidence="3", value="120")
    assert (
        "This goal&#x27;s value is calculated from customer data and cannot be entered by hand."
        in response.text
    )
    assert not CheckIn.objects.exists()


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_task_goal_takes_no_value_but_its_tasks_done(login, member, member_goal):
    response = post_checkin(login(member), member_goal, confidence="3", value="5")
    assert "Only a metric goal takes a value; enter tasks done or tick milestones instead." in (
        response.text
    )
    assert not CheckIn.objects.exists()


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_service_refuses_a_value_for_an_automated_metric_goal(member, nrr_goal):
    from django.core.exceptions import ValidationError

    from checkins.services import checkin_submit

    with pytest.raises(ValidationError) as error:
        checkin_submit(goal=nrr_goal, user=member, confidence=3, value=Decimal("120"))
    assert error.value.message_dict["value"] == [
        "This goal's value is calculated from customer data and cannot be entered by hand."
    ]
    assert not CheckIn.objects.exists()


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_manual_value_goes_to_the_goal_once(
    login, member, manual_metric_goal, django_capture_on_commit_callbacks
):
    client = login(member)
    with django_capture_on_commit_callbacks(execute=True):
        post_checkin(client, manual_metric_goal, confidence="4", value="62.5")
        post_checkin(client, manual_metric_goal, confidence="4", value="62.5", note="same value")
    entries = ManualEntry.objects.filter(goal=manual_metric_goal)
    assert [entry.value for entry in entries] == [Decimal("62.5000")]
    manual_metric_goal.refresh_from_db()
    assert manual_metric_goal.current_value == Decimal("62.5")
    assert CheckIn.objects.get().note == "same value"


@time_machine.travel(WEDNESDAY, tick=False)
def test_ticking_a_milestone_completes_it(login, member, quarter, team):
    goal = GoalFactory(
        period=quarter, team=team, owner=member, goal_type=Goal.Type.MILESTONE, task_target=None
    )
    first = goal.milestones.create(name="Kick-off", order=0)
    goal.milestones.create(name="Go-live", order=1)
    client = login(member)
    assert "Kick-off" in client.get("/check-in/").text
    response = post_checkin(client, goal, confidence="4", milestones=[first.pk])
    assert response.status_code == 200
    first.refresh_from_db()
    assert first.done_at is not None
    assert "✓ Kick-off" in response.text


def test_without_javascript_a_check_in_redirects_back_with_a_message(login, member, member_goal):
    client = login(member)
    with time_machine.travel(WEDNESDAY, tick=False):
        response = post_checkin(client, member_goal, htmx=False, confidence="4")
        assert response.status_code == 302
        page = client.get(response.url)
    assert f"Check-in saved for {member_goal.name}." in page.text


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_check_in_page_costs_the_same_queries_for_one_goal_or_many(
    login, member, quarter, team, member_goal
):
    client = login(member)
    client.get("/check-in/")  # warm caches (content types, session)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/check-in/").status_code == 200
        return len(queries)

    post_checkin(client, member_goal, confidence="3", support_message="Need a hand")
    one = count()
    for n in range(4):
        goal = GoalFactory(period=quarter, team=team, owner=member, name=f"Extra {n}")
        post_checkin(client, goal, confidence="3", support_message="Need a hand")
    assert count() == one


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_goal_page_shows_the_check_in_history(login, member, lead, member_goal):
    client = login(member)
    post_checkin(client, member_goal, confidence="2", note="Slow week", blockers="CRM outage")
    page = login(lead).get(f"/goals/{member_goal.pk}/")
    assert page.status_code == 200
    assert "Check-ins" in page.text
    assert "Mo Member" in page.text and "confidence 2/5" in page.text
    assert "Slow week" in page.text and "CRM outage" in page.text
