"""A lead downloads the quarter's attainment from the period page, and sees an early warning on
the team dashboard and in the attention queue, at desktop and phone width."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from goals.models import Goal
from goals.recalc import recalculate_goals
from goals.services import goal_create, manual_entry_add
from goals.signals import goals_recalculated

from .support import DESKTOP, PHONE, assert_accessible, assert_fits_the_screen, log_in

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "attainment-and-warnings"


@pytest.fixture
def quarter_goals(cs_team):
    """Mo: onboard 10 accounts (weight 2, 5 done) and a health score on pace but slipping (an
    early warning); the team: 20 calls, 10 made."""
    mo = cs_team.members[0]
    onboard = goal_create(
        period=cs_team.quarter,
        owner=mo,
        name="Onboard ten accounts",
        goal_type="task",
        task_target=10,
        weight=Decimal(2),
        created_by=cs_team.lead,
    )
    health = goal_create(
        period=cs_team.quarter,
        owner=mo,
        name="Health score",
        goal_type="metric",
        unit="score",
        baseline=Decimal(50),
        target=Decimal(60),
        created_by=cs_team.lead,
    )
    calls = goal_create(
        period=cs_team.quarter,
        team=cs_team.team,
        name="Team calls",
        goal_type="task",
        task_target=20,
        created_by=cs_team.lead,
    )
    manual_entry_add(goal=onboard, by=mo, tasks_done=5)
    manual_entry_add(goal=calls, by=cs_team.lead, tasks_done=10)
    manual_entry_add(goal=health, by=mo, value=Decimal(57))
    recalculate_goals([onboard.pk, calls.pk, health.pk])
    Goal.objects.filter(pk=health.pk).update(
        status=Goal.Status.ON_TRACK,
        progress=Decimal(70),
        forecast_value=Decimal("57.5"),
        forecast_low=Decimal(55),
        forecast_high=Decimal(60),
        forecast_target_probability=Decimal(9),
    )
    goals_recalculated.send(sender=Goal, goal_ids=[health.pk])
    return onboard, health, calls


def test_lead_downloads_the_attainment_and_reads_the_early_warning(
    page: Page, live_server, cs_team, quarter_goals
):
    onboard, health, calls = quarter_goals
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server.url, "lena@example.com")
    page.get_by_role("link", name="Periods").click()
    page.get_by_role("link", name=cs_team.quarter.name).first.click()
    expect(page.get_by_role("heading", name=cs_team.quarter.name)).to_be_visible()
    assert_accessible(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "period-1280.png", full_page=True)

    with page.expect_download() as excel:
        page.get_by_role("link", name="Attainment (Excel)").click()
    assert excel.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(excel.value.path()).read_bytes()))
    assert book.sheetnames == ["Summary", "Enterprise"]
    summary = {
        (row[0], row[1]): row[4] for row in book["Summary"].iter_rows(min_row=4, values_only=True)
    }
    # Mo: onboarding 50% (weight 2) and health 70% (weight 1); the team's calls 50%.
    assert summary[("Enterprise", "Mo Member")] == pytest.approx((2 * 50 + 70) / 3, abs=0.01)
    assert summary[("Enterprise", "Team goals")] == 50

    with page.expect_download() as sheet:
        page.get_by_role("link", name="Attainment (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(sheet.value.path()).read_text("utf-8-sig"))))
    assert {row["Goal"] for row in rows if row["Row"] == "goal"} == {
        "Onboard ten accounts",
        "Health score",
    }

    page.get_by_role("link", name="Dashboard").click()
    row = page.locator(f'tr[data-goal="{health.pk}"]')
    expect(row.locator(".chip.early-warning")).to_have_text("Early warning")
    expect(row).to_contain_text("Trend lands at 57.5 vs target 60 (9% chance).")
    page.screenshot(path=SHOTS / "dashboard-1280.png", full_page=True)

    page.get_by_role("link", name="Needs my attention").click()
    warnings = page.get_by_role("region", name="Early warnings")
    expect(warnings).to_contain_text("Trend lands at 57.5 vs target 60 (9% chance).")
    assert_accessible(page)
    page.screenshot(path=SHOTS / "attention-1280.png", full_page=True)
    warnings.get_by_role("link", name="Health score").click()
    expect(page.get_by_role("heading", name="Health score")).to_be_visible()
    assert page.url.endswith(f"/goals/{health.pk}/#breakdown")

    page.set_viewport_size(PHONE)
    for name, path in (
        ("period", f"/periods/{cs_team.quarter.pk}/"),
        ("dashboard", f"/teams/{cs_team.team.pk}/"),
        ("attention", "/attention/"),
    ):
        page.goto(live_server.url + path)
        assert_fits_the_screen(page)
        assert_accessible(page)
        page.screenshot(path=SHOTS / f"{name}-390.png", full_page=True)
