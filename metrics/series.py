"""Period-to-date series: a metric over [start, day] for every day of a window, in one pass.

The forecast's calibration (goals/calibration.py) and the daily history of a new goal
(goals/recalc.py, backfill) need each metric over [start, day] for every day of a period.
Evaluating every day on its own is one pass over the customer data per day (92 a quarter);
here the window's data is read once for all the owners (each customer's ARR on the start date
and its changes inside the window, the renewals due, the NPS responses and the completed QBRs
inside it) and each owner's numerator and denominator are accumulated day by day, in integers
(money in cents), with the calculators' rules (metrics/calculators.py). The ratios are the
calculators' own to the last digit: tests/metrics/test_series.py compares every day with them,
on PostgreSQL and SQLite.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

import numpy as np
from django.db.models import OuterRef, Subquery

from .calculators import GRR, NRR, local_midnight, quarters
from .models import ArrRecord, Customer, NpsResponse, Qbr, Renewal
from .ratio import HUNDRED, Ratio

# Sums of cents stay exact in 64-bit integers below this; beyond it Python integers are used.
INT64_SAFE = 2**62


@dataclass
class Series:
    """Each owner's numerator and denominator on each day of a window: integer arrays of shape
    (owners, days), money in cents. An owner has data on a day when its denominator is not 0
    (every metric's denominator counts something: ARR at the start, decided renewals,
    responses, active customers)."""

    rows: dict[int, int]  # owner id -> row
    numerators: np.ndarray
    denominators: np.ndarray
    cents: bool = False

    @property
    def days(self) -> int:
        return self.numerators.shape[1]

    def _amount(self, value) -> Decimal:
        return Decimal(int(value)).scaleb(-2) if self.cents else Decimal(int(value))

    def on(self, day: int) -> dict[int, Ratio]:
        """{owner: Ratio} of the owners with data over [start, start + day]."""
        numerators, denominators = self.numerators[:, day], self.denominators[:, day]
        return {
            owner: Ratio(self._amount(numerators[row]), self._amount(denominators[row]))
            for owner, row in self.rows.items()
            if denominators[row]
        }

    def values(self, scopes: Sequence[Collection[int]]) -> np.ndarray:
        """The value (percent, as a float; NaN without data) of each scope, a set of owners
        whose books add up (a user, or a team's members), on each day: (scopes, days)."""
        values = np.full((len(scopes), self.days), np.nan)
        for index, owners in enumerate(scopes):
            rows = [self.rows[owner] for owner in owners if owner in self.rows]
            if not rows:
                continue
            numerators = self.numerators[rows].sum(axis=0)
            denominators = self.denominators[rows].sum(axis=0)
            for day in np.flatnonzero(denominators):
                # As Ratio.value computes it (the scale of cents cancels out).
                values[index, day] = float(
                    Decimal(int(numerators[day])) / Decimal(int(denominators[day])) * HUNDRED
                )
        return values


def _accumulate(
    rows: dict[int, int], days: int, changes: Iterable[tuple[int, int, int]], bound: int
) -> np.ndarray:
    """Running totals per row and day from (row, day, change) triples; exact integers (64-bit
    when `bound`, the sum of the changes' magnitudes, allows it)."""
    dtype = np.int64 if bound < INT64_SAFE else object
    totals = np.zeros((len(rows), days + 1), dtype=dtype)
    changes = list(changes)
    if changes:
        row, day, change = zip(*changes, strict=True)
        np.add.at(totals, (np.array(row), np.array(day)), np.array(change, dtype=dtype))
    return np.cumsum(totals, axis=1)[:, :days]


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


class Window:
    """The customer data of some owners' books over [start, end], read once and shared by the
    metrics computed from it."""

    def __init__(self, user_ids: Collection[int], start: date, end: date):
        self.owners = sorted(set(user_ids))
        self.start, self.end = start, end
        self.days = max((end - start).days + 1, 0)
        # Local midnight of each day and of the day after the end: a timestamp's day offset.
        self.midnights = [local_midnight(start + timedelta(days=n)) for n in range(self.days + 1)]

    def offset(self, day: date) -> int:
        return (day - self.start).days

    def local_offset(self, moment) -> int:
        return bisect_right(self.midnights, moment) - 1

    def _empty(self, cents: bool = False) -> Series:
        empty = np.zeros((0, self.days), dtype=np.int64)
        return Series({}, empty, empty, cents)

    @cached_property
    def books(self) -> dict[int, tuple[int, int, list[tuple[int, int]]]]:
        """Every customer of the owners: (owner, ARR on the start date in cents, 0 when none,
        [(day offset, new ARR in cents) for each change after the start, in order])."""
        latest = (
            ArrRecord.objects.filter(customer=OuterRef("pk"), effective_date__lte=self.start)
            .order_by("-effective_date")
            .values("arr")[:1]
        )
        books = {
            pk: (owner, _cents(at_start) if at_start else 0, [])
            for pk, owner, at_start in Customer.objects.filter(csm_id__in=self.owners)
            .annotate(at_start=Subquery(latest))
            .values_list("pk", "csm_id", "at_start")
        }
        changes = (
            ArrRecord.objects.filter(
                customer__csm_id__in=self.owners,
                effective_date__gt=self.start,
                effective_date__lte=self.end,
            )
            .order_by("customer_id", "effective_date")
            .values_list("customer_id", "effective_date", "arr")
        )
        for customer_id, day, amount in changes:
            books[customer_id][2].append((self.offset(day), _cents(amount)))
        return books

    @cached_property
    def revenue(self) -> dict[str, Series]:
        """NRR and GRR: the cohort (ARR on the start date) is fixed, and each ARR change of a
        cohort customer moves the numerators from its day on."""
        if not self.days:
            return {NRR: self._empty(True), GRR: self._empty(True)}
        cohort = [book for book in self.books.values() if book[1] > 0]
        rows = {owner: row for row, owner in enumerate(sorted({book[0] for book in cohort}))}
        starting, net, gross = [], [], []
        bound = 0
        for owner, at_start, changes in cohort:
            row = rows[owner]
            starting.append((row, 0, at_start))
            net.append((row, 0, at_start))
            gross.append((row, 0, at_start))
            level = at_start
            bound += at_start
            for day, amount in changes:
                net.append((row, day, amount - level))
                gross.append((row, day, min(amount, at_start) - min(level, at_start)))
                bound += amount + level
                level = amount
        denominators = _accumulate(rows, self.days, starting, bound)
        return {
            NRR: Series(rows, _accumulate(rows, self.days, net, bound), denominators, True),
            GRR: Series(rows, _accumulate(rows, self.days, gross, bound), denominators, True),
        }

    def counted(self, events: Iterable[tuple[int, int, int]]) -> Series:
        """Running counts from (owner, day offset, numerator change) events, each event one
        more in the denominator."""
        events = list(events)
        rows = {owner: row for row, owner in enumerate(sorted({event[0] for event in events}))}
        if not self.days:
            return self._empty()
        numerators = _accumulate(
            rows, self.days, ((rows[o], day, change) for o, day, change in events), 0
        )
        denominators = _accumulate(rows, self.days, ((rows[o], day, 1) for o, day, _ in events), 0)
        return Series(rows, numerators, denominators)

    def renewal_rate(self) -> Series:
        """Renewals due from the start to each day: renewed / (renewed + churned)."""
        rows = Renewal.objects.filter(
            customer__csm_id__in=self.owners,
            due_date__gte=self.start,
            due_date__lte=self.end,
            outcome__in=(Renewal.Outcome.RENEWED, Renewal.Outcome.CHURNED),
        ).values_list("customer__csm_id", "due_date", "outcome")
        renewed = Renewal.Outcome.RENEWED
        return self.counted(
            (owner, self.offset(due), 1 if outcome == renewed else 0)
            for owner, due, outcome in rows
        )

    def net_promoter_score(self) -> Series:
        """Responses from the start to each day (on their local date): promoters - detractors
        over responses."""
        rows = NpsResponse.objects.filter(
            customer__csm_id__in=self.owners,
            responded_at__gte=self.midnights[0],
            responded_at__lt=self.midnights[-1],
        ).values_list("customer__csm_id", "responded_at", "score")
        return self.counted(
            (owner, self.local_offset(moment), 1 if score >= 9 else (-1 if score <= 6 else 0))
            for owner, moment, score in rows
        )

    def qbr_completion(self) -> Series:
        """QBR completion over [start, day] for each day. The quarter parts that ended before the
        day count as the calculator counts them (active on their last day, done when a QBR was
        completed within them); the part holding the day counts the customers active on the
        day, done when their first QBR of the part was completed by then."""
        parts = [
            (self.offset(first), self.offset(last))
            for first, last in quarters(self.start, self.end)
        ]
        if not parts:
            return self._empty()
        part_of_day = np.zeros(self.days, dtype=np.int64)
        for index, (first, last) in enumerate(parts):
            part_of_day[first : last + 1] = index
        first_done: dict[tuple[int, int], int] = {}
        completed = Qbr.objects.filter(
            customer__csm_id__in=self.owners,
            completed_at__gte=self.midnights[0],
            completed_at__lt=self.midnights[-1],
        ).values_list("customer_id", "completed_at")
        for customer_id, moment in completed:
            day = self.local_offset(moment)
            key = (customer_id, int(part_of_day[day]))
            first_done[key] = min(first_done.get(key, day), day)
        owners = sorted({book[0] for book in self.books.values()})
        rows = {owner: row for row, owner in enumerate(owners)}
        active, done = [], []
        for customer_id, (owner, at_start, changes) in self.books.items():
            row = rows[owner]
            for first, after in _active_spans(at_start, changes, self.days):
                active += [(row, first, 1), (row, after, -1)]
                for part, (_, last) in enumerate(parts):
                    finished = first_done.get((customer_id, part))
                    if finished is None:
                        continue
                    low, high = max(first, finished), min(after, last + 1)
                    if low < high:
                        done += [(row, low, 1), (row, high, -1)]
        active_now = _accumulate(rows, self.days, active, 0)
        done_now = _accumulate(rows, self.days, done, 0)
        # What the parts before each day's part add: their counts on their last day.
        ends = [last for _, last in parts]
        carried_active = np.cumsum(active_now[:, ends], axis=1) - active_now[:, ends]
        carried_done = np.cumsum(done_now[:, ends], axis=1) - done_now[:, ends]
        return Series(
            rows,
            done_now + carried_done[:, part_of_day],
            active_now + carried_active[:, part_of_day],
        )


def _active_spans(
    at_start: int, changes: list[tuple[int, int]], days: int
) -> list[tuple[int, int]]:
    """The [first, after) day offsets during which a customer has ARR (is active)."""
    spans, since = [], 0 if at_start > 0 else None
    for day, amount in changes:
        if amount > 0 and since is None:
            since = day
        elif amount <= 0 and since is not None:
            spans.append((since, day))
            since = None
    if since is not None:
        spans.append((since, days))
    return spans


# One function per metric (the registry's `daily`): the metric over [start, day] for each day.


def net_revenue_retention(window: Window) -> Series:
    return window.revenue[NRR]


def gross_revenue_retention(window: Window) -> Series:
    return window.revenue[GRR]


def renewal_rate(window: Window) -> Series:
    return window.renewal_rate()


def net_promoter_score(window: Window) -> Series:
    return window.net_promoter_score()


def qbr_completion(window: Window) -> Series:
    return window.qbr_completion()
