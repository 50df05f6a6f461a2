"""A lead cascades a renewal-rate team goal in Chromium with the suggested rows unchanged: the
page states its rule, a member already past the team's target keeps it as a floor, a member
without last quarter's data is unticked and told what to enter, and saving as it stands
creates every ticked goal."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from goals.models import Goal
from goals.services import goal_create
from metrics.models import Renewal

from .support import PHONE, assert_accessible, assert_fits_the_screen, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def renewals_goal(cs_team):
    """Last quarter Mo renewed both his accounts, Tia one of two, Lena had none due; this
    quarter each has one renewal decided."""
    lead, (mo, tia) = cs_team.lead, cs_team.members
    last = cs_team.last_quarter.start + dt.timedelta(days=20)
    now = cs_team.quarter.start
    for person, outcomes in ((mo, ["renewed", "renewed"]), (tia, ["renewed", "churned"])):
        for client, outcome in zip(person.customers.order_by("pk"), outcomes, strict=True):
            Renewal.objects.create(customer=client, due_date=last, outcome=outcome)
    for person in (lead, mo, tia):
        Renewal.objects.create(customer=person.customers.first(), due_date=now, outcome="renewed")
    return goal_create(
        period=cs_team.quarter,
        team=cs_team.team,
        name="Enterprise renewals",
        goal_type="metric",
        metric_key="renewal_rate",
        baseline=Decimal(75),
        target=Decimal(95),
        created_by=lead,
    )


def test_lead_cascades_renewals_with_the_suggested_rows_unchanged(
    page: Page, live_server, cs_team, renewals_goal
):
    log_in(page, live_server.url, "lena@example.com")
    page.goto(f"{live_server.url}/goals/{renewals_goal.pk}/")
    page.get_by_role("link", name="Cascade to members").click()

    expect(page.locator("#cascade-rule")).to_contain_text(
        "when every member reaches 95% the team does too"
    )
    expect(page.get_by_label("Mo Member goal")).to_have_value("floor")  # 100 % last quarter
    expect(page.get_by_label("Tia Mate goal")).to_have_value("increase")  # from 50 %
    expect(page.get_by_label("Tia Mate baseline")).to_have_value("50")
    expect(page.get_by_role("checkbox", name="Lena Lead")).not_to_be_checked()
    expect(page.get_by_text("No Renewal rate data for Lena Lead")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert_fits_the_screen(page)

    page.get_by_role("button", name="Create the ticked goals").click()
    expect(page.get_by_text("Cascaded “Enterprise renewals” to 2 members.")).to_be_visible()
    cascaded = page.get_by_role("region", name="Cascaded goals")
    expect(cascaded.locator("tbody tr")).to_have_count(2)
    expect(cascaded).to_contain_text("Mo Member")
    expect(cascaded).to_contain_text("Tia Mate")
    children = {g.owner.name: g for g in Goal.objects.filter(parent=renewals_goal)}
    assert (children["Mo Member"].direction, children["Mo Member"].maintain_side) == (
        "maintain",
        "floor",
    )
    assert (children["Tia Mate"].direction, children["Tia Mate"].baseline) == ("increase", 50)
