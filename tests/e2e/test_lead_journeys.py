"""A lead's work after the goals exist: cascade a team goal with the suggested rows unchanged,
adjust a target with a reason, carry the team's goals into next quarter, share a private goal,
configure the leaderboard and work the attention queue."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from checkins.services import checkin_submit
from goals.models import Goal
from goals.services import goal_create
from metrics.calculators import local_midnight
from tests.builders import PASSWORD

from .support import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team_nrr(cs_team):
    return goal_create(
        period=cs_team.quarter,
        team=cs_team.team,
        name="Enterprise NRR",
        goal_type="metric",
        metric_key="nrr",
        target=Decimal(108),
        stretch_target=Decimal(112),
        created_by=cs_team.lead,
    )


def open_goal(page: Page, name: str) -> None:
    page.get_by_role("link", name="Dashboard").click()
    page.locator("table.goal-table").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_lead_cascades_with_the_suggested_rows_then_adjusts_the_target(
    page: Page, live_server, cs_team, team_nrr
):
    log_in(page, live_server.url, "lena@example.com")
    open_goal(page, "Enterprise NRR")
    page.get_by_role("link", name="Cascade to members").click()
    heading = page.get_by_role("heading", name="Cascade “Enterprise NRR” to Enterprise")
    expect(heading).to_be_visible()
    assert_accessible(page)
    # Every member is ticked with a suggested goal: save it as it is.
    page.get_by_role("button", name="Create the ticked goals").click()
    expect(page.get_by_text("Cascaded “Enterprise NRR” to 3 members.")).to_be_visible()
    cascaded = page.get_by_role("region", name="Cascaded goals")
    expect(cascaded.locator("tbody tr")).to_have_count(3)
    for person in ("Lena Lead", "Mo Member", "Tia Mate"):
        expect(cascaded).to_contain_text(person)
    assert Goal.objects.filter(parent=team_nrr).count() == 3

    page.get_by_role("link", name="Adjust").click()
    page.get_by_label("Target", exact=True).fill("110")
    page.get_by_label("Reason").fill("Two expansions signed early")
    page.get_by_role("button", name="Adjust").click()
    expect(page.get_by_role("status")).to_contain_text("Adjusted the goal")
    history = page.get_by_role("region", name="Adjustments")
    expect(history).to_contain_text("Two expansions signed early")
    expect(history.locator("tbody tr").first).to_contain_text("108")
    expect(history.locator("tbody tr").first).to_contain_text("110")
    expect(page.locator("#progress-panel")).to_contain_text("→ 110%")


def test_lead_carries_the_team_goals_into_next_quarter(page: Page, live_server, cs_team, team_nrr):
    log_in(page, live_server.url, "lena@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Periods").click()
    page.get_by_role("link", name=cs_team.quarter.name).click()
    page.get_by_role("link", name="Carry over").click()
    page.get_by_label("Into period").select_option(label=cs_team.next_quarter.name)
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name=f"Preview: into {cs_team.next_quarter.name}")
    expect(preview).to_contain_text("1 goal will be copied")
    expect(preview).to_contain_text("Enterprise NRR")
    assert_accessible(page)
    preview.get_by_role("button", name="Carry over 1 goal").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Carried 1 goals from {cs_team.quarter.name} into {cs_team.next_quarter.name}."
    )
    expect(page.get_by_role("heading", name=cs_team.next_quarter.name)).to_be_visible()
    expect(page.get_by_role("region", name="Enterprise")).to_contain_text("Enterprise NRR")


def test_lead_shares_a_private_goal_with_a_teammate(page: Page, live_server, cs_team):
    goal_create(
        period=cs_team.quarter,
        owner=cs_team.members[0],
        name="Mo's development plan",
        goal_type="task",
        task_target=3,
        visibility="private",
        created_by=cs_team.lead,
    )
    log_in(page, live_server.url, "tia@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Periods").click()
    page.get_by_role("link", name=cs_team.quarter.name).click()
    expect(page.get_by_text("Mo's development plan")).to_have_count(0)

    log_in(page, live_server.url, "lena@example.com")
    open_goal(page, "Mo's development plan")
    page.get_by_role("link", name="Share", exact=True).click()
    page.get_by_label("A person").select_option(label="Tia Mate")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_role("status")).to_contain_text("Shared with Tia Mate.")
    assert_accessible(page)

    log_in(page, live_server.url, "tia@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Periods").click()
    page.get_by_role("link", name=cs_team.quarter.name).click()
    page.get_by_role("link", name="Mo's development plan").click()
    expect(page.get_by_role("heading", name="Mo's development plan")).to_be_visible()


def test_lead_turns_the_leaderboard_on_and_chooses_what_it_ranks(
    page: Page, live_server, cs_team, team_nrr
):
    log_in(page, live_server.url, "lena@example.com")
    page.get_by_role("link", name="Leaderboard").click()
    settings_form = page.locator("#leaderboard-settings")
    page.get_by_label("Show Enterprise's leaderboard").check()
    settings_form.get_by_label("Ranks by").select_option(label="Contribution points to team goals")
    settings_form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("leaderboard settings of Enterprise")
    expect(page.get_by_label("Show Enterprise's leaderboard")).to_be_checked()
    expect(page.locator("#live")).to_contain_text("Contribution points")
    expect(page.locator("#leaderboard-off")).to_have_count(0)
    assert_accessible(page)


def test_lead_works_the_attention_queue(page: Page, live_server, cs_team):
    mo = cs_team.members[0]
    goal = goal_create(
        period=cs_team.quarter,
        owner=mo,
        name="Onboard five accounts",
        goal_type="task",
        task_target=5,
        created_by=cs_team.lead,
    )
    # Set up when the quarter began, so it was owed last week's check-in too.
    Goal.objects.filter(pk=goal.pk).update(created_at=local_midnight(cs_team.quarter.start))
    checkin_submit(
        goal=goal,
        user=mo,
        note="Slow week",
        confidence=2,
        blockers="Waiting on legal",
        support_message="Can you chase legal?",
    )
    log_in(page, live_server.url, "lena@example.com")
    attention = page.get_by_role("link", name="Needs my attention")
    # The request, the blocker, and Mo's check-in missing last week (his goal's period was open
    # then); Lena herself is never listed in her own queue.
    expect(attention.locator(".count")).to_have_text("3")
    attention.click()
    summary = page.locator("#attention-summary")
    expect(summary).to_contain_text("3 items waiting")
    missed = page.get_by_role("region", name="Missed check-ins last week")
    expect(missed).not_to_contain_text("Lena Lead")
    assert_accessible(page)

    request = page.locator("article", has_text="Can you chase legal?")
    request.get_by_role("button", name="Acknowledge").click()
    expect(request.get_by_role("status")).to_have_text("Acknowledged.")
    expect(request.locator(".chip")).to_have_text("Acknowledged")
    request.get_by_label("Reply to Mo Member").fill("On it today.")
    request.get_by_role("button", name="Reply").click()
    expect(request.get_by_role("status")).to_have_text("Reply sent.")
    expect(request).to_contain_text("On it today.")
    request.get_by_role("button", name="Resolve").click()
    expect(request.get_by_role("status")).to_have_text("Resolved.")
    expect(request.locator(".chip")).to_have_text("Resolved")
    expect(attention.locator(".count")).to_have_text("2")
    expect(summary).to_contain_text("2 items waiting")
    expect(page.locator("#sr-count")).to_have_text("(0)")

    blocker = page.locator("article", has_text="Waiting on legal")
    blocker.get_by_role("button", name="Acknowledge").click()
    expect(blocker.get_by_role("status")).to_have_text("Acknowledged.")
    expect(attention.locator(".count")).to_have_text("1")
    expect(summary).to_contain_text("1 item waiting")
    expect(page.locator("#blockers-count")).to_have_text("(0)")


def test_a_dashboard_whose_session_ended_asks_to_log_in_again(
    page: Page, live_server, cs_team, team_nrr
):
    log_in(page, live_server.url, "lena@example.com")
    dashboard = f"{live_server.url}/teams/{cs_team.team.pk}/"
    page.goto(dashboard)
    expect(page.locator("#live")).to_be_visible()
    page.context.clear_cookies()  # signed out elsewhere, or the session expired
    # The live part refreshes (as when the tab is shown again): the whole page goes to log in.
    page.evaluate("() => htmx.trigger('#live', 'goalpost:visible')")
    expect(page.get_by_role("heading", name="Log in to Goalpost")).to_be_visible()
    expect(page.locator("#live")).to_have_count(0)
    page.get_by_label("Email").fill("lena@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(dashboard)
    expect(page.locator("#live")).to_be_visible()
