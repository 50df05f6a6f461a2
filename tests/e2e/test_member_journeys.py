"""A member on a phone: the weekly check-in with tasks done, a blocker and a request for help;
then notification preferences."""

import pytest
from playwright.sync_api import Page, expect

from goals.services import goal_create

from .support import PHONE, assert_accessible, assert_fits_the_screen, log_in, open_menu

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def onboarding(cs_team):
    return goal_create(
        period=cs_team.quarter,
        owner=cs_team.members[0],
        name="Onboard five accounts",
        goal_type="task",
        task_target=5,
        created_by=cs_team.lead,
    )


def test_member_checks_in_on_a_phone(page: Page, live_server, cs_team, onboarding):
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "mo@example.com")
    expect(page.get_by_role("heading", name="My goals", exact=True)).to_be_visible()
    assert_fits_the_screen(page)
    open_menu(page)
    page.get_by_role("link", name="Check-in").click()
    expect(page.get_by_role("heading", name="Weekly check-in")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page)

    card = page.locator("section.checkin-card", has_text="Onboard five accounts")
    expect(card.locator(".counted")).to_have_text("0 of 5 tasks")
    card.get_by_label("Progress note").fill("Three kick-offs done")
    card.get_by_text("4 · Likely").click()
    card.get_by_label("Tasks done so far").fill("3")
    card.get_by_label("Blockers").fill("Two customers wait on legal")
    card.get_by_text("Ask for help", exact=True).click()
    card.get_by_label("What do you need help with?").fill("Can you chase legal?")
    card.get_by_role("button", name="Save check-in").click()
    expect(card.get_by_role("status")).to_have_text("Saved. Thank you for checking in.")
    # The card and the page follow: counts, the help asked, the tally, the button.
    expect(card.locator(".counted")).to_have_text("3 of 5 tasks")
    expect(card).to_contain_text("blocker noted")
    expect(card.get_by_text("Help asked of your lead(s)")).to_be_visible()
    expect(page.locator("#checkin-tally")).to_have_text("1 of 1 goal checked in this week.")
    expect(card.get_by_role("button", name="Update check-in")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page)

    open_menu(page)
    page.get_by_role("link", name="My goals").click()
    page.locator("table.goal-table").get_by_role("link", name="Onboard five accounts").click()
    expect(page.locator("#goal-counted")).to_have_text("3 of 5 tasks")
    checkins = page.get_by_role("region", name="Check-ins")
    expect(checkins).to_contain_text("Two customers wait on legal")
    assert_fits_the_screen(page)


def test_member_changes_notification_preferences(page: Page, live_server, cs_team):
    log_in(page, live_server.url, "mo@example.com")
    page.get_by_role("link", name="Check-in").click()
    page.get_by_role("link", name="Notification preferences").click()
    digest = page.get_by_label("Send me the weekly digest email (Mondays)")
    expect(digest).to_be_checked()
    digest.uncheck()
    celebrations = page.get_by_role("row").filter(has_text="Teammates celebrating my wins")
    celebrations.get_by_label("In the weekly digest only").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_contain_text("Notification preferences saved.")
    page.reload()
    expect(page.get_by_label("Send me the weekly digest email (Mondays)")).not_to_be_checked()
    celebrations = page.get_by_role("row").filter(has_text="Teammates celebrating my wins")
    expect(celebrations.get_by_label("In the weekly digest only")).to_be_checked()
