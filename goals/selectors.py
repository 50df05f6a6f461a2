"""Reads of goal periods that more than one page needs: which period is the current one, and
the order in which periods are offered (current first, then upcoming, then past)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Case, QuerySet, When

from .models import GoalPeriod

# Of the periods running today, the one a page opens on: the quarter, else the month, else the
# year (a month is more specific, but teams plan and review by the quarter).
PERIOD_PREFERENCE = [GoalPeriod.Type.QUARTERLY, GoalPeriod.Type.MONTHLY, GoalPeriod.Type.ANNUAL]


def period_order_key(period: GoalPeriod, today: date) -> tuple:
    """Current periods first (quarter, month, year), then upcoming ones from the soonest, then
    past ones from the latest."""
    if period.start <= today <= period.end:
        return (0, PERIOD_PREFERENCE.index(period.period_type), 0)
    if period.start > today:
        return (1, period.start.toordinal(), PERIOD_PREFERENCE.index(period.period_type))
    return (2, -period.start.toordinal(), PERIOD_PREFERENCE.index(period.period_type))


def periods_in_order(periods: Iterable[GoalPeriod], today: date) -> list[GoalPeriod]:
    return sorted(periods, key=lambda period: period_order_key(period, today))


def ordered_period_queryset(queryset: QuerySet[GoalPeriod], today: date) -> QuerySet[GoalPeriod]:
    """The same periods in the same order, as a queryset (for a form's choices)."""
    ordered = periods_in_order(queryset, today)
    if not ordered:
        return queryset
    position = Case(*(When(pk=period.pk, then=index) for index, period in enumerate(ordered)))
    return queryset.order_by(position)


def current_period(periods: Iterable[GoalPeriod], today: date) -> GoalPeriod | None:
    """The period running today that pages open on (see PERIOD_PREFERENCE), or None."""
    ordered = periods_in_order(periods, today)
    if ordered and ordered[0].start <= today <= ordered[0].end:
        return ordered[0]
    return None
