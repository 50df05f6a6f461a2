"""A lead creates the team's goals of every type from the dashboard, and each member's individual
goals, through the new-goal form as a browser fills it in."""

import pytest
from playwright.sync_api import Page, expect

from .support import assert_accessible, htmx_settled, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def open_new_goal_form(page: Page, link_name: str) -> None:
    page.get_by_role("link", name=link_name).click()
    expect(page.get_by_role("heading", name="New goal")).to_be_visible()
    page.wait_for_load_state("load")  # htmx binds the type-dependent fields


def choose(page: Page, label: str, option: str) -> None:
    """Choose an option that redraws the form's fields, and wait for the redraw (htmx), as a
    person waits to see the fields change before typing on."""
    with page.expect_response("**/goals/new/fields/"):
        page.get_by_label(label, exact=True).select_option(label=option)
    htmx_settled(page)


def choose_type(page: Page, goal_type: str) -> None:
    choose(page, "Type", goal_type)


def test_lead_creates_a_metric_a_task_and_a_milestone_team_goal(page: Page, live_server, cs_team):
    log_in(page, live_server.url, "lena@example.com")
    expect(page.get_by_role("heading", name="Enterprise dashboard")).to_be_visible()
    # A new team: the dashboard says so and offers the next step (no "no goals match").
    empty = page.locator("#no-goals")
    expect(empty).to_contain_text(f"Enterprise has no goals in {cs_team.quarter.name} yet.")
    assert_accessible(page)

    open_new_goal_form(page, "Create the team's first goal")
    # The period running today is chosen, and periods are offered current first.
    period = page.get_by_label("Period")
    expect(period.locator("option:checked")).to_have_text(cs_team.quarter.name)
    expect(period.locator("option")).to_have_text([cs_team.quarter.name, cs_team.next_quarter.name])
    assert_accessible(page)
    choose(page, "Metric", "Net revenue retention")
    expect(page.locator("#metric-info")).to_contain_text("Suggested baseline")
    page.get_by_label("Name", exact=True).fill("Grow NRR to 110%")
    page.get_by_label("Target", exact=True).fill("110")
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_role("heading", name="Grow NRR to 110%")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Created the goal “Grow NRR to 110%”.")
    assert_accessible(page)

    page.get_by_role("link", name="Dashboard").click()
    open_new_goal_form(page, "New goal")
    choose_type(page, "Task")
    task_count = page.get_by_label("Number of tasks")
    expect(task_count).to_be_visible()
    expect(page.get_by_label("Direction")).to_have_count(0)  # not a metric: no direction to send
    page.get_by_label("Name", exact=True).fill("Run five customer workshops")
    task_count.fill("5")
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_role("heading", name="Run five customer workshops")).to_be_visible()
    expect(page.locator("#goal-counted")).to_have_text("0 of 5 tasks")

    page.get_by_role("link", name="Dashboard").click()
    open_new_goal_form(page, "New goal")
    choose_type(page, "Milestone")
    page.get_by_label("Name", exact=True).fill("Launch the health score")
    rows = page.locator("#goal-fields tbody tr")
    expect(rows).to_have_count(1)
    for count in (2, 3):
        page.get_by_role("button", name="Add a milestone").click()
        expect(rows).to_have_count(count)
    for index, name in enumerate(["Define signals", "Build the score", "Roll out"], start=1):
        rows.nth(index - 1).get_by_label(f"Milestone {index} name").fill(name)
    rows.nth(2).get_by_label("Milestone 3 weight").fill("2")
    assert_accessible(page)
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_role("heading", name="Launch the health score")).to_be_visible()
    expect(page.locator("#goal-counted")).to_have_text("0 of 3 milestones (0 %)")
    expect(page.get_by_role("button", name="Mark Roll out done")).to_be_visible()
    # A milestone goal moves with its ticks: there is no manual progress form.
    expect(page.get_by_role("heading", name="Record progress")).to_have_count(0)

    page.get_by_role("link", name="Dashboard").click()
    rows = page.locator("table.goal-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Run five customer workshops")).to_contain_text("0 of 5 tasks")
    expect(rows.filter(has_text="Launch the health score")).to_contain_text(
        "0 of 3 milestones (0 %)"
    )
    expect(rows.filter(has_text="Grow NRR to 110%")).to_contain_text("Net revenue retention")


def test_lead_creates_each_type_of_individual_goal_for_a_member(page: Page, live_server, cs_team):
    log_in(page, live_server.url, "lena@example.com")
    for goal_type, name in (
        ("Metric", "Mo: NRR to 108%"),
        ("Task", "Mo: four onboarding calls"),
        ("Milestone", "Mo: renewal playbook"),
    ):
        page.get_by_role("link", name="Dashboard").click()
        open_new_goal_form(page, "New goal")
        choose(page, "Owner", "Mo Member")
        choose_type(page, goal_type)
        page.get_by_label("Name", exact=True).fill(name)
        if goal_type == "Metric":
            choose(page, "Metric", "Net revenue retention")
            expect(page.locator("#metric-info")).to_contain_text("Now, for Mo Member")
            page.get_by_label("Target", exact=True).fill("108")
        elif goal_type == "Task":
            page.get_by_label("Number of tasks").fill("4")
        else:
            page.get_by_label("Milestone 1 name").fill("Draft the playbook")
        page.get_by_role("button", name="Create goal").click()
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        expect(page.get_by_text("Enterprise · Mo Member")).to_be_visible()

    page.get_by_role("link", name="Dashboard").click()
    page.locator("table.goal-table").get_by_role("link", name="Mo Member").first.click()
    expect(page.get_by_role("heading", name="Mo Member", exact=True)).to_be_visible()
    rows = page.locator("table.goal-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Mo: four onboarding calls")).to_contain_text("0 of 4 tasks")
    expect(rows.filter(has_text="Mo: renewal playbook")).to_contain_text("0 of 1 milestone (0 %)")
    assert_accessible(page)
