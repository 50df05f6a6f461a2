"""The demo organisation's customer data: ~300 customers with two years of history.

Every demo CSM and lead owns a book of their team's segment. Each customer has an ARR history
(start, expansions, contractions, churn at a renewal, some win-backs), annual renewals, NPS
responses from two contacts about once a quarter and one QBR per active quarter. Dates are
relative to the day the demo is first seeded, so the current quarter has believable values
(NRR about 95-115%, renewal rate 80-95%, NPS 20-60, QBR completion 50-90%). The data comes
from a seeded random generator, and is created once: seeding again changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from goals_project.people.demo import DEMO_TEAMS
from goals_project.people.models import Membership, User

from .models import ArrRecord, Customer, NpsResponse, Qbr, Renewal
from .services import customer_data_changed_on_commit

SEED = 4242
PREFIX = "DEMO-"
HISTORY_DAYS = 730
OLDEST_DAYS = 1100  # some customers started before the two years of history shown


@dataclass(frozen=True)
class Segment:
    customers_per_member: int
    customers_per_lead: int
    arr_range: tuple[int, int]
    term_days: int  # contract length: a renewal falls due at the end of each term
    names: tuple[str, ...]


SEGMENTS = {
    "Enterprise": Segment(14, 6, (80_000, 400_000), 365, ("Global", "International", "Holdings")),
    "Mid-Market": Segment(20, 6, (20_000, 80_000), 365, ("Systems", "Group", "Partners")),
    "SMB": Segment(32, 6, (3_000, 20_000), 182, ("Studio", "Shop", "Labs")),
}
WORDS = (
    *("Acme", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Indigo"),
    *("Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orchard", "Pioneer", "Quartz"),
    *("Redwood", "Summit", "Tidal", "Umber", "Vertex", "Willow", "Xenon", "Yarrow", "Zephyr"),
)


# What some respondents write (one response in three, by its day: the demo's random draws stay
# as they were).
COMMENTS = {
    "promoter": (
        "The QBRs are worth our time: clear next steps every quarter.",
        "Support answers within the hour. Keep it that way.",
        "Rolled out to two more regions thanks to the onboarding team.",
    ),
    "passive": (
        "Does the job; the reporting could be simpler.",
        "Fine overall, but the last release broke our export for a week.",
    ),
    "detractor": (
        "Renewal pricing came as a surprise.",
        "We still wait for the SSO fix promised in spring.",
        "Too many hand-offs between account managers this year.",
    ),
}


def _comment(score: int, day: date) -> str:
    if day.toordinal() % 3:
        return ""
    texts = COMMENTS["promoter" if score >= 9 else "detractor" if score <= 6 else "passive"]
    return texts[day.toordinal() % len(texts)]


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _next_quarter(day: date) -> date:
    start = _quarter_start(day)
    return date(start.year + 1, 1, 1) if start.month == 10 else date(start.year, start.month + 3, 1)


class Book:
    """One customer's generated history, built forward in time from its start."""

    def __init__(self, rng: random.Random, skill: float, segment: Segment):
        self.rng, self.skill = rng, skill
        self.arr_range, self.term = segment.arr_range, timedelta(days=segment.term_days)
        self.arr: list[tuple[date, Decimal]] = []
        self.renewals: list[tuple[date, str]] = []
        self.active: list[tuple[date, date | None]] = []  # [from, to) spans with ARR > 0

    def amount(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randrange(low, high, 500 if high > 10_000 else 100))

    def build(self, start: date, today: date) -> None:
        rng = self.rng
        current = self.amount(*self.arr_range)
        self.arr.append((start, current))
        span_start, anniversary, day = start, start + self.term, start
        while True:
            day += timedelta(days=rng.randrange(40, 100))
            if anniversary <= day:
                day = anniversary
                if day > today:
                    self.renewals.append((day, Renewal.Outcome.PENDING))
                    break
                churn_chance = 0.22 - 0.14 * self.skill
                if rng.random() < churn_chance:
                    self.renewals.append((day, Renewal.Outcome.CHURNED))
                    self.arr.append((day, Decimal(0)))
                    self.active.append((span_start, day))
                    back = day + timedelta(days=rng.randrange(90, 240))
                    if rng.random() < 0.25 and back < today:  # won back
                        current = self.amount(self.arr_range[0], self.arr_range[1] // 2)
                        self.arr.append((back, current))
                        span_start, anniversary, day = back, back + self.term, back
                        continue
                    return
                self.renewals.append((day, Renewal.Outcome.RENEWED))
                anniversary = day + self.term
                continue
            if day > today:
                break
            roll = rng.random()
            step = max(500, int(current) // rng.choice((5, 8, 12)))
            if roll < 0.40 + 0.15 * self.skill:
                current += Decimal(step // 100 * 100 or 100)
            elif roll < 0.72:
                current = max(Decimal(self.arr_range[0] // 2), current - Decimal(step // 200 * 100))
            else:
                continue
            self.arr.append((day, current))
        self.active.append((span_start, None))

    def active_on(self, day: date) -> bool:
        return any(since <= day and (until is None or day < until) for since, until in self.active)


def _csms() -> list[tuple[User, str, bool]]:
    """(user, team name, is lead) for every demo CSM, in the order of the demo roster."""
    emails = [email for people in DEMO_TEAMS.values() for email, _, _ in people]
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    roster = []
    for team, people in DEMO_TEAMS.items():
        for email, _, role in people:
            if email in users:
                roster.append((users[email], team, role == Membership.Role.LEAD))
    return roster


@transaction.atomic
def seed_customer_data(today: date | None = None) -> int:
    """Create the demo customers and their history once; returns how many were created."""
    if Customer.objects.filter(external_id__startswith=PREFIX).exists():
        return 0
    today = today or timezone.localdate()
    now = timezone.now()
    rng = random.Random(SEED)
    customers, books = [], []
    for user, team, is_lead in _csms():
        segment = SEGMENTS[team]
        skill = rng.uniform(0.2, 1.0)
        count = segment.customers_per_lead if is_lead else segment.customers_per_member
        for _ in range(count):
            number = len(customers) + 1
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(segment.names)}"
            customers.append(
                Customer(external_id=f"{PREFIX}{number:04d}", name=name, csm=user, segment=team)
            )
            # Most of the book is older than the window; a few are new this quarter.
            age = rng.choice([rng.randrange(120, OLDEST_DAYS), rng.randrange(10, HISTORY_DAYS)])
            book = Book(rng, skill, segment)
            book.build(today - timedelta(days=age), today)
            books.append(book)
    Customer.objects.bulk_create(customers)
    arr, renewals, responses, qbrs = [], [], [], []
    for customer, book in zip(customers, books, strict=True):
        arr += [ArrRecord(customer=customer, effective_date=d, arr=a) for d, a in book.arr]
        renewals += [Renewal(customer=customer, due_date=d, outcome=o) for d, o in book.renewals]
        start = book.arr[0][0]
        for contact in ("champion", "sponsor"):
            day = start + timedelta(days=rng.randrange(20, 90))
            while day <= today:
                if book.active_on(day):
                    promoter = 0.35 + 0.35 * book.skill
                    roll = rng.random()
                    if roll < promoter:
                        score = rng.choice((9, 10))
                    elif roll < promoter + 0.40 - 0.25 * book.skill:
                        score = rng.choice((7, 8))
                    else:
                        score = rng.randrange(2, 7)
                    moment = _local(day, rng.randrange(8, 19), rng.randrange(60))
                    if moment <= now:
                        responses.append(
                            NpsResponse(
                                customer=customer,
                                respondent=f"{contact}@{customer.external_id.lower()}.example",
                                responded_at=moment,
                                score=score,
                                comment=_comment(score, day),
                            )
                        )
                day += timedelta(days=rng.randrange(70, 110))
        quarter = _quarter_start(start)
        while quarter <= today:
            scheduled = quarter + timedelta(days=rng.randrange(3, 60))
            if scheduled >= start and book.active_on(scheduled):
                held = _local(scheduled + timedelta(days=rng.randrange(0, 3)), rng.randrange(9, 17))
                done = held <= now and rng.random() < 0.55 + 0.40 * book.skill
                qbrs.append(
                    Qbr(
                        customer=customer,
                        scheduled_date=scheduled,
                        completed_at=held if done else None,
                    )
                )
            quarter = _next_quarter(quarter)
    ArrRecord.objects.bulk_create(arr, batch_size=2000)
    Renewal.objects.bulk_create(renewals, batch_size=2000)
    NpsResponse.objects.bulk_create(responses, batch_size=2000)
    Qbr.objects.bulk_create(qbrs, batch_size=2000)
    customer_data_changed_on_commit(
        owner_ids={customer.csm_id for customer in customers}, kind="customers"
    )
    return len(customers)
