import datetime as dt

import pytest
import time_machine

from checkins.models import CheckIn

from .conftest import WEDNESDAY

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

    checkin = CheckIn.objects.get()
    assert (checkin.week_start, checkin.confidence, checkin.note) == (
        dt.date(2026, 11, 23),
        4,
        "Two done",
    )
    assert "1 of 1 goal checked in this week" in client.get("/check-in/").text
