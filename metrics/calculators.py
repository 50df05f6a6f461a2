"""Set-based metric calculators: one pass computes every owner's numerator and denominator.

Each calculator takes the owners (CSM user ids) and an inclusive window [start, end] of calendar
dates and returns {user_id: Ratio} for the owners that have data; the registry fills in the rest.
A customer counts in the book of its current CSM. Every calculator is one SQL query grouped by
owner, whatever the number of owners, and gives the same result on PostgreSQL and SQLite.

The queries are written once per database vendor (and, for QBR completion, per number of
quarters in the window) and kept: compiling an ORM query costs more than running it for a small
scope. They look up each customer's ARR on a date once (a correlated `ORDER BY effective_date
DESC LIMIT 1` on the (customer, effective_date) index, which on PostgreSQL carries arr so that
the table is not read, materialised in a CTE so that the value is not looked up again where it
is used twice); net and gross revenue retention share one pass over their cohort
(`revenue_retention`), and with QBR completion one pass over the customers (`customer_book`).
Only portable SQL is used (materialised CTEs, correlated subqueries, CASE, COALESCE); the scope
filter is the one vendor-specific fragment.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from .models import ArrRecord, Customer, NpsResponse, Qbr, Renewal
from .ratio import Ratio

CENT = Decimal("0.01")
NRR, GRR, QBR = "nrr", "grr", "qbr_completion"


def local_midnight(day: date) -> datetime:
    """The aware datetime at which `day` begins in settings.TIME_ZONE.

    Timestamps (NPS responses, QBR completions) count on their local date, so a window of dates
    becomes [local midnight of start, local midnight of the day after end).
    """
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def timestamp_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return local_midnight(start), local_midnight(end + timedelta(days=1))


def _money(amount) -> Decimal:
    # SQLite sums decimals as floating point; rounding to cents gives PostgreSQL's exact sum
    # (and the same representation) for any book below 10^13.
    return Decimal(amount or 0).quantize(CENT)


# --- the queries, built once -----------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _in_scope(column: str) -> str:
    """`column` is one of the owners (one parameter: the owner ids)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])"
    return f"{column} IN (SELECT value FROM json_each(%s))"


def _owners_parameter(user_ids: Collection[int]):
    ids = sorted(set(user_ids))
    return ids if connection.vendor == "postgresql" else json.dumps(ids)


def _day(day: date):
    return connection.ops.adapt_datefield_value(day)


def _moment(moment: datetime):
    return connection.ops.adapt_datetimefield_value(moment)


def _arr_on(customer_column: str) -> str:
    """ARR of the customer on the date given as the parameter: its latest record on or before
    that date (NULL when none): one descent of the (customer, effective_date) index."""
    return (
        f"(SELECT r.arr FROM {_table(ArrRecord)} r WHERE r.customer_id = {customer_column} "
        "AND r.effective_date <= %s ORDER BY r.effective_date DESC LIMIT 1)"
    )


@functools.cache
def _revenue_sql(vendor: str) -> str:
    # `starting` looks each customer's ARR up on the start date once; `cohort` keeps those
    # with ARR and looks up their ARR on the end date once (0 when churned).
    return (
        "WITH starting AS MATERIALIZED ("
        f"SELECT c.csm_id AS owner, c.id AS customer_id, {_arr_on('c.id')} AS arr_start "
        f"FROM {_table(Customer)} c WHERE {_in_scope('c.csm_id')}"
        "), cohort AS MATERIALIZED ("
        f"SELECT s.owner, s.arr_start, COALESCE({_arr_on('s.customer_id')}, 0) AS arr_end "
        "FROM starting s WHERE s.arr_start > 0"
        ") SELECT owner, SUM(arr_end), "
        "SUM(CASE WHEN arr_end < arr_start THEN arr_end ELSE arr_start END), SUM(arr_start) "
        "FROM cohort GROUP BY owner"
    )


@functools.cache
def _renewal_sql(vendor: str) -> str:
    return (
        "SELECT c.csm_id, SUM(CASE WHEN n.outcome = %s THEN 1 ELSE 0 END), COUNT(*) "
        f"FROM {_table(Renewal)} n JOIN {_table(Customer)} c ON c.id = n.customer_id "
        f"WHERE {_in_scope('c.csm_id')} AND n.due_date >= %s AND n.due_date <= %s "
        "AND n.outcome IN (%s, %s) GROUP BY c.csm_id"
    )


@functools.cache
def _nps_sql(vendor: str) -> str:
    return (
        "SELECT c.csm_id, SUM(CASE WHEN n.score >= 9 THEN 1 WHEN n.score <= 6 THEN -1 ELSE 0 "
        f"END), COUNT(*) FROM {_table(NpsResponse)} n JOIN {_table(Customer)} c "
        f"ON c.id = n.customer_id WHERE {_in_scope('c.csm_id')} AND n.responded_at >= %s "
        "AND n.responded_at < %s GROUP BY c.csm_id"
    )


@functools.cache
def _qbr_sql(vendor: str, parts: int, revenue: bool = False) -> str:
    # `book` looks each customer's ARR up once per quarter part (at the part's last day); a
    # customer active then is expected, and done when it has a QBR completed within the part.
    # With `revenue`, the same pass also gives NRR and GRR: the book also holds each customer's
    # ARR on the start date, and the last part ends on the window's end date, so the ARR at the
    # end is already there (one lookup fewer per customer than two queries).
    lookups = [f"{_arr_on('c.id')} AS arr_{index}" for index in range(parts)]
    if revenue:
        lookups.insert(0, f"{_arr_on('c.id')} AS arr_start")
    expected = " + ".join(
        f"SUM(CASE WHEN b.arr_{index} > 0 THEN 1 ELSE 0 END)" for index in range(parts)
    )
    done = " + ".join(
        f"SUM(CASE WHEN b.arr_{index} > 0 THEN (CASE WHEN EXISTS (SELECT 1 FROM {_table(Qbr)} q "
        "WHERE q.customer_id = b.customer_id AND q.completed_at >= %s AND q.completed_at < %s) "
        "THEN 1 ELSE 0 END) ELSE 0 END)"
        for index in range(parts)
    )
    retention = ""
    if revenue:
        # The cohort is the customers with ARR on the start date (those have a record on or
        # before the end date too: ARR at the end is NULL only for the others).
        ending = f"COALESCE(b.arr_{parts - 1}, 0)"
        retention = (
            f"SUM(CASE WHEN b.arr_start > 0 THEN {ending} ELSE 0 END), "
            f"SUM(CASE WHEN b.arr_start > 0 THEN (CASE WHEN {ending} < b.arr_start THEN {ending} "
            "ELSE b.arr_start END) ELSE 0 END), "
            "SUM(CASE WHEN b.arr_start > 0 THEN b.arr_start ELSE 0 END), "
        )
    return (
        f"WITH book AS MATERIALIZED (SELECT c.csm_id AS owner, c.id AS customer_id, "
        f"{', '.join(lookups)} FROM {_table(Customer)} c WHERE {_in_scope('c.csm_id')}) "
        f"SELECT b.owner, {retention}{expected}, {done} FROM book b GROUP BY b.owner"
    )


def _rows(sql: str, parameters: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall()


# --- the calculators -------------------------------------------------------------------------


def revenue_retention(
    user_ids: Collection[int], start: date, end: date
) -> dict[str, dict[int, Ratio]]:
    """NRR and GRR in one pass over the cohort: the customers in the owners' books with ARR on
    the start date (new customers are excluded). Returns {"nrr": ..., "grr": ...}.

    NRR = sum of ARR(end) / sum of ARR(start): churned customers count with ARR(end) = 0,
    expansion counts in full. GRR = sum of min(ARR(end), ARR(start)) / sum of ARR(start):
    expansion never counts.
    """
    rows = _rows(
        _revenue_sql(connection.vendor),
        [_day(start), _owners_parameter(user_ids), _day(end)],
    )
    by_metric: dict[str, dict[int, Ratio]] = {NRR: {}, GRR: {}}
    for owner, net, gross, starting in rows:
        denominator = _money(starting)
        by_metric[NRR][owner] = Ratio(_money(net), denominator)
        by_metric[GRR][owner] = Ratio(_money(gross), denominator)
    return by_metric


def net_revenue_retention(user_ids: Collection[int], start: date, end: date) -> dict[int, Ratio]:
    """NRR: sum of ARR(end) over the cohort / sum of ARR(start) over the cohort.

    Churned customers count with ARR(end) = 0; expansion counts in full.
    """
    return revenue_retention(user_ids, start, end)[NRR]


def gross_revenue_retention(user_ids: Collection[int], start: date, end: date) -> dict[int, Ratio]:
    """GRR: sum of min(ARR(end), ARR(start)) / sum of ARR(start): expansion never counts."""
    return revenue_retention(user_ids, start, end)[GRR]


def renewal_rate(user_ids: Collection[int], start: date, end: date) -> dict[int, Ratio]:
    """Logo renewal rate: renewed / (renewed + churned) over renewals due in the window.

    Pending renewals are not decided yet, so they count in neither part.
    """
    renewed, churned = Renewal.Outcome.RENEWED.value, Renewal.Outcome.CHURNED.value
    rows = _rows(
        _renewal_sql(connection.vendor),
        [renewed, _owners_parameter(user_ids), _day(start), _day(end), renewed, churned],
    )
    return {owner: Ratio(Decimal(done), Decimal(decided)) for owner, done, decided in rows}


def net_promoter_score(user_ids: Collection[int], start: date, end: date) -> dict[int, Ratio]:
    """NPS: (promoters 9-10 minus detractors 0-6) / all responses, each response counting once.

    The ratio's numerator is promoters - detractors, so the value runs from -100 to 100.
    """
    since, before = timestamp_bounds(start, end)
    rows = _rows(
        _nps_sql(connection.vendor),
        [_owners_parameter(user_ids), _moment(since), _moment(before)],
    )
    return {owner: Ratio(Decimal(net), Decimal(responses)) for owner, net, responses in rows}


def quarters(start: date, end: date) -> Iterator[tuple[date, date]]:
    """The parts of [start, end] cut at calendar-quarter boundaries, in order."""
    part_start = start
    while part_start <= end:
        quarter_index = (part_start.month - 1) // 3
        if quarter_index == 3:
            next_quarter = date(part_start.year + 1, 1, 1)
        else:
            next_quarter = date(part_start.year, quarter_index * 3 + 4, 1)
        part_end = min(end, next_quarter - timedelta(days=1))
        yield part_start, part_end
        part_start = next_quarter


def _quarter_days(day: date) -> int:
    """The number of days in the calendar quarter holding `day`."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    _, last = next(quarters(first, date(first.year + 1, 1, 1)))
    return (last - first).days + 1


def _even_qbr_completion(start: date, end: date) -> Decimal:
    """QBR completion over [start, end] (as a share, 0..1) when every customer's QBR of a quarter
    falls on a uniformly random day of it: each quarter's part counts its share of the quarter."""
    parts = list(quarters(start, end))
    done = sum(
        (Decimal((part_end - part_start).days + 1) / _quarter_days(part_start))
        for part_start, part_end in parts
    )
    return done / len(parts)


def qbr_completion_pace(start: date, end: date, as_of: date) -> Decimal:
    """The share (0..1) of its value over [start, end] that QBR completion is expected to have
    reached on `as_of` on an even schedule: 0 before the start, 1 on the last day. Over a
    calendar quarter that is the elapsed share of the quarter; over a year the completed
    quarters count whole (mid-Q2 is 75 %)."""
    if as_of < start:
        return Decimal(0)
    if as_of >= end:
        return Decimal(1)
    return _even_qbr_completion(start, as_of) / _even_qbr_completion(start, end)


def qbr_completion(user_ids: Collection[int], start: date, end: date) -> dict[int, Ratio]:
    """QBR completion: one QBR expected per active customer per calendar quarter.

    For each quarter's part of the window, expected = customers active (ARR > 0) on the part's
    last day, done = those of them with a QBR completed inside the part. All quarters are
    computed in the same query: one ARR lookup per quarter and customer, and one look for a
    completed QBR per quarter and active customer.
    """
    parts = list(quarters(start, end))
    if not parts:  # an empty window (end before start)
        return {}
    rows = _rows(_qbr_sql(connection.vendor, len(parts)), _qbr_parameters(user_ids, parts))
    return {
        owner: Ratio(Decimal(done), Decimal(expected)) for owner, expected, done in rows if expected
    }


def _qbr_parameters(
    user_ids: Collection[int], parts: list[tuple[date, date]], start: date | None = None
) -> list:
    """The parameters of _qbr_sql: with `start` (the window's first day), those of its
    revenue form."""
    parameters: list = [] if start is None else [_day(start)]
    parameters += [_day(part_end) for _, part_end in parts]
    parameters.append(_owners_parameter(user_ids))
    for part_start, part_end in parts:
        since, before = timestamp_bounds(part_start, part_end)
        parameters += [_moment(since), _moment(before)]
    return parameters


def customer_book(
    user_ids: Collection[int], start: date, end: date, keys: Collection[str] = (NRR, GRR, QBR)
) -> dict[str, dict[int, Ratio]]:
    """NRR, GRR and QBR completion (the metrics among `keys`) in one pass over the owners'
    customers: each customer's ARR is looked up on the start date and on each quarter part's
    last day (the last of which is the end date), and its QBRs are looked at once per part.
    Returns {key: {user_id: Ratio}} for the asked keys, the same as their own calculators."""
    keys = set(keys)
    parts = list(quarters(start, end))
    if QBR not in keys or not parts:
        by_metric = revenue_retention(user_ids, start, end) if keys & {NRR, GRR} else {}
        if QBR in keys:
            by_metric[QBR] = {}
        return {key: by_metric[key] for key in keys}
    if not keys & {NRR, GRR}:
        return {QBR: qbr_completion(user_ids, start, end)}
    rows = _rows(
        _qbr_sql(connection.vendor, len(parts), revenue=True),
        _qbr_parameters(user_ids, parts, start),
    )
    by_metric: dict[str, dict[int, Ratio]] = {NRR: {}, GRR: {}, QBR: {}}
    for owner, net, gross, starting, expected, done in rows:
        denominator = _money(starting)
        if denominator:
            by_metric[NRR][owner] = Ratio(_money(net), denominator)
            by_metric[GRR][owner] = Ratio(_money(gross), denominator)
        if expected:
            by_metric[QBR][owner] = Ratio(Decimal(done), Decimal(expected))
    return {key: by_metric[key] for key in keys}
