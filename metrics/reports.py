"""Metric values as the command line and exports print them: 4 decimals, strings, emails."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from goals_project.people.models import Team, User

from .registry import METRICS, Ratio, ScopeResults, evaluate, get_metric

FOUR_PLACES = Decimal("0.0001")


def display(number: Decimal | None) -> str | None:
    """A value or points with 4 decimals (half up), or None when there is no value."""
    if number is None:
        return None
    return str(number.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP))


def ratio_row(ratio: Ratio) -> dict[str, str | None]:
    return {
        "value": display(ratio.value),
        "numerator": str(ratio.numerator),
        "denominator": str(ratio.denominator),
    }


def _contributions(
    results: ScopeResults, team_id: int, emails: dict[int, str]
) -> dict[str, str | None]:
    points = results.contributions[team_id]
    return {emails[user_id]: display(points[user_id]) for user_id in sorted(points, key=emails.get)}


def team_report(key: str, *, team: Team, start: date, end: date) -> dict:
    """The metric for one team with each member's contribution in points (email -> points)."""
    metric = get_metric(key)
    results = evaluate(metric.key, start=start, end=end, team_ids=[team.pk])
    emails = dict(User.objects.filter(membership__team=team).values_list("pk", "email"))
    return {
        "metric": metric.key,
        **ratio_row(results.teams[team.pk]),
        "contributions": _contributions(results, team.pk, emails),
    }


def user_report(key: str, *, user: User, start: date, end: date) -> dict:
    metric = get_metric(key)
    results = evaluate(metric.key, start=start, end=end, user_ids=[user.pk])
    return {"metric": metric.key, **ratio_row(results.users[user.pk])}


def export_rows(*, start: date, end: date, keys: Sequence[str] = ()) -> Iterator[dict]:
    """Every metric for every team, then every user who has a team; a few queries per metric."""
    teams = dict(Team.objects.order_by("name").values_list("pk", "name"))
    emails = dict(
        User.objects.filter(membership__isnull=False).order_by("email").values_list("pk", "email")
    )
    for key in keys or METRICS:
        metric = get_metric(key)
        results = evaluate(metric.key, start=start, end=end, team_ids=teams, user_ids=emails)
        for team_id, name in teams.items():
            yield {
                "metric": metric.key,
                "scope_kind": "team",
                "scope": name,
                **ratio_row(results.teams[team_id]),
                "contributions": _contributions(results, team_id, emails),
            }
        for user_id, email in emails.items():
            yield {
                "metric": metric.key,
                "scope_kind": "user",
                "scope": email,
                **ratio_row(results.users[user_id]),
            }
