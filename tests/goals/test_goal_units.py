"""Goals stay within what their values can be: a metric's range, the unit of a goal measured by
hand, and an accumulating metric's nature. The services refuse; the page, the API, the Django
admin and the check-in form all show the same message and save nothing."""

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from checkins.services import checkin_submit
from goals.models import Goal, ManualEntry
from goals.services import goal_create, manual_entry_add
from tests.api_support import field_errors
from tests.builders import member_metric_goal, new_quarter

from .test_api_goals import Api

pytestmark = pytest.mark.django_db
ONBOARDING_REFUSAL = "A number of days is 0 or more (got -5)."


@pytest.fixture(autouse=True)
def valentines_day():
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        yield


def errors_of(excinfo) -> dict[str, str]:
    return {field: " ".join(messages) for field, messages in excinfo.value.message_dict.items()}


@pytest.fixture
def onboarding(lead, member):
    return member_metric_goal(
        member,
        by=lead,
        name="Onboarding time",
        unit="days",
        direction="decrease",
        baseline="45",
        target="30",
        stretch_target="25",
    )


def test_a_negative_number_of_days_is_refused_by_the_service(onboarding, member):
    with pytest.raises(ValidationError) as excinfo:
        manual_entry_add(goal=onboarding, by=member, value="-5")
    assert errors_of(excinfo) == {"value": ONBOARDING_REFUSAL}
    manual_entry_add(goal=onboarding, by=member, value="0")  # the edge of the range is fine
    assert [entry.value for entry in ManualEntry.objects.all()] == [Decimal(0)]


@pytest.mark.parametrize(
    ("unit", "value", "refusal"),
    [
        ("percent", "100.5", "A percentage is between 0 and 100 (got 100.5)."),
        ("count", "2.5", "A count is a whole number (got 2.5)."),
        ("count", "-1", "A count is 0 or more (got -1)."),
        ("currency", "-10", "An amount of money is 0 or more (got -10)."),
        ("score", "101", "A score is between -100 and 100 (got 101)."),
    ],
)
def test_each_unit_bounds_its_entries(lead, member, unit, value, refusal):
    goal = member_metric_goal(
        member,
        by=lead,
        name="Measured by hand",
        unit=unit,
        baseline="1",
        target="2",
    )
    with pytest.raises(ValidationError) as excinfo:
        manual_entry_add(goal=goal, by=member, value=value)
    assert errors_of(excinfo) == {"value": refusal}


def test_the_page_the_api_the_admin_and_the_check_in_refuse_the_same_entry(
    client, onboarding, member, admin_user
):
    client.force_login(member)
    page = client.post(
        f"/goals/{onboarding.pk}/progress/", {"value": "-5"}, headers={"HX-Request": "true"}
    )
    assert ONBOARDING_REFUSAL in page.text

    api = Api(member).post(f"/api/goals/{onboarding.pk}/progress/", {"current_value": "-5"})
    assert field_errors(api) == {"current_value": [ONBOARDING_REFUSAL]}

    with pytest.raises(ValidationError) as excinfo:
        checkin_submit(goal=onboarding, user=member, confidence=3, value=Decimal(-5))
    assert errors_of(excinfo) == {"value": ONBOARDING_REFUSAL}

    client.force_login(admin_user)
    admin = client.post(
        "/admin/goals/manualentry/add/", {"goal": onboarding.pk, "value": "-5", "note": ""}
    )
    assert admin.status_code == 200 and ONBOARDING_REFUSAL in admin.text
    assert not ManualEntry.objects.exists()


def test_targets_outside_the_metric_range_are_refused(lead, member):
    with pytest.raises(ValidationError) as excinfo:
        member_metric_goal(
            member,
            by=lead,
            name="GRR",
            metric_key="grr",
            baseline="95",
            target="101",
        )
    assert errors_of(excinfo) == {
        "target": "Gross revenue retention is between 0 and 100 (got 101)."
    }


def test_an_accumulating_metric_is_a_target_to_reach_by_the_period_end(lead, member):
    common = {
        "period": new_quarter(),
        "owner": member,
        "name": "QBRs",
        "goal_type": "metric",
        "metric_key": "qbr_completion",
        "created_by": lead,
    }
    with pytest.raises(ValidationError) as excinfo:
        goal_create(**common, direction="maintain", target="90")
    assert errors_of(excinfo) == {
        "direction": "QBR completion fills up from 0 through each period, so a goal on it is a "
        "target to reach by the period end: choose increase."
    }
    # Last quarter ended at 95 %: a 90 % target for this quarter is still a goal to reach.
    goal = goal_create(**common, baseline="95", target="90")
    assert (goal.baseline, goal.target) == (Decimal(95), Decimal(90))
    # Without data for a baseline it needs none: the quarter starts from 0 anyway.
    assert goal_create(**common | {"name": "QBRs 2"}, target="80").baseline is None


def test_a_stretch_of_a_ceiling_is_below_it(lead, member):
    with pytest.raises(ValidationError) as excinfo:
        member_metric_goal(
            member,
            by=lead,
            name="Escalations",
            unit="count",
            direction="maintain",
            maintain_side="ceiling",
            target="10",
            stretch_target="12",
        )
    assert errors_of(excinfo) == {
        "stretch_target": "The stretch target must be below the target (10) for a goal that "
        "keeps a ceiling."
    }


def test_the_new_goal_page_takes_a_goal_measured_by_hand_with_its_unit(client, lead, team):
    period = new_quarter()
    client.force_login(lead)
    response = client.post(
        "/goals/new/",
        {
            "period": period.pk,
            "team": team.pk,
            "name": "Keep onboarding under 30 days",
            "goal_type": "metric",
            "metric_key": "manual",
            "unit": "days",
            "direction": "maintain",
            "maintain_side": "ceiling",
            "target": "30",
            "weight": "1",
            "visibility": "public",
        },
    )
    assert response.status_code == 302, response.text
    goal = Goal.objects.get(name="Keep onboarding under 30 days")
    assert (goal.metric_key, goal.unit, goal.maintain_side) == ("", "days", "ceiling")
