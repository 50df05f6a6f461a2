"""A member records progress on the goal page (tasks done, a value, a milestone tick) and every
region that shows the goal follows at once: the status in the title, the numbers, the chart and
its caption, the manual entries; the lead's open dashboard shows it on its next refresh."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from goals.models import Goal
from goals.services import goal_create

from .support import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mo_goals(cs_team):
    mo = cs_team.members[0]

    def create(**fields):
        return goal_create(period=cs_team.quarter, owner=mo, created_by=cs_team.lead, **fields)

    return {
        "tasks": create(name="Onboard five accounts", goal_type="task", task_target=5),
        "days": create(
            name="Median days to onboard",
            goal_type="metric",
            direction="decrease",
            baseline=Decimal(38),
            target=Decimal(30),
        ),
        "plan": create(
            name="Renewal playbook",
            goal_type="milestone",
            milestones=[{"name": "Interview customers"}, {"name": "Write it"}],
        ),
    }


def open_goal(page: Page, name: str) -> None:
    page.get_by_role("link", name="My goals").click()
    page.locator("table.goal-table").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.wait_for_load_state("load")


def test_member_records_progress_and_the_whole_goal_page_follows(
    page: Page, live_server, cs_team, mo_goals, browser, settings
):
    settings.DASHBOARD_POLL_SECONDS = 1
    # The lead keeps the team dashboard open in a tab of her own.
    lead_page = browser.new_context(base_url=live_server.url).new_page()
    log_in(lead_page, live_server.url, "lena@example.com")
    task_row = lead_page.locator("tr", has_text="Onboard five accounts")
    expect(task_row).to_contain_text("0 of 5 tasks")

    log_in(page, live_server.url, "mo@example.com")
    open_goal(page, "Onboard five accounts")
    title = page.locator("#goal-title")
    caption = page.locator("#goal-chart-caption")
    entries = page.get_by_role("region", name="Manual progress")
    expect(page.locator("#goal-counted")).to_have_text("0 of 5 tasks")
    expect(entries).to_be_hidden()
    page.get_by_label("Tasks done so far").fill("5")
    page.get_by_label("Note").fill("All five live")
    page.get_by_role("button", name="Save progress").click()
    expect(page.get_by_role("status").filter(has_text="Progress recorded.")).to_be_visible()
    expect(page.locator("#goal-counted")).to_have_text("5 of 5 tasks")
    expect(title.locator(".chip")).to_have_text("Achieved")
    expect(caption).to_contain_text("5 of 5 tasks done")
    expect(entries).to_be_visible()
    expect(entries.locator("tbody tr")).to_have_count(1)
    expect(entries).to_contain_text("5 tasks done")
    expect(entries).to_contain_text("All five live")
    assert_accessible(page)
    # The lead's dashboard shows it on its next refresh, without a reload.
    expect(task_row).to_contain_text("5 of 5 tasks", timeout=10_000)
    expect(task_row.locator(".chip")).to_have_text("Achieved")
    lead_page.context.close()

    open_goal(page, "Median days to onboard")
    expect(title.locator(".chip")).to_have_text("No data")
    page.get_by_label("Current value").fill("29")
    page.get_by_role("button", name="Save progress").click()
    expect(page.locator("#goal-current")).to_have_text("29.0")
    expect(title.locator(".chip")).to_have_text("Achieved")
    expect(caption).to_contain_text("29.0 now")
    expect(entries.locator("tbody tr")).to_have_count(1)
    expect(page.locator("#goal-chart .main-svg").first).to_be_attached()

    open_goal(page, "Renewal playbook")
    expect(page.locator("#goal-counted")).to_have_text("0 of 2 milestones (0 %)")
    page.get_by_role("button", name="Mark Interview customers done").click()
    expect(page.locator("#goal-counted")).to_have_text("1 of 2 milestones (50 %)")
    expect(page.get_by_role("button", name="Mark Interview customers not done")).to_be_visible()
    expect(caption).to_contain_text("1 of 2 milestones (50 %) done")
    assert Goal.objects.get(pk=mo_goals["plan"].pk).progress == 50
    assert_accessible(page)


def test_a_bad_entry_is_refused_with_its_reason_and_changes_nothing(
    page: Page, live_server, cs_team, mo_goals
):
    log_in(page, live_server.url, "mo@example.com")
    open_goal(page, "Onboard five accounts")
    page.get_by_label("Tasks done so far").fill("-2")
    page.get_by_role("button", name="Save progress").click()
    expect(page.get_by_role("alert")).to_contain_text("greater than or equal to 0")
    expect(page.locator("#goal-counted")).to_have_text("0 of 5 tasks")
    expect(page.get_by_role("region", name="Manual progress")).to_be_hidden()
