"""Set-based metric calculators: one pass computes every owner's numerator and denominator.

Each calculator takes the owners (CSM user ids) and an inclusive window [start, end] of calendar
dates and returns {user_id: Ratio} for the owners that have data; the registry fills in the rest.
A customer counts in the book of its current CSM. Every calculator is one SQL query grouped by
owner, whatever the number of owners, and gives the same result on PostgreSQL and SQLite (the
expressions used are portable: correlated subqueries, conditional counts, COALESCE, LEAST).
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from .models import ArrRecord, Customer, NpsResponse, Qbr, Renewal
from .ratio import Ratio

MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")
ZERO_MONEY = Value(Decimal("0.00"), output_field=MONEY)


def local_midnight(day: date) -> datetime:
    """The aware datetime at which `day` begins in settings.TIME_ZONE.

    Timestamps (NPS responses, QBR completions) count on their local date, so a window of dates
    becomes [local midnight of start, local midnight of the day after end).
    """
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def timestamp_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return local_midnight(start), local_midnight(end + timedelta(days=1))


def arr_on(day: date) -> Coalesce:
    """ARR of the outer customer on `day`: its latest record on or before the day, else 0."""
    latest = (
        ArrRecord.objects.filter(customer=OuterRef("pk"), effective_date__lte=day)
        .order_by("-effective_date")
        .values("arr")[:1]
    )
    return Coalesce(Subquery(latest, output_field=MONEY), ZERO_MONEY, output_field=MONEY)


def _book(user_ids: Collection[int]) -> QuerySet[Customer]:
    return Customer.objects.filter(csm_id__in=list(user_ids))


def _money(amount) -> Decimal:
    # SQLite sums decimals as floating point; rounding to cents gives PostgreSQL's exact sum
    # (and the same representation) for any book below 10^13.
    return Decimal(amount or 0).quantize(CENT)


def _money_ratios(rows) -> dict[int, Ratio]:
    return {
        row["owner"]: Ratio(_money(row["numerator"]), _money(row["denominator"])) for row in rows
    }


def _revenue_cohort(user_ids: Collection[int], start: date, end: date) -> QuerySet[Customer]:
    """Customers in the owners' books with ARR on the start date (new customers are excluded)."""
    return (
        _book(user_ids)
        .annotate(arr_start=arr_on(start), arr_end=arr_on(end))
        .filter(arr_start__gt=0)
        .values(owner=F("csm_id"))
    )


def net_revenue_retention(user_ids: Collection[int], start: date, end: date) -> dict[int, Ratio]:
    """NRR: sum of ARR(end) over the cohort / sum of ARR(start) over the cohort.

    Churned customers count with ARR(end) = 0; expansion counts in full.
    """
    rows = _revenue_cohort(user_ids, start, end).annotate(
        numerator=Sum("arr_end", output_field=MONEY),
        denominator=Sum("arr_start", output_field=MONEY),
    )
    return _money_ratios(rows)


def gross_revenue_retention(user_ids: Collection[int], start: date, end: date) -> dict[int, Ratio]:
    """GRR: sum of min(ARR(end), ARR(start)) / sum of ARR(start): expansion never counts."""
    rows = _revenue_cohort(user_ids, start, end).annotate(
        numerator=Sum(Least("arr_end", "arr_start", output_field=MONEY), output_field=MONEY),
        denominator=Sum("arr_start", output_field=MONEY),
    )
    return _money_ratios(rows)


def renewal_rate(user_ids: Collection[int], start: date, end: date) -> dict[int, Ratio]:
    """Logo renewal rate: renewed / (renewed + churned) over renewals due in the window.

    Pending renewals are not decided yet, so they count in neither part.
    """
    decided = (Renewal.Outcome.RENEWED, Renewal.Outcome.CHURNED)
    rows = (
        Renewal.objects.filter(
            customer__csm_id__in=list(user_ids),
            due_date__gte=start,
            due_date__lte=end,
            outcome__in=decided,
        )
        .values(owner=F("customer__csm_id"))
        .annotate(
            renewed=Count("pk", filter=Q(outcome=Renewal.Outcome.RENEWED)),
            decided=Count("pk"),
        )
    )
    return {row["owner"]: Ratio(Decimal(row["renewed"]), Decimal(row["decided"])) for row in rows}


def net_promoter_score(user_ids: Collection[int], start: date, end: date) -> dict[int, Ratio]:
    """NPS: (promoters 9-10 minus detractors 0-6) / all responses, each response counting once.

    The ratio's numerator is promoters - detractors, so the value runs from -100 to 100.
    """
    since, before = timestamp_bounds(start, end)
    rows = (
        NpsResponse.objects.filter(
            customer__csm_id__in=list(user_ids), responded_at__gte=since, responded_at__lt=before
        )
        .values(owner=F("customer__csm_id"))
        .annotate(
            promoters=Count("pk", filter=Q(score__gte=9)),
            detractors=Count("pk", filter=Q(score__lte=6)),
            responses=Count("pk"),
        )
    )
    return {
        row["owner"]: Ratio(
            Decimal(row["promoters"] - row["detractors"]), Decimal(row["responses"])
        )
        for row in rows
    }


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
    computed in the same query: one ARR lookup and one EXISTS per quarter and customer.
    """
    book = _book(user_ids)
    expected_terms, done_terms = [], []
    for index, (part_start, part_end) in enumerate(quarters(start, end)):
        since, before = timestamp_bounds(part_start, part_end)
        active, done = f"active_{index}", f"done_{index}"
        completed = Qbr.objects.filter(
            customer=OuterRef("pk"), completed_at__gte=since, completed_at__lt=before
        )
        book = book.annotate(**{active: arr_on(part_end), done: Exists(completed)})
        expected_terms.append(When(**{f"{active}__gt": 0}, then=1))
        done_terms.append(When(Q(**{f"{active}__gt": 0, done: True}), then=1))
    if not expected_terms:  # an empty window (end before start)
        return {}
    counts = {
        name: reduce(
            operator.add,
            (Sum(Case(term, default=0, output_field=IntegerField())) for term in terms),
        )
        for name, terms in (("expected", expected_terms), ("done", done_terms))
    }
    rows = book.values(owner=F("csm_id")).annotate(**counts)
    return {
        row["owner"]: Ratio(Decimal(row["done"]), Decimal(row["expected"]))
        for row in rows
        if row["expected"]
    }
