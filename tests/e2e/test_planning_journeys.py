"""Planning in Chromium: a lead starts a goal from a template, takes the "typical" target
suggested from the team's history and cascades it; a period goes planning -> active -> closed
with its grades, and the lead adds a closing comment."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from checkins.weeks import local_today
from goals.goal_templates import templates_seed
from goals.models import Goal, GoalPeriod
from goals.selectors import default_baseline
from goals.suggestions import past_windows
from tests.builders import UserFactory, renewals

from .support import DESKTOP, PHONE, assert_accessible, assert_fits_the_screen, htmx_settled, log_in

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = "/tmp/goalpost-planning"


@pytest.fixture
def admin(transactional_db):
    return UserFactory(email="root@example.com", name="Ada Admin", is_staff=True, is_superuser=True)


@pytest.fixture
def renewal_history(cs_team):
    """Mo's renewals over the eight quarters before this one: 70 %, 72 %, ... 84 % (the
    team's, as nobody else had renewals due): a steady +2 points a quarter."""
    # The template library (migration 0008), again: a browser test's flush empties it.
    templates_seed()
    mo = cs_team.members[0]
    for index, (start, _end) in enumerate(past_windows(cs_team.quarter)):
        renewed = 35 + index
        outcomes = ["renewed"] * renewed + ["churned"] * (50 - renewed)
        renewals(mo, outcomes, start + dt.timedelta(days=10))
    return mo


def look(page: Page, name: str) -> None:
    """Screenshots at desktop and phone width (viewed by hand); the page is loaded again at
    phone width, as a phone opens it, and checked to fit."""
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=f"{SHOTS}/{name}-1280.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    htmx_settled(page)
    assert_fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/{name}-390.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.reload()


def test_lead_starts_from_a_template_takes_the_typical_target_and_cascades_it(
    page: Page, live_server, cs_team, renewal_history
):
    log_in(page, live_server.url, "lena@example.com")
    page.goto(f"{live_server.url}/goals/new/")
    templates = page.locator("#goal-templates")
    expect(templates).to_contain_text("Start from a template")
    with page.expect_navigation():
        templates.get_by_role("link", name="Renewal rate >= 90 %").click()
    expect(page.locator("#template-note")).to_contain_text("Pre-filled from the template")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Renewal rate >= 90 %")
    expect(page.get_by_label("Metric", exact=True)).to_have_value("renewal_rate")
    expect(page.get_by_label("Target", exact=True)).to_have_value("90")

    suggestions = page.locator("#target-suggestions")
    expect(suggestions).to_contain_text("From 8 past periods of Enterprise")
    typical = suggestions.locator('[data-choice="typical"]')
    expect(typical).to_contain_text("Typical: 86.0 %")
    expect(typical).to_contain_text("about 89 % likely · reached by 7 of 7 past changes")
    expect(suggestions.locator(".history-chart .main-svg").first).to_be_attached()
    assert_accessible(page)
    look(page, "new-goal-from-template")

    typical.click()
    expect(page.get_by_label("Target", exact=True)).to_have_value("86.0")
    expect(typical).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Name", exact=True).fill("Renewal rate up two points")
    page.get_by_label("Stretch target").fill("")
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_role("heading", name="Renewal rate up two points")).to_be_visible()
    goal = Goal.objects.get(name="Renewal rate up two points")
    assert (goal.metric_key, goal.target, goal.baseline) == ("renewal_rate", 86, 84)

    page.get_by_role("link", name="Cascade to members").click()
    row_choice = page.get_by_role("button", name="Mo Member: Typical 86.0 about 89 % likely")
    expect(row_choice).to_be_visible()
    expect(page.locator("#cascade-history .main-svg").first).to_be_attached()
    look(page, "cascade-suggestions")
    # Nothing of Mo's book is due this quarter yet, so his row waits to be ticked.
    page.get_by_role("checkbox", name="Mo Member").check()
    mo_target = page.get_by_label("Mo Member target")
    mo_target.fill("80")
    row_choice.click()
    expect(mo_target).to_have_value("86.0")
    assert_accessible(page)
    page.get_by_role("button", name="Create the ticked goals").click()
    expect(page.get_by_text("Cascaded “Renewal rate up two points” to 1 members.")).to_be_visible()
    child = Goal.objects.get(parent=goal)
    assert (child.owner, child.target) == (renewal_history, 86)


def test_a_period_goes_from_planning_to_live_to_closed_with_grades_and_a_comment(
    page: Page, live_server, cs_team, admin
):
    today = local_today()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    month = GoalPeriod.objects.create(
        name=last_month_end.strftime("%B %Y"),
        period_type="monthly",
        start=last_month_end.replace(day=1),
        end=last_month_end,
        status="planning",
    )
    log_in(page, live_server.url, "lena@example.com")
    page.goto(f"{live_server.url}/goals/new/?period={month.pk}")
    with page.expect_response("**/goals/new/fields/"):
        page.get_by_label("Metric", exact=True).select_option(label="Net revenue retention")
    htmx_settled(page)
    with page.expect_response("**/goals/new/fields/"):
        page.get_by_label("Owner", exact=True).select_option(label="Mo Member")
    htmx_settled(page)
    page.get_by_label("Name", exact=True).fill("Mo grows NRR")
    page.get_by_label("Baseline", exact=True).fill("95")
    page.get_by_label("Target", exact=True).fill("110")
    page.get_by_role("button", name="Create goal").click()
    expect(page.locator("#goal-lifecycle")).to_contain_text(f"Draft: {month.name} is being planned")
    goal = Goal.objects.get(name="Mo grows NRR")
    assert goal.last_calculated_at is None

    log_in(page, live_server.url, "root@example.com")
    page.goto(f"{live_server.url}/periods/{month.pk}/")
    expect(page.locator("#period-note")).to_contain_text("the goals below are drafts")
    page.get_by_role("button", name="Activate now").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{month.name} is live")
    expect(page.locator("#period-status")).to_have_text("Active")
    goal.refresh_from_db()
    # Taken from the data when the period went live (the typed 95 was a planning guess).
    assert goal.baseline == default_baseline(
        metric_key="nrr", period=month, team_id=cs_team.team.pk, owner_id=goal.owner_id
    )
    assert goal.baseline != 95

    page.get_by_role("button", name="Close period").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{month.name} is closed")
    expect(page.locator("#period-status")).to_have_text("Closed")
    goal.refresh_from_db()
    assert goal.final_grade is not None and goal.final_status
    row = page.locator(f"#closed-goal-{goal.pk}")
    expect(row.locator(".grade")).to_have_text(f"{goal.final_grade:.2f}")
    expect(row).to_contain_text(goal.get_final_status_display())
    assert_accessible(page)

    log_in(page, live_server.url, "lena@example.com")
    page.goto(f"{live_server.url}/periods/{month.pk}/")
    row = page.locator(f"#closed-goal-{goal.pk}")
    row.get_by_text("Add a closing comment").click()
    row.get_by_label("Closing comment on Mo grows NRR").fill("Two expansions landed; churn none.")
    row.get_by_role("button", name="Save comment").click()
    row = page.locator(f"#closed-goal-{goal.pk}")
    expect(row.locator(".closing-comment")).to_have_text("Two expansions landed; churn none.")
    expect(row.get_by_role("status")).to_have_text("Saved.")
    assert_accessible(page)
    look(page, "closed-period")

    page.get_by_role("link", name="Mo grows NRR").click()
    expect(page.locator("#goal-lifecycle")).to_contain_text(f"Closed with {month.name}")
    expect(page.locator("#goal-title .chip").first).to_have_text(goal.get_final_status_display())
    expect(page.locator("#goal-lifecycle")).to_contain_text("Two expansions landed")
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    look(page, "closed-goal")
