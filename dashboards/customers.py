"""Customers as their readers see them: who may see a customer, the customer page's data, and
a metric's breakdown into its accounts for a scope the reader may see (with its CSV).

Visibility follows the CSM: whoever may look up the CSM's goals (the CSM, the people on the
CSM's team, admins: `people.access.visible_people`) sees the customer; anybody else gets a 404.
A scope's breakdown lists only its own book's customers, so every row links to a customer page
its reader may open.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from goals.access import visible_goals
from goals.models import Goal
from goals.progress import goal_window
from goals_project.people.access import can_view_team, is_admin, parse_id, visible_people
from goals_project.people.models import Membership, Team, User
from goals_project.people.selectors import membership_of
from metrics.breakdown import KIND_LABELS, Breakdown, Row, breakdown
from metrics.importing import neutralise_cell
from metrics.models import ArrRecord, Customer, NpsResponse, Qbr, Renewal
from metrics.registry import Metric, get_metric, team_members

from . import charts
from .display import number

# The longest window a breakdown covers (QBR completion reads one part per quarter in it).
MAX_WINDOW_DAYS = 3 * 366


def customer_url(customer_id: int) -> str:
    return reverse("customer_detail", args=[customer_id])


# --- who sees what ----------------------------------------------------------------------------


def visible_customers(viewer: User):
    """The customers whose CSM the viewer may look up (one SQL query when evaluated)."""
    if is_admin(viewer):
        return Customer.objects.all()
    return Customer.objects.filter(csm__in=visible_people(viewer))


def get_customer_for_viewer(viewer: User, customer_id: int | str) -> Customer:
    pk = parse_id(customer_id)
    customer = (
        None
        if pk is None
        else visible_customers(viewer).select_related("csm__membership__team").filter(pk=pk).first()
    )
    if customer is None:
        raise Http404("No such customer.")
    return customer


@dataclass(frozen=True)
class Scope:
    """Whose book a breakdown covers: a person or a team."""

    kind: str  # "user" or "team"
    pk: int
    name: str
    user_ids: tuple[int, ...]


def person_scope(viewer: User, user_id: int | str) -> Scope:
    """A person's book, if the viewer may see it (404 otherwise)."""
    pk = parse_id(user_id)
    person = None if pk is None else visible_people(viewer).filter(pk=pk).first()
    if person is None:
        raise Http404("No such person, or you may not see them.")
    return Scope("user", person.pk, person.get_full_name(), (person.pk,))


def team_scope(viewer: User, team_id: int | str) -> Scope:
    """A team's book (its members', leads included), if the viewer may see the team: admins
    every team, others their own (404 otherwise)."""
    pk = parse_id(team_id)
    team = None if pk is None else Team.objects.filter(pk=pk).first()
    if team is None or not can_view_team(viewer, team):
        raise Http404("No such team, or you may not see it.")
    return Scope("team", team.pk, team.name, tuple(team_members([team.pk])[team.pk]))


def goal_scope(goal: Goal) -> Scope:
    """The book a metric goal reads (the goal's visibility is checked by whoever fetched it)."""
    if goal.owner_id is not None:
        return Scope("user", goal.owner_id, goal.owner.get_full_name(), (goal.owner_id,))
    members = team_members([goal.team_id])[goal.team_id]
    return Scope("team", goal.team_id, goal.team.name, tuple(members))


# --- the breakdown as a reader gets it ----------------------------------------------------------


@dataclass
class ScopeBreakdown:
    metric: Metric
    scope: Scope
    breakdown: Breakdown
    csm_names: dict[int, str]

    @property
    def rows(self) -> list[Row]:
        return self.breakdown.rows

    @property
    def apart(self) -> list[Row]:
        return self.breakdown.apart

    def csm_name(self, row: Row) -> str:
        return self.csm_names.get(row.csm_id, "")

    @property
    def value_display(self) -> str:
        return number(self.breakdown.value, 1)

    def filename(self) -> str:
        scope = "".join(ch if ch.isalnum() else "-" for ch in self.scope.name.lower()).strip("-")
        return (
            f"{self.metric.key}-{scope or self.scope.kind}-"
            f"{self.breakdown.start.isoformat()}-{self.breakdown.end.isoformat()}.csv"
        )


def scope_breakdown(metric_key: str, scope: Scope, *, start: date, end: date) -> ScopeBreakdown:
    """The metric's breakdown over the scope's book: one query for the metric, one for the
    names of the CSMs it lists."""
    metric = get_metric(metric_key)
    result = breakdown(metric.key, user_ids=scope.user_ids, start=start, end=end)
    names = {}
    csm_ids = {row.csm_id for row in [*result.rows, *result.apart]}
    if csm_ids:
        names = {
            user.pk: user.get_full_name()
            for user in User.objects.filter(pk__in=csm_ids).only("name", "email")
        }
    return ScopeBreakdown(metric=metric, scope=scope, breakdown=result, csm_names=names)


# What each metric's CSV holds besides the customer, its CSM, the row's kind and its points.
CSV_COLUMNS = {
    "nrr": ["arr_start", "arr_end", "arr_change"],
    "grr": ["arr_start", "arr_end", "arr_change"],
    "renewal_rate": ["due_date"],
    "nps": [
        "promoters",
        "passives",
        "detractors",
        "latest_score",
        "latest_responded_at",
        "comment",
    ],
    "qbr_completion": ["qbrs_held", "qbrs_missed", "qbrs_not_yet_due"],
}
KIND_COLUMN = {
    "nrr": "movement",
    "grr": "movement",
    "renewal_rate": "outcome",
    "nps": "category",
    "qbr_completion": "status",
}


def row_fields(row: Row) -> dict:
    """A row's metric-specific fields, named as the API and the CSV name them."""
    return {
        "arr_start": row.arr_start,
        "arr_end": row.arr_end,
        "arr_change": row.arr_change,
        "due_date": row.due_date,
        "promoters": row.promoters,
        "passives": row.passives,
        "detractors": row.detractors,
        "latest_score": row.latest_score,
        "latest_responded_at": row.latest_at,
        "comment": row.comment,
        "qbrs_held": row.held,
        "qbrs_missed": row.missed,
        "qbrs_not_yet_due": row.not_yet_due,
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_cell(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def breakdown_csv(result: ScopeBreakdown) -> str:
    """The breakdown as CSV: a first line with the starting point, then one line per counted
    row by impact, then the rows listed apart (no points). The `points` column sums to the
    value. Text cells a spreadsheet would run as a formula (leading = + - @, tab, CR) get a
    leading quote."""
    key = result.metric.key
    extra = CSV_COLUMNS[key]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["customer", "external_id", "csm", KIND_COLUMN[key], "counted", "points", *extra]
    )
    writer.writerow(
        [_cell(result.breakdown.base_text), "", "", "starting point", "yes", result.breakdown.base]
        + [""] * len(extra)
    )
    for counted, rows in ((True, result.rows), (False, result.apart)):
        for row in rows:
            fields = row_fields(row)
            writer.writerow(
                [
                    _cell(row.customer_name),
                    _cell(row.external_id),
                    _cell(result.csm_name(row)),
                    row.kind,
                    "yes" if counted else "no",
                    _cell(row.points),
                    *(_cell(fields[column]) for column in extra),
                ]
            )
    return out.getvalue()


# --- the customer page ---------------------------------------------------------------------


@dataclass
class CustomerPage:
    customer: Customer
    csm_team: Team | None
    arr_now: Decimal
    arr_figure: dict | None
    arr_records: list[ArrRecord]
    renewals: list[Renewal]
    responses: list[NpsResponse]
    qbrs: list[Qbr]
    goals: list[Goal]
    can_open_csm: bool  # the CSM's own page: admins, the CSM, the leads of the CSM's team


def counting_goals(viewer: User, customer: Customer, today: date) -> list[Goal]:
    """The viewer's visible metric goals, of periods running today, whose book holds the
    customer: the CSM's own goals and their team's goals."""
    membership = getattr(customer.csm, "membership", None)
    book = Q(owner_id=customer.csm_id)
    if membership is not None:
        book |= Q(owner__isnull=True, team_id=membership.team_id)
    return list(
        visible_goals(viewer)
        .filter(book, goal_type=Goal.Type.METRIC, period__start__lte=today, period__end__gte=today)
        .exclude(metric_key="")
        .select_related("period", "team", "owner")
        .order_by("period__start", "owner_id", "name")
    )


def customer_page(viewer: User, customer: Customer, today: date) -> CustomerPage:
    arr_records = list(customer.arr_records.order_by("effective_date"))
    current = [record for record in arr_records if record.effective_date <= today]
    membership = getattr(customer.csm, "membership", None)
    return CustomerPage(
        customer=customer,
        csm_team=membership.team if membership is not None else None,
        arr_now=current[-1].arr if current else Decimal(0),
        arr_figure=arr_history_figure(arr_records, today) if arr_records else None,
        arr_records=list(reversed(arr_records)),
        renewals=list(customer.renewals.order_by("-due_date")),
        responses=list(customer.nps_responses.order_by("-responded_at")),
        qbrs=list(customer.qbrs.order_by("-scheduled_date")),
        goals=counting_goals(viewer, customer, today),
        can_open_csm=_can_open_person(viewer, customer.csm_id, membership),
    )


def _can_open_person(viewer: User, person_id: int, membership: Membership | None) -> bool:
    if is_admin(viewer) or viewer.pk == person_id:
        return True
    mine = membership_of(viewer)
    return (
        mine is not None
        and membership is not None
        and mine.role == Membership.Role.LEAD
        and mine.team_id == membership.team_id
    )


def arr_history_figure(records: Iterable[ArrRecord], today: date) -> dict:
    """ARR over time as a step line (a record holds until the next one), drawn to today."""
    days, values = [], []
    for record in records:
        days.append(record.effective_date.isoformat())
        values.append(float(record.arr))
    last_day = max(today, date.fromisoformat(days[-1]))
    days.append(last_day.isoformat())
    values.append(values[-1])
    first = date.fromisoformat(days[0]) - timedelta(days=7)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": days,
                "y": values,
                "line": {"shape": "hv", "color": charts.BRAND, "width": 2},
                "marker": {"size": 6},
                "name": "ARR",
                "hovertemplate": "%{x|%d %b %Y}: $%{y:,.0f}<extra></extra>",
            }
        ],
        "layout": {
            "margin": {"l": 64, "r": 16, "t": 8, "b": 36},
            "height": 260,
            "showlegend": False,
            "font": {"family": charts.FONT, "color": charts.INK, "size": 12},
            "xaxis": {"range": [first.isoformat(), last_day.isoformat()], "gridcolor": charts.GRID},
            "yaxis": {"rangemode": "tozero", "tickprefix": "$", "gridcolor": charts.GRID},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }


# --- the goal page's breakdown (loaded on demand) --------------------------------------------

# Rows shown on the goal page; the others are summed in one line (the CSV has them all).
PAGE_ROWS = 50


def can_read_goal_breakdown(viewer: User, goal: Goal) -> bool:
    """Whether the viewer may see the customers behind a goal they see: admins, and the people
    of the goal's team (whoever may look up the goal's CSMs). Someone a goal is only shared
    with sees its value, not the accounts."""
    return can_view_team(viewer, goal.team)


@dataclass(frozen=True)
class GoalBreakdownPanel:
    goal: Goal
    metric: Metric
    start: date
    end: date
    allowed: bool

    @property
    def csv_url(self) -> str:
        scope = f"user={self.goal.owner_id}" if self.goal.owner_id else f"team={self.goal.team_id}"
        return (
            reverse("api-metric-breakdown", args=[self.metric.key])
            + f"?{scope}&start_date={self.start.isoformat()}&end_date={self.end.isoformat()}"
            + "&format=csv"
        )


def goal_breakdown_panel(*, viewer: User, goal: Goal, today: date) -> GoalBreakdownPanel | None:
    """What the goal page needs to offer the breakdown (no query): None for a goal without a
    calculated metric or whose period has not started."""
    if goal.goal_type != Goal.Type.METRIC or not goal.metric_key:
        return None
    try:
        metric = get_metric(goal.metric_key)
    except KeyError:
        return None
    window = goal_window(start=goal.period.start, end=goal.period.end, today=today)
    if window is None:
        return None
    return GoalBreakdownPanel(
        goal=goal,
        metric=metric,
        start=window[0],
        end=window[1],
        allowed=can_read_goal_breakdown(viewer, goal),
    )


def goal_page_breakdown_panel(*, viewer: User, goal: Goal) -> GoalBreakdownPanel | None:
    """The goal page's panel (goals.panels): `goal_breakdown_panel` as of today."""
    return goal_breakdown_panel(viewer=viewer, goal=goal, today=timezone.localdate())


def signed(points: Decimal | None) -> str:
    """Points as a page shows them: +15.00, -2.50, 0.00."""
    if points is None:
        return ""
    return f"{points:+,.2f}" if points else "0.00"


def dollars(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return f"-${-amount:,.0f}" if amount < 0 else f"${amount:,.0f}"


@dataclass(frozen=True)
class PageLine:
    row: Row
    csm_name: str
    url: str

    @property
    def points(self) -> str:
        return signed(self.row.points)

    @property
    def direction(self) -> str:
        points = self.row.points or 0
        return "up" if points > 0 else "down" if points < 0 else ""

    @property
    def arr_start(self) -> str:
        return dollars(self.row.arr_start)

    @property
    def arr_end(self) -> str:
        return dollars(self.row.arr_end)

    @property
    def arr_change(self) -> str:
        change = self.row.arr_change
        return "" if change is None else ("+" if change > 0 else "") + dollars(change)


@dataclass
class PageBreakdown:
    panel: GoalBreakdownPanel
    result: ScopeBreakdown
    shown: list[PageLine]
    apart: list[PageLine]
    others: int
    others_points: Decimal

    @property
    def key(self) -> str:
        return self.result.metric.key

    @property
    def base(self) -> str:
        return f"{self.result.breakdown.base:,.2f}"

    @property
    def layout(self) -> dict[str, int]:
        """The page table's columns before the points: `lead` always shown, `hidden` ones
        folded on phones, then `after` shown again (for lines that span them)."""
        return {
            "nrr": {"lead": 2, "hidden": 3, "after": 0},
            "grr": {"lead": 2, "hidden": 3, "after": 0},
            "renewal_rate": {"lead": 3, "hidden": 0, "after": 0},
            "nps": {"lead": 2, "hidden": 1, "after": 1},
            "qbr_completion": {"lead": 2, "hidden": 3, "after": 0},
        }[self.key]

    @property
    def others_text(self) -> str:
        return signed(self.others_points)

    @property
    def value(self) -> str:
        value = self.result.breakdown.value
        return "no data" if value is None else f"{value:,.2f}"

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        return [
            (kind, KIND_LABELS[kind], count)
            for kind, count in self.result.breakdown.counts().items()
        ]


def goal_breakdown(panel: GoalBreakdownPanel) -> PageBreakdown:
    """The goal's breakdown over its window: the largest PAGE_ROWS rows and the rest summed."""
    result = scope_breakdown(
        panel.metric.key, goal_scope(panel.goal), start=panel.start, end=panel.end
    )
    shown, rest = result.rows[:PAGE_ROWS], result.rows[PAGE_ROWS:]

    def lines(rows: list[Row]) -> list[PageLine]:
        return [PageLine(row, result.csm_name(row), customer_url(row.customer_id)) for row in rows]

    return PageBreakdown(
        panel=panel,
        result=result,
        shown=lines(shown),
        apart=lines(result.apart),
        others=len(rest),
        others_points=sum((row.points for row in rest), Decimal(0)),
    )
