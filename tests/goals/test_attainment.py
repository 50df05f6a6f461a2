"""Attainment export of a period (goals/attainment.py): CSV and Excel, capped and weighted,
frozen for a closed period, admins and a team's leads only, every download recorded."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from goals.models import AttainmentDownload, Goal, GoalPeriod
from goals.recalc import recalculate_goals
from goals.services import manual_entry_add
from tests.api_support import field_errors
from tests.builders import D, member_metric_goal, task_goal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mid_quarter")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def planned(q1, team, lead, member, teammate, other_team, other_member):
    """Q1 2026 of Enterprise: Mo has a task goal (weight 2, half done) and a goal measured by
    hand at twice its target (capped at 150); Tia one below its baseline (floored at 0); the
    team a task goal half done. SMB's goal is another lead's business."""
    calls = task_goal(q1, team, "Discovery calls", 10, by=lead, owner=member, weight="2")
    adoption = member_metric_goal(
        member,
        by=lead,
        period=q1,
        name='=HYPERLINK("http://x")',
        unit="percent",
        baseline="0",
        target="50",
    )
    health = member_metric_goal(
        teammate,
        by=lead,
        period=q1,
        name="Health score",
        unit="score",
        baseline="50",
        target="60",
    )
    team_calls = task_goal(q1, team, "Team calls", 20, by=lead)
    smb = task_goal(q1, other_team, "SMB calls", 10, by=lead, owner=other_member)
    manual_entry_add(goal=calls, by=member, tasks_done=5)
    manual_entry_add(goal=adoption, by=member, value="100")
    manual_entry_add(goal=health, by=teammate, value="40")
    manual_entry_add(goal=team_calls, by=lead, tasks_done=10)
    manual_entry_add(goal=smb, by=other_member, tasks_done=10)
    recalculate_goals([calls.pk, adoption.pk, health.pk, team_calls.pk, smb.pk])
    return q1


def _csv(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_lead_downloads_the_csv_of_their_team_capped_floored_and_weighted(client, planned, lead):
    client.force_login(lead)
    response = client.get(f"/periods/{planned.pk}/attainment.csv")
    assert response.status_code == 200
    assert 'filename="attainment-q1-2026-as-of-2026-02-15.csv"' in response["Content-Disposition"]
    rows = {(row["Row"], row["Owner"], row["Goal"]): row for row in _csv(response)}
    assert all(row["Team"] == "Enterprise" for row in rows.values())  # not SMB's goals
    calls = rows["goal", "Mo Member", "Discovery calls"]
    assert (calls["Type"], calls["Weight"], calls["Target"], calls["Final value"]) == (
        "Task",
        "2.00",
        "10",
        "5.0000",
    )
    assert (calls["Attainment %"], calls["Weighted attainment %"]) == ("50.00", "33.33")
    # A goal name a spreadsheet would run as a formula is quoted.
    adoption = rows["goal", "Mo Member", '\'=HYPERLINK("http://x")']
    assert (adoption["Progress %"], adoption["Attainment %"]) == ("200.00", "150.00")
    assert rows["person total", "Mo Member", ""]["Weighted attainment %"] == "83.33"
    assert rows["goal", "Tia Mate", "Health score"]["Attainment %"] == "0.00"
    assert rows["person total", "Tia Mate", ""]["Weighted attainment %"] == "0.00"
    assert rows["team goal", "Team goals", "Team calls"]["Attainment %"] == "50.00"
    assert rows["team total", "Team goals", ""]["Weighted attainment %"] == "50.00"
    download = AttainmentDownload.objects.get()
    assert (download.user, download.period, download.file_format, download.final) == (
        lead,
        planned,
        "csv",
        False,
    )
    assert download.teams == "Enterprise"


def test_the_workbook_has_a_summary_and_a_sheet_per_team_with_numbers_that_add_up(
    client, planned, admin_user, settings
):
    settings.GOAL_ATTAINMENT_CEILING = 120
    client.force_login(admin_user)
    response = client.get(f"/api/goal-periods/{planned.pk}/attainment/?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "Enterprise", "SMB"]
    summary = list(book["Summary"].iter_rows(min_row=4, values_only=True))
    totals = {(team, owner): attainment for team, owner, _, _, attainment in summary}
    assert totals == {
        ("Enterprise", "Mo Member"): pytest.approx((2 * 50 + 1 * 120) / 3, abs=0.01),
        ("Enterprise", "Tia Mate"): 0,
        ("Enterprise", "Team goals"): 50,
        ("SMB", "Otto Other"): 100,
    }
    sheet = list(book["Enterprise"].iter_rows(values_only=True))
    header, rows = sheet[0], [dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]]
    assert header[-3:] == ("Progress %", "Attainment %", "Weighted attainment %")
    mo = [row for row in rows if row["Owner"] == "Mo Member"]
    goals, total = mo[:-1], mo[-1]
    # Numbers are numbers, and a person's weighted rows add up to the person's total.
    assert all(isinstance(row["Weighted attainment %"], float | int) for row in goals)
    assert sum(row["Weighted attainment %"] for row in goals) == pytest.approx(
        total["Weighted attainment %"], abs=0.01
    )
    assert total["Weight"] == 3
    names = [row[3] for row in book["Enterprise"].iter_rows(min_row=2)]
    formula = next(cell for cell in names if cell.value.startswith("=HYPERLINK"))
    assert formula.data_type == "s"  # stored as text, never run as a formula


def test_a_closed_period_exports_its_frozen_values_the_same_every_time(client, planned, admin_user):
    calls = Goal.objects.get(name="Discovery calls")
    Goal.objects.filter(pk=calls.pk).update(final_value=D(5), closed_at=calls.updated_at)
    GoalPeriod.objects.filter(pk=planned.pk).update(status="completed")
    client.force_login(admin_user)
    first = client.get(f"/periods/{planned.pk}/attainment.csv")
    # Whatever happens to the stored values later, the closed goal keeps its final value.
    Goal.objects.filter(pk=calls.pk).update(current_value=D(9))
    second = client.get(f"/periods/{planned.pk}/attainment.csv")
    assert first.content == second.content
    assert "final" in first["Content-Disposition"]
    row = next(row for row in _csv(first) if row["Goal"] == "Discovery calls")
    assert row["Final value"] == "5.0000"
    assert list(AttainmentDownload.objects.values_list("final", flat=True)) == [True, True]


@pytest.mark.parametrize("who", ["member", "outsider", "other_member"])
def test_whoever_leads_no_team_gets_a_404_on_the_page_and_the_api(client, planned, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(f"/periods/{planned.pk}/attainment.csv").status_code == 404
    assert client.get(f"/api/goal-periods/{planned.pk}/attainment/").status_code == 404
    page = client.get(f"/periods/{planned.pk}/")
    assert "Attainment (CSV)" not in page.text
    assert not AttainmentDownload.objects.exists()


def test_the_period_page_links_the_export_for_a_lead_and_bad_formats_are_refused(
    client, planned, lead
):
    client.force_login(lead)
    page = client.get(f"/periods/{planned.pk}/")
    assert f'href="/periods/{planned.pk}/attainment.xlsx"' in page.text
    assert client.get(f"/periods/{planned.pk}/attainment.pdf").status_code == 404
    response = client.get(f"/api/goal-periods/{planned.pk}/attainment/?format=pdf")
    assert "format" in field_errors(response)
    assert client.get("/api/goal-periods/999999/attainment/").status_code == 404
    assert not AttainmentDownload.objects.exists()


def test_the_ceiling_and_floor_of_attainment():
    from goals.attainment import capped_attainment

    assert capped_attainment(D("212.5"), Decimal(150)) == Decimal("150.00")
    assert capped_attainment(D("-30"), Decimal(150)) == Decimal("0.00")
    assert capped_attainment(D("66.666"), Decimal(150)) == Decimal("66.67")
    assert capped_attainment(None, Decimal(150)) is None
