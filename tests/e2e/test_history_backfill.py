"""With a real Celery worker (as in production), creating a metric goal answers at once: the goal
page says its history is being built and fills in by itself when the worker is done."""

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from checkins.weeks import local_today
from goals.models import Goal, ProgressHistory

from .support import assert_accessible, log_in

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs PostgreSQL"),
]


def test_a_new_metric_goal_shows_its_history_being_built_then_fills_in(
    page: Page,
    live_server,
    cs_team,
    worker,
):
    log_in(page, live_server.url, "lena@example.com")
    page.get_by_role("link", name="Create the team's first goal").click()
    page.wait_for_load_state("load")
    with page.expect_response("**/goals/new/fields/"):
        page.get_by_label("Metric", exact=True).select_option(label="Net revenue retention")
    page.get_by_label("Name", exact=True).fill("Grow NRR to 110%")
    page.get_by_label("Target", exact=True).fill("110")
    create = page.get_by_role("button", name="Create goal")
    create.click()
    expect(page.get_by_role("heading", name="Grow NRR to 110%")).to_be_visible()

    building = page.locator("#history-building")
    goal = Goal.objects.get(name="Grow NRR to 110%")
    if Goal.objects.filter(pk=goal.pk, last_calculated_at__isnull=True).exists():
        # The page came back before the worker finished (the usual case): it says so.
        expect(building).to_contain_text("history of this goal is being built")
        assert_accessible(page)
    # The page polls, and stops polling, by itself: no reload.
    expect(building).to_have_count(0, timeout=30_000)
    expect(page.locator("#goal-title .chip")).not_to_have_text("No data")
    expect(page.locator("#goal-current")).not_to_have_text("no data")
    days = ProgressHistory.objects.filter(goal=goal).values("as_of").distinct().count()
    assert days == (local_today() - cs_team.quarter.start).days + 1  # one point a day
    expect(page.locator("#goal-chart-caption")).to_contain_text(f"{days} measured days")
    expect(page.locator("#goal-panels")).not_to_have_attribute("hx-trigger", "every 2s")
