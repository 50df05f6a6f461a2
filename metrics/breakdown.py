"""The accounts behind a metric value: one row per customer (per renewal for the renewal rate)
of a scope's book over a window, from the calculators' rules and data, adding up to the value.

A breakdown's rows carry their part of the metric's ratio (`numerator`, `denominator`): the
rows' sums are the calculators' ratio to the last cent, so the value is theirs. Each row also
says by how many `points` it moves the value from the metric's `base`: from 100 % for NRR, GRR
and the renewal rate (an account kept at its starting ARR, or renewed, moves nothing; churn
and contraction pull down, expansion pushes up), from 0 for NPS and QBR completion (a promoter
or a held QBR adds, a detractor takes away). The points are given to 4 decimals and add up,
with the base, exactly to the value to 4 decimals (the largest remainders get the last
ten-thousandths, so rounding never leaves a gap).

Rows that are part of the picture without counting in the value come apart (`apart`): new
logos (ARR at the end but none at the start: outside the NRR/GRR cohort) and renewals still
pending. Counted rows are sorted by impact (the points, largest first either way).

One SQL query per metric, whatever the number of customers (NRR and GRR share theirs):
`breakdown(key, user_ids=..., start=..., end=...)`.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .calculators import (
    GRR,
    NRR,
    _arr_on,
    _day,
    _in_scope,
    _moment,
    _money,
    _owners_parameter,
    _rows,
    _table,
    quarters,
    timestamp_bounds,
)
from .models import Customer, NpsResponse, Qbr, Renewal
from .ratio import HUNDRED, Ratio
from .registry import get_metric

QUANTUM = Decimal("0.0001")
ZERO = Decimal(0)
CENTS = Decimal("0.00")

# Movement classes and outcomes (the `kind` of a row).
EXPANSION, CONTRACTION, CHURN, UNCHANGED, NEW = (
    "expansion",
    "contraction",
    "churn",
    "unchanged",
    "new",
)
RENEWED, CHURNED, PENDING = "renewed", "churned", "pending"
PROMOTER, PASSIVE, DETRACTOR = "promoter", "passive", "detractor"
HELD, MISSED, NOT_YET_DUE = "held", "missed", "not_yet_due"

KIND_LABELS = {
    EXPANSION: "Expansion",
    CONTRACTION: "Contraction",
    CHURN: "Churn",
    UNCHANGED: "Unchanged",
    NEW: "New logo",
    RENEWED: "Renewed",
    CHURNED: "Churned",
    PENDING: "Pending",
    PROMOTER: "Promoter",
    PASSIVE: "Passive",
    DETRACTOR: "Detractor",
    HELD: "Held",
    MISSED: "Missed",
    NOT_YET_DUE: "Not yet due",
}

# Where a metric's rows start from: the value when no row moves it.
BASES = {
    NRR: HUNDRED,
    GRR: HUNDRED,
    "renewal_rate": HUNDRED,
    "nps": ZERO,
    "qbr_completion": ZERO,
}

# What the base means, for pages and exports.
BASE_TEXTS = {
    NRR: "Starts from 100 %: every account of the starting cohort kept at its starting ARR.",
    GRR: "Starts from 100 %: every account of the starting cohort kept at its starting ARR; "
    "expansion does not count.",
    "renewal_rate": "Starts from 100 %: every decided renewal renewed.",
    "nps": "Starts from 0: each promoter response adds, each detractor response takes away.",
    "qbr_completion": "Starts from 0: each QBR held adds.",
}


@dataclass
class Row:
    """One customer of the breakdown (one renewal, for the renewal rate)."""

    customer_id: int
    customer_name: str
    external_id: str
    csm_id: int
    kind: str
    numerator: Decimal = ZERO
    denominator: Decimal = ZERO
    points: Decimal | None = None  # None: listed apart, not counted in the value
    # NRR / GRR
    arr_start: Decimal | None = None
    arr_end: Decimal | None = None
    # renewal rate
    due_date: date | None = None
    # NPS: the customer's responses in the window and its latest one
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    latest_score: int | None = None
    latest_at: datetime | None = None
    comment: str = ""
    # QBR completion: per quarter of the window
    held: int = 0
    missed: int = 0
    not_yet_due: int = 0

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def expected(self) -> int:
        return self.held + self.missed + self.not_yet_due

    @property
    def arr_change(self) -> Decimal | None:
        if self.arr_end is None:
            return None
        return self.arr_end - (self.arr_start or ZERO)


@dataclass
class Breakdown:
    key: str
    start: date
    end: date
    rows: list[Row] = field(default_factory=list)  # counted in the value, by impact
    apart: list[Row] = field(default_factory=list)  # new logos, pending renewals

    @property
    def base(self) -> Decimal:
        return BASES[self.key]

    @property
    def base_text(self) -> str:
        return BASE_TEXTS[self.key]

    @property
    def ratio(self) -> Ratio:
        return Ratio(
            sum((row.numerator for row in self.rows), ZERO),
            sum((row.denominator for row in self.rows), ZERO),
        )

    @property
    def value(self) -> Decimal | None:
        """The metric's value to 4 decimals, which base + the rows' points make exactly."""
        value = self.ratio.value
        return None if value is None else value.quantize(QUANTUM)

    def counts(self) -> dict[str, int]:
        """Rows per kind (counted and apart), in the order of KIND_LABELS."""
        found: dict[str, int] = {}
        for row in [*self.rows, *self.apart]:
            found[row.kind] = found.get(row.kind, 0) + 1
        return {kind: found[kind] for kind in KIND_LABELS if kind in found}


def breakdown(key: str, *, user_ids: Collection[int], start: date, end: date) -> Breakdown:
    """The breakdown of metric `key` (an alias too) over the owners' books and [start, end]."""
    key = get_metric(key).key
    result = Breakdown(key=key, start=start, end=end)
    if user_ids and start <= end:
        builders = {
            NRR: _revenue_rows,
            GRR: _revenue_rows,
            "renewal_rate": _renewal_rows,
            "nps": _nps_rows,
            "qbr_completion": _qbr_rows,
        }
        result.rows, result.apart = builders[key](key, sorted(set(user_ids)), start, end)
    _give_points(result)
    return result


def _give_points(result: Breakdown) -> None:
    """Each counted row's points: (its numerator - base x its denominator / 100) over the
    scope's denominator x 100, to 4 decimals, the last ten-thousandths going to the largest
    remainders so that base + the points is exactly the value to 4 decimals. Then the rows
    are sorted by impact."""
    ratio = result.ratio
    if not ratio.denominator:
        for row in result.rows:
            row.points = ZERO
        return
    share = result.base / HUNDRED
    exact = [
        (row.numerator - share * row.denominator) / ratio.denominator * HUNDRED
        for row in result.rows
    ]
    floors = [points.quantize(QUANTUM, rounding=ROUND_FLOOR) for points in exact]
    total = result.value - result.base
    missing = int((total - sum(floors, ZERO)) / QUANTUM)
    missing = max(0, min(missing, len(floors)))
    by_remainder = sorted(
        range(len(floors)),
        key=lambda index: (exact[index] - floors[index], -result.rows[index].customer_id),
        reverse=True,
    )
    for index in by_remainder[:missing]:
        floors[index] += QUANTUM
    for row, points in zip(result.rows, floors, strict=True):
        row.points = points
    result.rows.sort(
        key=lambda row: (-abs(row.points), row.customer_name.casefold(), row.customer_id)
    )


# --- the queries -------------------------------------------------------------------------------

_CUSTOMER_COLUMNS = "c.id, c.name, c.external_id, c.csm_id"


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _aware(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.UTC)
    return value


@functools.cache
def _revenue_sql(vendor: str) -> str:
    # The calculators' cohort query, kept per customer: ARR on the start date looked up once,
    # ARR on the end date once (0 when churned). Customers with neither are left out.
    return (
        "WITH starting AS MATERIALIZED ("
        f"SELECT {_CUSTOMER_COLUMNS}, {_arr_on('c.id')} AS arr_start "
        f"FROM {_table(Customer)} c WHERE {_in_scope('c.csm_id')}"
        "), ending AS MATERIALIZED ("
        "SELECT s.id, s.name, s.external_id, s.csm_id, s.arr_start, "
        f"COALESCE({_arr_on('s.id')}, 0) AS arr_end FROM starting s"
        ") SELECT id, name, external_id, csm_id, arr_start, arr_end FROM ending "
        "WHERE arr_start > 0 OR arr_end > 0"
    )


def _revenue_rows(
    key: str, user_ids: Sequence[int], start: date, end: date
) -> tuple[list[Row], list[Row]]:
    rows, apart = [], []
    for pk, name, external_id, csm_id, arr_start, arr_end in _rows(
        _revenue_sql(connection.vendor),
        [_day(start), _owners_parameter(user_ids), _day(end)],
    ):
        arr_end = _money(arr_end)
        if not arr_start or _money(arr_start) <= 0:
            apart.append(Row(pk, name, external_id, csm_id, NEW, arr_start=CENTS, arr_end=arr_end))
            continue
        arr_start = _money(arr_start)
        if arr_end == 0:
            kind = CHURN
        elif arr_end > arr_start:
            kind = EXPANSION
        elif arr_end < arr_start:
            kind = CONTRACTION
        else:
            kind = UNCHANGED
        numerator = arr_end if key == NRR else min(arr_end, arr_start)
        rows.append(
            Row(
                pk,
                name,
                external_id,
                csm_id,
                kind,
                numerator=numerator,
                denominator=arr_start,
                arr_start=arr_start,
                arr_end=arr_end,
            )
        )
    apart.sort(key=lambda row: (-row.arr_end, row.customer_name.casefold(), row.customer_id))
    return rows, apart


@functools.cache
def _renewal_sql(vendor: str) -> str:
    return (
        f"SELECT {_CUSTOMER_COLUMNS}, n.due_date, n.outcome FROM {_table(Renewal)} n "
        f"JOIN {_table(Customer)} c ON c.id = n.customer_id WHERE {_in_scope('c.csm_id')} "
        "AND n.due_date >= %s AND n.due_date <= %s AND n.outcome IN (%s, %s, %s)"
    )


def _renewal_rows(
    key: str, user_ids: Sequence[int], start: date, end: date
) -> tuple[list[Row], list[Row]]:
    rows, apart = [], []
    for pk, name, external_id, csm_id, due, outcome in _rows(
        _renewal_sql(connection.vendor),
        [_owners_parameter(user_ids), _day(start), _day(end), RENEWED, CHURNED, PENDING],
    ):
        row = Row(pk, name, external_id, csm_id, outcome, due_date=_date(due))
        if outcome == PENDING:
            apart.append(row)
            continue
        row.numerator = Decimal(outcome == RENEWED)
        row.denominator = Decimal(1)
        rows.append(row)
    apart.sort(key=lambda row: (row.due_date, row.customer_name.casefold(), row.customer_id))
    return rows, apart


@functools.cache
def _nps_sql(vendor: str) -> str:
    return (
        f"SELECT {_CUSTOMER_COLUMNS}, n.score, n.responded_at, n.comment "
        f"FROM {_table(NpsResponse)} n JOIN {_table(Customer)} c ON c.id = n.customer_id "
        f"WHERE {_in_scope('c.csm_id')} AND n.responded_at >= %s AND n.responded_at < %s "
        "ORDER BY c.id, n.responded_at, n.id"
    )


def _category(score: int) -> str:
    return PROMOTER if score >= 9 else DETRACTOR if score <= 6 else PASSIVE


def _nps_rows(
    key: str, user_ids: Sequence[int], start: date, end: date
) -> tuple[list[Row], list[Row]]:
    since, before = timestamp_bounds(start, end)
    by_customer: dict[int, Row] = {}
    for pk, name, external_id, csm_id, score, responded_at, comment in _rows(
        _nps_sql(connection.vendor),
        [_owners_parameter(user_ids), _moment(since), _moment(before)],
    ):
        row = by_customer.get(pk)
        if row is None:
            row = by_customer[pk] = Row(pk, name, external_id, csm_id, PASSIVE)
        category = _category(score)
        if category == PROMOTER:
            row.promoters += 1
        elif category == DETRACTOR:
            row.detractors += 1
        else:
            row.passives += 1
        # Ordered by time: the last one seen is the customer's latest response.
        row.kind, row.latest_score, row.latest_at = category, score, _aware(responded_at)
        row.comment = comment or ""
    rows = list(by_customer.values())
    for row in rows:
        row.numerator = Decimal(row.promoters - row.detractors)
        row.denominator = Decimal(row.responses)
    return rows, []


@functools.cache
def _qbr_sql(vendor: str, parts: int) -> str:
    # The calculators' QBR query, kept per customer: active at each quarter part's last day
    # (ARR > 0), and whether a QBR was completed inside the part.
    active = ", ".join(f"{_arr_on('c.id')} AS arr_{index}" for index in range(parts))
    flags = ", ".join(
        f"CASE WHEN b.arr_{index} > 0 THEN 1 ELSE 0 END, "
        f"CASE WHEN b.arr_{index} > 0 AND EXISTS (SELECT 1 FROM {_table(Qbr)} q "
        "WHERE q.customer_id = b.id AND q.completed_at >= %s AND q.completed_at < %s) "
        "THEN 1 ELSE 0 END"
        for index in range(parts)
    )
    any_active = " OR ".join(f"b.arr_{index} > 0" for index in range(parts))
    return (
        f"WITH book AS MATERIALIZED (SELECT {_CUSTOMER_COLUMNS}, {active} "
        f"FROM {_table(Customer)} c WHERE {_in_scope('c.csm_id')}) "
        f"SELECT b.id, b.name, b.external_id, b.csm_id, {flags} FROM book b WHERE {any_active}"
    )


def _quarter_end(day: date) -> date:
    return next(quarters(day, date(day.year + 1, 12, 31)))[1]


def _qbr_rows(
    key: str, user_ids: Sequence[int], start: date, end: date
) -> tuple[list[Row], list[Row]]:
    parts = list(quarters(start, end))
    parameters: list = [_day(part_end) for _, part_end in parts]
    parameters.append(_owners_parameter(user_ids))
    for part_start, part_end in parts:
        since, before = timestamp_bounds(part_start, part_end)
        parameters += [_moment(since), _moment(before)]
    # A quarter cut by the window's end was not over: a QBR not held yet is not yet due.
    open_quarter = [part_end < _quarter_end(part_end) for _, part_end in parts]
    rows = []
    for pk, name, external_id, csm_id, *flags in _rows(
        _qbr_sql(connection.vendor, len(parts)), parameters
    ):
        row = Row(pk, name, external_id, csm_id, HELD)
        for index, still_open in enumerate(open_quarter):
            expected, done = flags[2 * index], flags[2 * index + 1]
            if not expected:
                continue
            if done:
                row.held += 1
            elif still_open:
                row.not_yet_due += 1
            else:
                row.missed += 1
        row.kind = MISSED if row.missed else NOT_YET_DUE if row.not_yet_due else HELD
        row.numerator, row.denominator = Decimal(row.held), Decimal(row.expected)
        rows.append(row)
    return rows, []
