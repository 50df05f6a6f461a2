import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from checkins.weeks import local_today
from goals_project.people.models import Membership
from tests.builders import PASSWORD, GoalFactory, GoalPeriodFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people_and_goal(transactional_db):
    team = TeamFactory(name="Enterprise")
    lead = MembershipFactory(
        team=team, role=Membership.Role.LEAD, user__email="lena@example.com", user__name="Lena Lead"
    ).user
    member = MembershipFactory(team=team, user__email="mo@example.com", user__name="Mo Member").user
    # The period starts today, so no one has missed a check-in yet.
    today = local_today()
    period = GoalPeriodFactory(
        name="This quarter",
        start=today,
        end=today + dt.timedelta(days=90),
        status="active",
    )
    GoalFactory(period=period, team=team, owner=member, name="Onboard five accounts")
    return lead, member


def log_in(page: Page, url: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_member_asks_for_help_in_the_check_in_and_the_lead_resolves_it(
    page: Page, live_server, people_and_goal
):
    log_in(page, live_server.url, "mo@example.com")
    page.get_by_role("link", name="Check-in").click()
    card = page.locator("section.checkin-card", has_text="Onboard five accounts")
    card.get_by_label("Progress note").fill("Two kick-offs done")
    card.get_by_text("2 · Doubtful").click()
    card.get_by_label("Blockers").fill("No access to the billing system")
    card.get_by_text("Ask for help", exact=True).click()
    card.get_by_label("What do you need help with?").fill("Can you get me billing access?")
    card.get_by_role("button", name="Save check-in").click()
    expect(card.get_by_role("status")).to_have_text("Saved. Thank you for checking in.")
    expect(card.get_by_text("Help asked of your lead(s)")).to_be_visible()
    expect(page.locator("#checkin-tally")).to_have_text("1 of 1 goal checked in this week.")

    log_in(page, live_server.url, "lena@example.com")
    attention = page.get_by_role("link", name="Needs my attention")
    expect(attention.locator(".count")).to_have_text("2")  # the request and the blocker
    attention.click()
    request = page.locator("article", has_text="Can you get me billing access?")
    expect(request).to_contain_text("Mo Member asks for help on Onboard five accounts")
    expect(page.locator("article", has_text="No access to the billing system")).to_be_visible()
    request.get_by_label("Reply to Mo Member").fill("Done, you have access now.")
    request.get_by_role("button", name="Resolve").click()
    expect(request.get_by_role("status")).to_have_text("Resolved.")
    expect(request.locator(".chip")).to_have_text("Resolved")
    expect(attention.locator(".count")).to_have_text("1")  # the blocker is left

    log_in(page, live_server.url, "mo@example.com")
    page.get_by_role("link", name="Check-in").click()
    expect(page.get_by_text("Done, you have access now.")).to_be_visible()
