"""Attainment for pay: per person and goal of a period, how far each goal got, capped and
weighted, as CSV and as an Excel workbook.

A goal's attainment is its progress (percent of the way from baseline to target, goals/progress.py)
floored at 0 and capped at settings.GOAL_ATTAINMENT_CEILING (default 150). A person's weighted
attainment is the weighted average of their individual goals' attainments (weights from the
goals; goals without a value are listed but left out of the average); a team's is the same over
its team goals. Each goal row also carries its weighted share (weight x attainment / the owner's
total weight), so a person's rows add up to the person's total.

A closed period reads the values frozen at its close (`final_value`, and the progress the close
left, which nothing recalculates afterwards): the same export every time. An open one reads the
goals' current values "as of" today.

Who exports what: admins every team, a lead their own team (goals.access.attainment_teams);
every download is recorded (AttainmentDownload, in the admin).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from goals_project.people.models import Team, User
from metrics.importing import neutralise_cell
from metrics.registry import METRICS

from .models import AttainmentDownload, Goal, GoalPeriod

CENT = Decimal("0.01")
ZERO = Decimal(0)
CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
COLUMNS = [
    "Row",
    "Team",
    "Owner",
    "Goal",
    "Type",
    "Metric",
    "Weight",
    "Baseline",
    "Target",
    "Stretch",
    "Final value",
    "Progress %",
    "Attainment %",
    "Weighted attainment %",
]
SUMMARY_COLUMNS = ["Team", "Owner", "Goals", "Total weight", "Weighted attainment %"]


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


def capped_attainment(progress: Decimal | None, ceiling: Decimal) -> Decimal | None:
    """Progress floored at 0 and capped at the ceiling (percent), to the cent; None without."""
    if progress is None:
        return None
    return _cents(min(max(progress, ZERO), ceiling))


@dataclass
class GoalLine:
    goal: Goal
    value: Decimal | None
    progress: Decimal | None
    attainment: Decimal | None
    weighted: Decimal | None = None  # weight x attainment / the owner's total weight


@dataclass
class OwnerTotal:
    """One person (or a team, for its team goals) and their goals' weighted attainment."""

    team: Team
    person: User | None
    lines: list[GoalLine] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.person.name if self.person else "Team goals"

    @property
    def counted(self) -> list[GoalLine]:
        return [line for line in self.lines if line.attainment is not None]

    @property
    def total_weight(self) -> Decimal:
        return sum((line.goal.weight for line in self.counted), ZERO)

    @property
    def attainment(self) -> Decimal | None:
        weight = self.total_weight
        if not weight:
            return None
        return _cents(
            sum((line.goal.weight * line.attainment for line in self.counted), ZERO) / weight
        )


@dataclass
class TeamBlock:
    team: Team
    people: list[OwnerTotal]
    team_goals: OwnerTotal


@dataclass
class Attainment:
    period: GoalPeriod
    as_of: date
    closed: bool
    ceiling: Decimal
    teams: list[TeamBlock]

    @property
    def filename(self) -> str:
        day = "final" if self.closed else f"as-of-{self.as_of.isoformat()}"
        slug = "".join(c if c.isalnum() else "-" for c in self.period.name.lower()).strip("-")
        return f"attainment-{slug or self.period.pk}-{day}"


def period_is_closed(period: GoalPeriod) -> bool:
    return period.status == GoalPeriod.Status.COMPLETED or period.closed_at is not None


def period_attainment(
    *, period: GoalPeriod, teams: QuerySet[Team], ceiling: Decimal | None = None
) -> Attainment:
    """The attainment of the period's live goals in these teams, team by team (by name), each
    with its people (by name) and its team goals. Two queries: the goals with their teams and
    owners, and the teams."""
    ceiling = Decimal(settings.GOAL_ATTAINMENT_CEILING) if ceiling is None else ceiling
    closed = period_is_closed(period)
    goals = (
        Goal.objects.filter(period=period, team__in=teams, archived_at__isnull=True)
        .select_related("team", "owner")
        .order_by("team__name", "owner__name", "owner_id", "name", "pk")
    )
    blocks: dict[int, TeamBlock] = {
        team.pk: TeamBlock(team, [], OwnerTotal(team, None)) for team in teams.order_by("name")
    }
    people: dict[tuple[int, int], OwnerTotal] = {}
    for goal in goals:
        frozen = closed and goal.closed_at is not None
        value = goal.final_value if frozen else goal.current_value
        line = GoalLine(goal, value, goal.progress, capped_attainment(goal.progress, ceiling))
        block = blocks[goal.team_id]
        if goal.owner_id is None:
            owner = block.team_goals
        else:
            owner = people.get((goal.team_id, goal.owner_id))
            if owner is None:
                owner = people[(goal.team_id, goal.owner_id)] = OwnerTotal(goal.team, goal.owner)
                block.people.append(owner)
        owner.lines.append(line)
    for block in blocks.values():
        for owner in [*block.people, block.team_goals]:
            weight = owner.total_weight
            for line in owner.counted:
                line.weighted = _cents(line.goal.weight * line.attainment / weight)
    as_of = min(timezone.localdate(), period.end)
    return Attainment(period, as_of, closed, ceiling, list(blocks.values()))


def _metric_label(goal: Goal) -> str:
    metric = METRICS.get(goal.metric_key) if goal.metric_key else None
    return metric.label if metric else goal.metric_key


def _goal_row(owner: OwnerTotal, line: GoalLine) -> list:
    goal = line.goal
    return [
        "team goal" if owner.person is None else "goal",
        owner.team.name,
        owner.name,
        goal.name,
        goal.get_goal_type_display(),
        _metric_label(goal),
        goal.weight,
        goal.baseline,
        goal.task_target if goal.goal_type == Goal.Type.TASK else goal.target,
        goal.stretch_target,
        line.value,
        _cents(line.progress),
        line.attainment,
        line.weighted,
    ]


def _total_row(owner: OwnerTotal) -> list:
    kind = "team total" if owner.person is None else "person total"
    return (
        [kind, owner.team.name, owner.name, "", "", "", owner.total_weight]
        + [None] * 6
        + [owner.attainment]
    )


def _owners(block: TeamBlock) -> list[OwnerTotal]:
    return [*block.people, *([block.team_goals] if block.team_goals.lines else [])]


def report_rows(report: Attainment):
    """Every row of the export: per team, each person's goals then their total, then the team
    goals and the team's total."""
    for block in report.teams:
        for owner in _owners(block):
            for line in owner.lines:
                yield _goal_row(owner, line)
            yield _total_row(owner)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return str(value)
    return neutralise_cell(str(value))


def attainment_csv(report: Attainment) -> bytes:
    """The export as CSV (UTF-8 with a byte-order mark, so spreadsheets read the names right);
    text cells a spreadsheet would run as a formula are quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in report_rows(report):
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode()


def _sheet_title(name: str, taken: set[str]) -> str:
    """A worksheet title: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    title = "".join(" " if c in "[]:*?/\\" else c for c in name).strip("' ")[:31] or "Team"
    base, number = title, 2
    while title.lower() in taken:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title.lower())
    return title


def _append(sheet, row: list, *, bold: bool = False) -> None:
    sheet.append([None if value is None else value for value in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        if bold:
            cell.font = Font(bold=True)


def _widths(sheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def attainment_workbook(report: Attainment) -> bytes:
    """The export as an Excel workbook: a summary sheet (one row per person and per team's
    goals) and one sheet per team with the goal rows and totals; numbers are numbers."""
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    state = "closed, final values" if report.closed else f"as of {report.as_of.isoformat()}"
    _append(summary, [f"{report.period.name}: attainment ({state})"], bold=True)
    _append(summary, [f"Attainment is progress floored at 0 and capped at {report.ceiling}%."])
    _append(summary, SUMMARY_COLUMNS, bold=True)
    taken = {"summary"}
    for block in report.teams:
        for owner in _owners(block):
            _append(
                summary,
                [
                    block.team.name,
                    owner.name,
                    len(owner.lines),
                    owner.total_weight,
                    owner.attainment,
                ],
                bold=owner.person is None,
            )
        sheet = book.create_sheet(_sheet_title(block.team.name, taken))
        _append(sheet, COLUMNS, bold=True)
        for owner in _owners(block):
            for line in owner.lines:
                _append(sheet, _goal_row(owner, line))
            _append(sheet, _total_row(owner), bold=True)
        _widths(sheet, [13, 16, 22, 36, 10, 24] + [12] * 8)
        sheet.freeze_panes = "A2"
    _widths(summary, [20, 24, 8, 13, 22])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def attainment_download(
    *, period: GoalPeriod, user: User, teams: QuerySet[Team], file_format: str
) -> tuple[Attainment, bytes]:
    """The export in `file_format` (csv or xlsx) for this user, recorded as downloaded."""
    report = period_attainment(period=period, teams=teams)
    content = attainment_csv(report) if file_format == CSV else attainment_workbook(report)
    AttainmentDownload.objects.create(
        period=period,
        user=user,
        file_format=file_format,
        final=report.closed,
        as_of=report.as_of,
        teams=", ".join(block.team.name for block in report.teams),
    )
    return report, content


def download_response(
    *, period: GoalPeriod, user: User, teams: QuerySet[Team], file_format: str
) -> HttpResponse:
    """The export as a file download (404 for a format other than csv or xlsx)."""
    if file_format not in FORMATS:
        raise Http404("No such export format.")
    report, content = attainment_download(
        period=period, user=user, teams=teams, file_format=file_format
    )
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{report.filename}.{file_format}"'
    response["Cache-Control"] = "private, no-store"
    return response
