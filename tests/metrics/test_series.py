"""The metric engine against the definitions, on a random organisation: every calculator, every
joint pass and every period-to-date series gives the numbers of a plain reading of DESIGN.md
section 3, to the last digit, on PostgreSQL and on SQLite."""

import math
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from metrics.calculators import quarters
from metrics.models import ArrRecord, Customer, NpsResponse, Qbr, Renewal
from metrics.registry import (
    METRICS,
    Ratio,
    daily_values,
    evaluate,
    evaluate_daily,
    evaluate_metrics,
)
from tests.builders import MembershipFactory, TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]

FIRST_DAY, LAST_DAY = date(2025, 6, 1), date(2026, 9, 30)


def random_org(seed: int) -> dict:
    """Three teams of three CSMs (one CSM without customers) and 45 customers with ARR steps
    (expansion, contraction, churn, win-back, several on window edges), renewals, NPS responses
    near local midnight and QBRs; returns the teams and users."""
    rng = random.Random(seed)
    teams = [TeamFactory() for _ in range(3)]
    users = [MembershipFactory(team=team).user for team in teams for _ in range(3)]
    span = (LAST_DAY - FIRST_DAY).days
    zone = timezone.get_default_timezone()
    for number in range(45):
        owner = users[number % 8]  # the last CSM has no book
        client = Customer.objects.create(csm=owner, external_id=f"R{number}", name=f"R{number}")
        day = FIRST_DAY + timedelta(days=rng.randrange(span))
        amount = Decimal(rng.randrange(1, 90_000)) / 4  # cents and quarters of a dollar
        days = set()
        for _ in range(rng.randrange(1, 7)):
            if day > LAST_DAY or day in days:
                break
            days.add(day)
            ArrRecord.objects.create(customer=client, effective_date=day, arr=amount)
            roll = rng.random()
            amount = (
                Decimal(0)
                if roll < 0.2
                else (amount + Decimal(rng.randrange(-3000, 9000)) / 2).max(Decimal("0.50"))
            )
            day += timedelta(days=rng.choice([1, 30, 45, 91, 120]))
        for due in rng.sample(range(span), 2):
            Renewal.objects.create(
                customer=client,
                due_date=FIRST_DAY + timedelta(days=due),
                outcome=rng.choice(["renewed", "churned", "pending"]),
            )
        for index in range(rng.randrange(0, 5)):
            moment = datetime.combine(
                FIRST_DAY + timedelta(days=rng.randrange(span)), datetime.min.time()
            ) + timedelta(minutes=rng.choice([0, 1, 30, 1439]))
            NpsResponse.objects.create(
                customer=client,
                respondent=f"p{index}@r.example",
                responded_at=timezone.make_aware(moment, zone),
                score=rng.randrange(11),
            )
        for _ in range(rng.randrange(0, 6)):
            scheduled = FIRST_DAY + timedelta(days=rng.randrange(span))
            completed = None
            if rng.random() < 0.7:
                completed = timezone.make_aware(
                    datetime.combine(scheduled, datetime.min.time())
                    + timedelta(hours=rng.choice([0, 9, 23]), days=rng.randrange(3)),
                    zone,
                )
            Qbr.objects.get_or_create(
                customer=client, scheduled_date=scheduled, defaults={"completed_at": completed}
            )
    return {"teams": teams, "users": users}


# --- the definitions, read plainly --------------------------------------------------------------


def arr_on(records: dict, customer_id: int, day: date) -> Decimal:
    known = [(when, arr) for when, arr in records.get(customer_id, []) if when <= day]
    return max(known)[1] if known else Decimal(0)


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def by_definition(key: str, user_ids: list[int], start: date, end: date) -> dict[int, Ratio]:
    """The metric per CSM from the rows, as DESIGN.md section 3 defines it (None: no data)."""
    records: dict[int, list] = {}
    for customer_id, when, arr in ArrRecord.objects.values_list(
        "customer_id", "effective_date", "arr"
    ):
        records.setdefault(customer_id, []).append((when, arr))
    books = {user_id: [] for user_id in user_ids}
    for pk, csm_id in Customer.objects.values_list("pk", "csm_id"):
        if csm_id in books:
            books[csm_id].append(pk)
    ratios = {}
    for user_id, book in books.items():
        if key in ("nrr", "grr"):
            cohort = [(arr_on(records, c, start), arr_on(records, c, end)) for c in book]
            cohort = [(first, last) for first, last in cohort if first > 0]
            ending = [last if key == "nrr" else min(first, last) for first, last in cohort]
            ratio = Ratio(sum(ending, Decimal(0)), sum((f for f, _ in cohort), Decimal(0)))
        elif key == "renewal_rate":
            outcomes = Renewal.objects.filter(
                customer_id__in=book, due_date__gte=start, due_date__lte=end
            ).values_list("outcome", flat=True)
            decided = [outcome for outcome in outcomes if outcome != "pending"]
            ratio = Ratio(Decimal(decided.count("renewed")), Decimal(len(decided)))
        elif key == "nps":
            scores = [
                score
                for moment, score in NpsResponse.objects.filter(customer_id__in=book).values_list(
                    "responded_at", "score"
                )
                if start <= local_date(moment) <= end
            ]
            net = sum(1 for s in scores if s >= 9) - sum(1 for s in scores if s <= 6)
            ratio = Ratio(Decimal(net), Decimal(len(scores)))
        else:
            held: dict[int, list[date]] = {}
            for c, moment in Qbr.objects.filter(
                customer_id__in=book, completed_at__isnull=False
            ).values_list("customer_id", "completed_at"):
                held.setdefault(c, []).append(local_date(moment))
            done = expected = 0
            for first, last in quarters(start, end):
                for c in book:
                    if arr_on(records, c, last) > 0:
                        expected += 1
                        done += any(first <= day <= last for day in held.get(c, []))
            ratio = Ratio(Decimal(done), Decimal(expected))
        ratios[user_id] = ratio if ratio.denominator else Ratio()
    return ratios


WINDOWS = [
    (date(2026, 1, 1), date(2026, 3, 31)),  # a quarter
    (date(2025, 11, 15), date(2026, 2, 14)),  # across a quarter boundary
    (date(2025, 7, 1), date(2026, 6, 30)),  # a year: four quarters
    (date(2026, 4, 1), date(2026, 4, 1)),  # one day
]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
@pytest.mark.parametrize("seed", [1, 2])
def test_every_calculator_gives_the_definition(seed, zone, settings):
    settings.TIME_ZONE = zone
    org = random_org(seed)
    user_ids = [user.pk for user in org["users"]]
    team_ids = [team.pk for team in org["teams"]]
    for start, end in WINDOWS:
        together = evaluate_metrics(
            {key: (user_ids, team_ids) for key in METRICS}, start=start, end=end
        )
        for key in METRICS:
            expected = by_definition(key, user_ids, start, end)
            alone = evaluate(key, start=start, end=end, user_ids=user_ids, team_ids=team_ids)
            assert alone.users == expected, (key, start, end)
            assert together[key].users == expected, (key, start, end)
            assert together[key].teams == alone.teams
            assert together[key].contributions == alone.contributions


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_period_to_date_series_equal_the_calculators_day_by_day(zone, settings):
    settings.TIME_ZONE = zone
    org = random_org(3)
    user_ids = [user.pk for user in org["users"]]
    team_ids = [team.pk for team in org["teams"]]
    start, end = date(2025, 12, 1), date(2026, 4, 30)  # two quarter boundaries
    series = evaluate_daily({key: (user_ids, team_ids) for key in METRICS}, start=start, end=end)
    values = daily_values(METRICS, start=start, end=end, user_ids=user_ids, team_ids=team_ids)
    for key in METRICS:
        assert len(series[key]) == (end - start).days + 1
        for offset, results in enumerate(series[key]):
            day = start + timedelta(days=offset)
            each = evaluate(key, start=start, end=day, user_ids=user_ids, team_ids=team_ids)
            assert results.users == each.users, (key, day)
            assert results.teams == each.teams, (key, day)
            assert results.contributions == each.contributions, (key, day)
            ratios = [each.users[pk] for pk in user_ids] + [each.teams[pk] for pk in team_ids]
            assert [None if math.isnan(value) else value for value in values[key][:, offset]] == [
                None if r.value is None else float(r.value) for r in ratios
            ], (key, day)


def test_a_series_of_an_empty_window_is_empty():
    assert evaluate_daily(
        {key: ([], []) for key in METRICS}, start=date(2026, 1, 2), end=date(2026, 1, 1)
    ) == {key: [] for key in METRICS}
