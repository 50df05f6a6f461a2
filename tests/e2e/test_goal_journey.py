import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from goals.models import Adjustment, Goal
from goals_project.people.models import Membership
from tests.builders import PASSWORD, GoalPeriodFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team_and_quarter(transactional_db):
    team = TeamFactory(name="Enterprise")
    MembershipFactory(
        team=team, role=Membership.Role.LEAD, user__email="lena@example.com", user__name="Lena Lead"
    )
    MembershipFactory(team=team, user__email="mo@example.com", user__name="Mo Member")
    MembershipFactory(team=team, user__email="tia@example.com", user__name="Tia Mate")
    today = timezone.localdate()
    GoalPeriodFactory(
        name="This quarter",
        start=today - dt.timedelta(days=10),
        end=today + dt.timedelta(days=80),
        status="active",
    )


def test_lead_creates_a_team_goal_cascades_it_and_adjusts_it(
    page: Page, live_server, team_and_quarter
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("lena@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Periods").click()
    page.get_by_role("link", name="This quarter").click()
    page.get_by_role("link", name="New goal").click()
    page.wait_for_load_state()  # as a person would: the page has finished loading

    # Choosing the metric redraws the form (htmx) with what the metric is and its current value.
    page.get_by_label("Metric", exact=True).select_option("grr")
    expect(page.locator("#metric-info")).to_contain_text("Gross revenue retention")
    page.get_by_label("Direction").select_option("maintain")
    page.get_by_label("Name").fill("Keep GRR above 90%")
    page.get_by_label("Target", exact=True).fill("90")
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_role("heading", name="Keep GRR above 90%")).to_be_visible()

    page.get_by_role("link", name="Cascade to members").click()
    # Nobody has customers yet: every row starts unticked and says so; the lead ticks two.
    expect(page.get_by_text("Nothing in Mo Member's book counts for Gross")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Lena Lead")).not_to_be_checked()
    page.get_by_role("checkbox", name="Mo Member").check()
    page.get_by_role("checkbox", name="Tia Mate").check()
    page.get_by_role("button", name="Create the ticked goals").click()
    expect(page.get_by_text("Cascaded “Keep GRR above 90%” to 2 members.")).to_be_visible()
    cascaded = page.get_by_role("region", name="Cascaded goals")
    expect(cascaded.get_by_role("row")).to_have_count(3)  # header + two members
    expect(cascaded).to_contain_text("Mo Member")
    expect(cascaded).to_contain_text("Tia Mate")

    page.get_by_role("link", name="Adjust").click()
    page.get_by_label("Target", exact=True).fill("92")
    page.get_by_label("Reason").fill("Board raised the retention floor")
    page.get_by_role("button", name="Adjust").click()
    history = page.get_by_role("region", name="Adjustments")
    expect(history).to_contain_text("Board raised the retention floor")
    expect(history).to_contain_text("Lena Lead")

    team_goal = Goal.objects.get(owner=None)
    assert team_goal.target == 92
    assert Goal.objects.filter(parent=team_goal).count() == 2
    assert Adjustment.objects.get(goal=team_goal).old_value == "90"
