"""Historical comparison of metric goals: previous period, same period last year, same point.

For a goal on a calculated metric, the same metric for the same owner (the team for a team goal)
over:
- the previous period of the same type (the stored GoalPeriod if there is one, else the calendar
  months just before the period);
- the same period one year earlier;
- the previous period cut at the same elapsed point (as many days in as the current window).

Evaluation is set-based: goals that share a metric and a window are one engine call.

The three windows end before the goal's period starts, so their values change only when the
books in the scope change. Each value is kept in the cache (shared by every web and worker
process in production, CACHE_URL) under the metric, the window, the scope and a token per owner
of the scope that `books_changed` renews whenever customer data of that CSM is written: a
membership change is a different scope, a data change a different token, and nothing else can
make a kept value wrong. The worker fills them in after each recalculation run
(`warm_comparisons`), so a goal page's first view of the day reads them instead of evaluating
the metric over three windows.
"""

from __future__ import annotations

import calendar
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Subquery
from django.utils import timezone

from goals_project.people.models import Membership
from metrics.registry import evaluate, team_members

from .models import Goal, GoalPeriod
from .progress import goal_window, quantize

PERIOD_MONTHS = {
    GoalPeriod.Type.MONTHLY: 1,
    GoalPeriod.Type.QUARTERLY: 3,
    GoalPeriod.Type.ANNUAL: 12,
}

Window = tuple[date, date]


@dataclass(frozen=True)
class Comparison:
    previous_window: Window
    previous_value: Decimal | None
    last_year_window: Window
    last_year_value: Decimal | None
    same_point_window: Window | None
    same_point_value: Decimal | None


def shift_months(day: date, months: int) -> date:
    """The same day `months` later (earlier if negative), clamped to the end of shorter months."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def _earlier_periods(period: GoalPeriod):
    return GoalPeriod.objects.filter(period_type=period.period_type, end__lt=period.start).order_by(
        "-end"
    )


def _calendar_previous(period: GoalPeriod) -> Window:
    months = PERIOD_MONTHS[GoalPeriod.Type(period.period_type)]
    return shift_months(period.start, -months), period.start - timedelta(days=1)


def previous_window(period: GoalPeriod) -> Window:
    """The previous period of the same type: its stored dates, else the calendar months before."""
    previous = _earlier_periods(period).only("start", "end").first()
    if previous is not None:
        return previous.start, previous.end
    return _calendar_previous(period)


def last_year_window(period: GoalPeriod) -> Window:
    return shift_months(period.start, -12), shift_months(period.end, -12)


def same_point_window(period: GoalPeriod, previous: Window, today: date) -> Window | None:
    """The previous period cut as many days in as the current window has run (None before it)."""
    window = goal_window(start=period.start, end=period.end, today=today)
    if window is None:
        return None
    elapsed = window[1] - window[0]
    return previous[0], min(previous[0] + elapsed, previous[1])


def scope_values(requests: Iterable[tuple[str, Window, int, int | None]]) -> dict:
    """Values for (metric key, window, team id, owner id or None) requests, one call per window.

    Returns {request: Decimal | None}. An owner id asks for the individual's book, None for the
    team's.
    """
    grouped: dict[tuple[str, Window], tuple[set[int], set[int]]] = defaultdict(
        lambda: (set(), set())
    )
    requests = list(requests)
    for metric_key, window, team_id, owner_id in requests:
        users, teams = grouped[(metric_key, window)]
        if owner_id is None:
            teams.add(team_id)
        else:
            users.add(owner_id)
    results = {
        group: evaluate(
            group[0], start=group[1][0], end=group[1][1], user_ids=users, team_ids=teams
        )
        for group, (users, teams) in grouped.items()
    }
    values = {}
    for request in requests:
        metric_key, window, team_id, owner_id = request
        result = results[(metric_key, window)]
        ratio = result.teams[team_id] if owner_id is None else result.users[owner_id]
        values[request] = quantize(ratio.value)
    return values


BOOK_KEY = "goals:book:{}"
VALUE_KEY = "goals:comparison:{metric}:{start}:{end}:{scope}:{books}"
# Kept values are right for as long as their key can be built; they expire only to free space.
VALUE_SECONDS = 8 * 24 * 3600

Request = tuple[str, Window, int, int | None]


def books_changed(owner_ids: Iterable[int | None]) -> None:
    """New tokens for these CSMs' books: the comparisons kept for scopes holding them are no
    longer read (customer data of theirs was written)."""
    tokens = {BOOK_KEY.format(owner): uuid.uuid4().hex[:12] for owner in owner_ids if owner}
    if tokens:
        cache.set_many(tokens, timeout=None)


def _book_tokens(owner_ids: set[int]) -> dict[int, str]:
    keys = {BOOK_KEY.format(owner): owner for owner in owner_ids}
    found = cache.get_many(list(keys))
    # A token never set (or evicted) gets a fresh one: no value kept under an older one matches.
    missing = {key: uuid.uuid4().hex[:12] for key in keys if key not in found}
    if missing:
        cache.set_many(missing, timeout=None)
        found |= missing
    return {owner: found[key] for key, owner in keys.items()}


def kept_scope_values(requests: Iterable[Request]) -> dict[Request, Decimal | None]:
    """scope_values, reading the values kept in the cache and evaluating only the others (one
    engine call per metric and window among those), which are then kept."""
    return _kept_scope_values(set(requests))[0]


def _previous_and_members(
    periods: dict[int, GoalPeriod], team_ids: set[int]
) -> tuple[dict[int, Window], dict[int, list[int]]]:
    """The previous window of each period and the members of each team. For one period and
    teams (a team goal's page) that is one query: the members' rows carry the previous period's
    dates; otherwise one query per period and one for the members."""
    previous: dict[int, Window] = {}
    if len(periods) == 1 and team_ids:
        (period,) = periods.values()
        earlier = _earlier_periods(period)
        rows = list(
            Membership.objects.filter(team_id__in=list(team_ids))
            .order_by()
            .annotate(
                previous_start=Subquery(earlier.values("start")[:1]),
                previous_end=Subquery(earlier.values("end")[:1]),
            )
            .values_list("team_id", "user_id", "previous_start", "previous_end")
        )
        members: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
        for team_id, user_id, _, _ in rows:
            members[team_id].append(user_id)
        if rows:
            start, end = rows[0][2], rows[0][3]
            previous[period.pk] = (start, end) if start is not None else _calendar_previous(period)
    else:
        members = team_members(team_ids)
    for pk, period in periods.items():
        if pk not in previous:
            previous[pk] = previous_window(period)
    return previous, members


def _kept_scope_values(
    requests: set[Request], members: dict[int, list[int]] | None = None
) -> tuple[dict[Request, Decimal | None], int]:
    """The values, and how many of them were evaluated (not found kept); `members` of the team
    scopes when already read."""
    if not requests:
        return {}, 0
    if members is None:
        members = team_members({team for _, _, team, owner in requests if owner is None})
    scopes = {
        request: [request[3]] if request[3] is not None else members[request[2]]
        for request in requests
    }
    tokens = _book_tokens({owner for owners in scopes.values() for owner in owners})
    keys = {}
    for request, owners in scopes.items():
        metric_key, (start, end), team_id, owner_id = request
        books = ",".join(f"{owner}={tokens[owner]}" for owner in sorted(owners))
        keys[request] = VALUE_KEY.format(
            metric=metric_key,
            start=start.isoformat(),
            end=end.isoformat(),
            scope=f"u{owner_id}" if owner_id is not None else f"t{team_id}",
            books=hashlib.blake2b(books.encode(), digest_size=12).hexdigest(),
        )
    found = cache.get_many(list(keys.values()))
    values = {request: found[key][0] for request, key in keys.items() if key in found}
    missing = [request for request in requests if request not in values]
    if missing:
        computed = scope_values(missing)
        cache.set_many(
            {keys[request]: (value,) for request, value in computed.items()}, VALUE_SECONDS
        )
        values |= computed
    return values, len(missing)


def _windows(
    goals: list[Goal], today: date
) -> tuple[dict[int, tuple[Window, Window, Window | None]], dict[int, list[int]]]:
    """Each goal's three windows, and the members of the team goals' teams."""
    previous_by_period, members = _previous_and_members(
        {goal.period.pk: goal.period for goal in goals},
        {goal.team_id for goal in goals if goal.owner_id is None},
    )
    windows = {}
    for goal in goals:
        period = goal.period
        previous = previous_by_period[period.pk]
        windows[goal.pk] = (
            previous,
            last_year_window(period),
            same_point_window(period, previous, today),
        )
    return windows, members


def _requests(goals: list[Goal], windows: dict) -> set[Request]:
    return {
        (goal.metric_key, window, goal.team_id, goal.owner_id)
        for goal in goals
        for window in windows[goal.pk]
        if window is not None
    }


def _compared(goals: Iterable[Goal]) -> list[Goal]:
    return [goal for goal in goals if goal.goal_type == Goal.Type.METRIC and goal.metric_key]


def warm_comparisons(goal_ids: Iterable[int], *, today: date | None = None) -> int:
    """Keep the comparisons of these goals (the calculated metric goals among them) in the
    cache: run by the worker after a recalculation. Returns how many values it had to evaluate."""
    today = today or timezone.localdate()
    goals = _compared(
        Goal.objects.filter(pk__in=list(goal_ids), archived_at__isnull=True).select_related(
            "period"
        )
    )
    windows, members = _windows(goals, today)
    return _kept_scope_values(_requests(goals, windows), members)[1]


def goal_comparisons(goals: Iterable[Goal], *, today: date | None = None) -> dict[int, Comparison]:
    """Comparisons for the calculated metric goals among `goals` (others are left out)."""
    today = today or timezone.localdate()
    goals = _compared(goals)
    windows, members = _windows(goals, today)
    values = _kept_scope_values(_requests(goals, windows), members)[0]
    comparisons = {}
    for goal in goals:
        previous, last_year, same_point = windows[goal.pk]

        def value(window, goal=goal):
            if window is None:
                return None
            return values[(goal.metric_key, window, goal.team_id, goal.owner_id)]

        comparisons[goal.pk] = Comparison(
            previous_window=previous,
            previous_value=value(previous),
            last_year_window=last_year,
            last_year_value=value(last_year),
            same_point_window=same_point,
            same_point_value=value(same_point),
        )
    return comparisons


def goal_comparison(goal: Goal, *, today: date | None = None) -> Comparison | None:
    """The comparison of one goal, or None if it is not a calculated metric goal."""
    return goal_comparisons([goal], today=today).get(goal.pk)
