"""A lead opens a team NRR goal, opens the accounts behind its value, downloads them as CSV and
follows a churned account to its customer page; at desktop and phone widths."""

import csv
import datetime as dt
import io
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from goals.models import Goal
from goals.recalc import recalculate_goals
from metrics.models import NpsResponse, Renewal
from tests.builders import customer, local, qbr

from .support import DESKTOP, PHONE, assert_accessible, assert_fits_the_screen, log_in

pytestmark = pytest.mark.django_db(transaction=True)

# Where the journey leaves its screenshots, to look at them (kept only when asked).
SHOTS = os.environ.get("GOALPOST_SCREENSHOTS")


def shot(page: Page, name: str, part=None) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
        if part is not None:
            part.screenshot(path=f"{SHOTS}/{name}-part.png")


@pytest.fixture
def team_goal(cs_team):
    """cs_team's books, plus a churned account of Mo's with its history, and a team NRR goal."""
    mo = cs_team.members[0]
    start = cs_team.quarter.start
    churned = customer(
        mo,
        {start - dt.timedelta(days=400): 80_000, start + dt.timedelta(days=1): 0},
        name="Borealis Logistics",
        external_id="BOR-1",
    )
    Renewal.objects.create(
        customer=churned, due_date=start + dt.timedelta(days=1), outcome="churned"
    )
    NpsResponse.objects.create(
        customer=churned,
        respondent="cfo@borealis.example",
        responded_at=local(start.year, start.month, 1, 9),
        score=2,
        comment="Renewal pricing came as a surprise.",
    )
    qbr(churned, start - dt.timedelta(days=60))
    goal = Goal.objects.create(
        period=cs_team.quarter,
        team=cs_team.team,
        name="Team NRR above 100%",
        goal_type=Goal.Type.METRIC,
        metric_key="nrr",
        baseline=100,
        target=104,
        direction="increase",
    )
    recalculate_goals([goal.pk])
    goal.refresh_from_db()
    return goal, churned


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_lead_follows_a_churned_account_from_the_goal(
    page: Page, live_server, cs_team, team_goal, viewport
):
    goal, churned = team_goal
    page.set_viewport_size(viewport)
    log_in(page, live_server.url, "lena@example.com")
    page.goto(f"{live_server.url}/teams/{cs_team.team.pk}/")
    page.get_by_role("link", name="Team NRR above 100%", exact=True).click()
    expect(page.get_by_role("heading", name="Team NRR above 100%")).to_be_visible()

    region = page.get_by_role("region", name="Accounts behind the value")
    expect(region.locator("#breakdown-table")).to_have_count(0)  # loaded on demand only
    page.wait_for_load_state("load")  # htmx is ready
    region.get_by_role("button", name="Show the accounts").click()
    table = region.locator("#breakdown-table")
    expect(table).to_be_visible()
    row = table.locator(f'tr[data-customer="{churned.pk}"]')
    expect(row).to_contain_text("Churn")
    expect(row).to_contain_text("$80,000")
    shown = f"{goal.current_value:,.2f}"
    expect(region.locator("#breakdown-total")).to_have_text(shown)
    assert_accessible(page)
    assert_fits_the_screen(page)
    shot(page, f"goal-breakdown-{viewport['width']}", region)

    with page.expect_download() as download:
        region.get_by_role("link", name="Download CSV").click()
    path = download.value.path()
    lines = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    assert download.value.suggested_filename.startswith("nrr-enterprise-")
    assert any(line["customer"] == "Borealis Logistics" for line in lines)

    row.get_by_role("link", name="Borealis Logistics").click()
    expect(page.get_by_role("heading", name="Borealis Logistics")).to_be_visible()
    expect(page.locator("#arr-now")).to_have_text("$0")
    expect(page.locator("#arr-chart .main-svg").first).to_be_attached()  # plotly drew it
    expect(page.locator("#customer-renewals")).to_contain_text("Churned")
    expect(page.locator("#customer-nps")).to_contain_text("Renewal pricing came as a surprise.")
    expect(page.locator("#customer-goals")).to_contain_text("Team NRR above 100%")
    expect(page.locator("#customer-csm")).to_contain_text("Mo Member")
    assert_accessible(page)
    assert_fits_the_screen(page)
    shot(page, f"customer-{viewport['width']}")
