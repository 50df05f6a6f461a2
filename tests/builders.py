"""Every builder of the suite: people and goals (factory-boy), customer data, goals made through
the services (as pages and the API make them), and goals stored as a recalculation would leave
them (history, contributions, a status change). Fixtures stay in the conftests."""

import datetime as dt
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count

import factory
from django.db.models import Max
from django.utils import timezone

from goals.comparison import shift_months
from goals.models import ContributionSnapshot, Goal, GoalPeriod, ProgressHistory
from goals.services import goal_create, period_create
from goals.signals import goal_status_changed
from goals_project.people.models import Membership, Team, User
from metrics.calculators import local_midnight
from metrics.models import ArrRecord, Customer, NpsResponse, Qbr, Renewal

# Every user the factories make has this password (the tests' hasher is MD5: tests/conftest.py).
PASSWORD = "correct horse battery"


def D(value) -> Decimal:
    return Decimal(str(value))


# People, periods and goals (factory-boy) ---------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER


class GoalPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "goals.GoalPeriod"

    name = factory.Sequence(lambda n: f"Q{n % 4 + 1} {2026 + n // 4}")
    period_type = "quarterly"
    start = factory.Sequence(lambda n: dt.date(2026 + n // 4, 3 * (n % 4) + 1, 1))
    end = factory.LazyAttribute(
        lambda p: (
            (
                p.start.replace(year=p.start.year + 1, month=1)
                if p.start.month == 10
                else p.start.replace(month=p.start.month + 3)
            )
            - dt.timedelta(days=1)
        )
    )
    status = "active"


class GoalFactory(factory.django.DjangoModelFactory):
    """A public task goal of the team by default; pass owner= for an individual goal."""

    class Meta:
        model = "goals.Goal"
        skip_postgeneration_save = True

    period = factory.SubFactory(GoalPeriodFactory)
    team = factory.SubFactory(TeamFactory)
    owner = None
    name = factory.Sequence(lambda n: f"Goal {n}")
    goal_type = "task"
    task_target = 10

    @factory.post_generation
    def _set_up_when_its_period_began(obj, create, extracted, **kwargs):
        # A goal is set up by its period's start (not on the day the test runs), so the weeks
        # it was owed check-ins in are those of its period, wherever the test's clock stands.
        began = local_midnight(obj.period.start)
        if create and obj.created_at > began:
            type(obj).objects.filter(pk=obj.pk).update(created_at=began)
            obj.created_at = began


# Customer data ------------------------------------------------------------------------------

_ids = count(1)


def customer(csm, arr: dict[date, int | str] | None = None, **fields) -> Customer:
    """A customer of `csm` with an ARR history {effective_date: arr}."""
    number = next(_ids)
    fields.setdefault("external_id", f"C-{number:05d}")
    fields.setdefault("name", f"Customer {number}")
    record = Customer.objects.create(csm=csm, **fields)
    ArrRecord.objects.bulk_create(
        ArrRecord(customer=record, effective_date=day, arr=Decimal(value))
        for day, value in (arr or {}).items()
    )
    return record


def renewals(csm, outcomes: list[str], due: date) -> list[Customer]:
    """One customer of `csm` per outcome, each with a renewal due on `due` with that outcome."""
    clients = [customer(csm) for _ in outcomes]
    Renewal.objects.bulk_create(
        Renewal(customer=client, due_date=due, outcome=outcome)
        for client, outcome in zip(clients, outcomes, strict=True)
    )
    return clients


def local(*args) -> datetime:
    """An aware datetime in settings.TIME_ZONE."""
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


def nps(client: Customer, *scores: int, at: datetime) -> None:
    NpsResponse.objects.bulk_create(
        NpsResponse(
            customer=client, respondent=f"person{i}@client.example", responded_at=at, score=score
        )
        for i, score in enumerate(scores)
    )


def qbr(client: Customer, scheduled: date, completed: datetime | None = None) -> Qbr:
    return Qbr.objects.create(customer=client, scheduled_date=scheduled, completed_at=completed)


# Goals made through the services, as pages and the API make them ----------------------------

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def new_quarter(
    name: str = "Q1 2026", start: date = Q1[0], end: date = Q1[1], **kwargs
) -> GoalPeriod:
    return period_create(name=name, period_type="quarterly", start=start, end=end, **kwargs)


def book(csm, *arrs: tuple[int, int], start: date = Q1[0], change: date = date(2026, 2, 1)):
    """Customers of `csm`, each with ARR `first` from `start` and `second` from `change`."""
    return [customer(csm, {start: first, change: second}) for first, second in arrs]


def team_nrr_with_members(*, lead, team, member, teammate) -> list[Goal]:
    """Q1 2026 set up on 14 February: a team NRR goal (100 -> 120) and the member's and the
    teammate's goals under it, their books 1,000 and 500 of ARR."""
    period = new_quarter()
    book(member, (1000, 1000))
    book(teammate, (500, 500))
    team_goal = nrr_goal(period, by=lead, team=team, baseline="100", target="120")
    return [
        team_goal,
        nrr_goal(period, by=lead, owner=member, parent=team_goal, target="120"),
        nrr_goal(period, by=lead, owner=teammate, parent=team_goal, target="120"),
    ]


def nrr_goal(period, *, by, owner=None, team=None, parent=None, target="110", baseline="100", **kw):
    return goal_create(
        period=period,
        name=kw.pop("name", "Grow NRR"),
        goal_type="metric",
        metric_key="nrr",
        created_by=by,
        owner=owner,
        team=team,
        parent=parent,
        baseline=baseline,
        target=target,
        **kw,
    )


def this_quarter_nrr_goal(lead, member) -> tuple[Goal, object]:
    """A member's NRR goal (baseline 100, target 110) for the current calendar quarter on one
    customer with ARR 1000 from the quarter's start: the worker and broker-down drills' setup."""
    today = timezone.localdate()
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = shift_months(start, 3) - timedelta(days=1)
    acme = customer(member, {start: 1000})
    period = period_create(name="This quarter", period_type="quarterly", start=start, end=end)
    goal = goal_create(
        period=period,
        name="NRR",
        goal_type="metric",
        metric_key="nrr",
        owner=member,
        baseline="100",
        target="110",
        created_by=lead,
    )
    return goal, acme


def member_metric_goal(owner, *, by, name: str, period=None, **fields) -> Goal:
    """A metric goal of `owner` in `period` (a new Q1 2026 by default): on a metric with
    metric_key=..., else one measured by hand (unit=...)."""
    return goal_create(
        period=period or new_quarter(),
        owner=owner,
        name=name,
        goal_type="metric",
        created_by=by,
        **fields,
    )


def task_goal(period, team, name: str, tasks: int, *, by, **fields) -> Goal:
    """A goal of `team` to finish `tasks` tasks (an individual one with owner=...)."""
    return goal_create(
        period=period,
        team=team,
        name=name,
        goal_type="task",
        task_target=tasks,
        created_by=by,
        **fields,
    )


# Goals stored as a recalculation would leave them --------------------------------------------

# The check-in tests' day: Wednesday of ISO week 2026-W48 (Monday 23 November), noon UTC.
WEDNESDAY = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)

# The dashboards tests' day: Monday 16 November 2026, in Q4 2026.
TODAY = dt.date(2026, 11, 16)
Q4_START = dt.date(2026, 10, 1)
Q4_END = dt.date(2026, 12, 31)


def add_history(goal: Goal, values: list[tuple[dt.date, str]]) -> None:
    """Daily history rows, one calc_version each, as recalculations would write them."""
    ProgressHistory.objects.bulk_create(
        ProgressHistory(
            goal=goal,
            as_of=day,
            value=Decimal(value),
            progress=Decimal(value),
            expected_progress=None,
            status=goal.status,
            recorded_at=timezone.make_aware(dt.datetime.combine(day, dt.time(6))),
            calc_version=index + 1,
        )
        for index, (day, value) in enumerate(values)
    )


def calculated_goal(team, period, *, owner=None, name, metric_key="nrr", **calculated) -> Goal:
    """A metric goal with the values a recalculation stored (NRR 103.7, on track, by default)."""
    defaults = {
        "baseline": Decimal("100"),
        "target": Decimal("105"),
        "stretch_target": Decimal("108"),
        "current_value": Decimal("103.7"),
        "progress": Decimal("74"),
        "expected_progress": Decimal("50.5"),
        "status": Goal.Status.ON_TRACK,
        "last_calculated_at": timezone.now(),
    }
    defaults.update(calculated)
    return GoalFactory(
        team=team,
        period=period,
        owner=owner,
        name=name,
        goal_type=Goal.Type.METRIC,
        metric_key=metric_key,
        task_target=None,
        **defaults,
    )


def contribution(goal, member, *, points, member_value, denominator, share, individual=None):
    """A member's contribution snapshot to a team goal on TODAY."""
    return ContributionSnapshot.objects.create(
        goal=goal,
        member=member,
        individual_goal=individual,
        as_of=TODAY,
        points=Decimal(points),
        member_value=Decimal(member_value),
        denominator=Decimal(denominator),
        share=Decimal(share),
        numerator=Decimal(member_value) * Decimal(denominator) / 100,
    )


def set_at_quarter_start(goal: Goal) -> Goal:
    """A goal that exists from its quarter's start (its history may go back to it: an
    achievement needs the goal to cross its target while it exists)."""
    start = timezone.make_aware(dt.datetime.combine(goal.period.start, dt.time.min))
    start = min(start, timezone.now() - dt.timedelta(seconds=1))  # whatever the clock says
    Goal.objects.filter(pk=goal.pk).update(created_at=start)
    goal.created_at = start
    return goal


def recalculated(goal: Goal, status: str, value: str = "85", old_status: str = "on_track"):
    """What a recalculation stores when it changes a goal's status: the goal's new status and
    a history row (a goal without history first gets a row of `old_status`: the earlier run
    that saw it there)."""
    now = timezone.now()
    versions = ProgressHistory.objects.filter(goal=goal).aggregate(last=Max("calc_version"))
    version = versions["last"] or 0
    rows = [] if version else [(old_status, goal.current_value)]
    for row_status, row_value in [*rows, (status, Decimal(value))]:
        version += 1
        ProgressHistory.objects.create(
            goal=goal,
            as_of=timezone.localdate(),
            value=row_value,
            status=row_status,
            recorded_at=now,
            calc_version=version,
        )
    goal.status = status
    goal.current_value = Decimal(value)
    goal.save(update_fields=["status", "current_value"])


def reach(goal: Goal, status: str, value: str = "85", old_status: str = "on_track") -> None:
    """What the engine does when a recalculation changes a goal's status: store it (see
    recalculated), then send the signal."""
    recalculated(goal, status, value, old_status)
    goal_status_changed.send(sender=Goal, goal=goal, old_status=old_status, new_status=status)
