"""The demo goals: last quarter (completed), this quarter (active) and this year, with cascades.

Every team has a team NRR goal cascaded to each member; each team also has goals on another
metric, a roll-up goal over task goals with manual entries, milestone goals, a decrease goal and
a maintain goal; a few are private. Baselines come from the previous period's data. The goals
are then calculated with their daily history backfilled, so the demo has values, statuses,
charts and forecasts from the first page. Two company objectives for this quarter have the
teams' NRR goals and their onboarding goals aligned to them. Running it again changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from goals_project.people.demo import DEMO_ADMIN, DEMO_TEAMS
from goals_project.people.models import Membership, Team, User
from metrics.registry import get_metric

from . import recalc
from .calibration import calibration_refresh
from .comparison import shift_months
from .goal_templates import templates_seed
from .lifecycle import periods_roll_over
from .models import Goal, GoalPeriod, Objective
from .objectives import goal_align, objective_create
from .selectors import default_baseline
from .services import (
    goal_create,
    manual_entry_add,
    milestone_complete,
    period_create,
)

# Team -> (second team metric, its target above the baseline)
TEAM_METRICS = {
    "Enterprise": ("qbr_completion", Decimal(10)),
    "Mid-Market": ("renewal_rate", Decimal(5)),
    "SMB": ("nps", Decimal(8)),
}
# Team -> the gross retention floor its maintain goal keeps: on the demo data Enterprise's floor
# is breached late in the year (GRR about 88 %), Mid-Market's holds and SMB's holds by a hair
# (at risk when the forecast's band dips under it), so the demo shows each case.
GRR_FLOORS = {"Enterprise": Decimal(90), "Mid-Market": Decimal(85), "SMB": Decimal(80)}
TASKS = [("Run customer workshops", 8), ("Publish success stories", 3)]
# The company's objectives for the quarter: name, description, owner's email, the aligned team
# goals (by their name, "{team}" standing for each team's name).
OBJECTIVES = [
    (
        "Grow our enterprise base without losing logos",
        "Every team keeps what it has and grows it: net revenue retention above last quarter's.",
        "elena.lead@goalpost.example",
        ["{team} net revenue retention"],
    ),
    (
        "Make every new customer's first 90 days count",
        "Faster, better onboarding: the playbook rolled out and days to value cut.",
        DEMO_ADMIN[0],
        ["{team} onboarding playbook", "Cut onboarding time (days)"],
    ),
]
PLAYBOOK = ["Interview ten customers", "Draft the playbook", "Review with Sales", "Roll out"]


def _metric_goal_name(team: Team, key: str) -> str:
    """The team, then the metric's label mid-sentence: "Enterprise QBR completion" (an acronym
    such as QBR or NPS keeps its capitals, a plain word does not: "Mid-Market renewal rate")."""
    label = get_metric(key).label
    first = label.split(" ", 1)[0]
    if not first.isupper():
        label = label[0].lower() + label[1:]
    return f"{team.name} {label}"


def _rename_legacy_goals() -> int:
    """Earlier demos named these goals after the metric's key ("Enterprise qbr completion");
    give a goal that still has exactly that name its label instead. Returns goals renamed."""
    renamed = 0
    for team_name, (key, _) in TEAM_METRICS.items():
        team = Team.objects.filter(name=team_name).first()
        if team is not None:
            renamed += Goal.objects.filter(
                team=team, metric_key=key, name=f"{team.name} {key.replace('_', ' ')}"
            ).update(name=_metric_goal_name(team, key))
    return renamed


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _period(name: str, period_type: str, start: date, end: date) -> GoalPeriod:
    existing = GoalPeriod.objects.filter(period_type=period_type, start=start).first()
    if existing is not None:
        return existing
    # Created active so that its goals can be added; the rollover completes a past period.
    return period_create(
        name=name, period_type=period_type, start=start, end=end, status=GoalPeriod.Status.ACTIVE
    )


def _baseline(metric_key: str, period: GoalPeriod, team: Team, owner: User | None) -> Decimal:
    value = default_baseline(
        metric_key=metric_key, period=period, team_id=team.pk, owner_id=owner and owner.pk
    )
    return (value if value is not None else Decimal(90)).quantize(Decimal("0.1"))


def _metric_goal(period, team, key, lift, by, *, owner=None, parent=None, **extra) -> Goal:
    """A goal `lift` above its baseline (the stretch twice as far), kept within the metric's
    range: a completion rate of 95 % last quarter aims at 100 %, not 105 %."""
    # A retention cohort starts every window at 100%, the natural baseline of an NRR goal.
    baseline = Decimal(100) if key == "nrr" else _baseline(key, period, team, owner)
    high = get_metric(key).value_range[1]
    target, stretch = baseline + lift, baseline + lift * 2
    if high is not None:
        target, stretch = min(target, high), min(stretch, high)
    return goal_create(
        period=period,
        team=team if owner is None else None,
        owner=owner,
        parent=parent,
        name=extra.pop("name"),
        goal_type=Goal.Type.METRIC,
        metric_key=key,
        baseline=baseline,
        target=target,
        stretch_target=stretch if stretch > target else None,
        created_by=by,
        **extra,
    )


def _team_goals(team: Team, lead: User, members: list[User], quarter, last_quarter, year):
    nrr = _metric_goal(
        quarter, team, "nrr", Decimal(4), lead, name=f"{team.name} net revenue retention"
    )
    for member in members:
        _metric_goal(
            quarter,
            team,
            "nrr",
            Decimal(4),
            lead,
            owner=member,
            parent=nrr,
            name=f"NRR of {member.name}'s book",
        )
    key, lift = TEAM_METRICS[team.name]
    _metric_goal(quarter, team, key, lift, lead, name=_metric_goal_name(team, key))
    _metric_goal(last_quarter, team, "nrr", Decimal(3), lead, name=f"{team.name} NRR")
    baseline = _baseline("grr", year, team, None)
    goal_create(
        period=year,
        team=team,
        name=f"Keep {team.name} gross retention above {GRR_FLOORS[team.name]}%",
        goal_type=Goal.Type.METRIC,
        metric_key="grr",
        direction=Goal.Direction.MAINTAIN,
        baseline=baseline,
        target=GRR_FLOORS[team.name],
        created_by=lead,
    )

    umbrella = goal_create(
        period=quarter,
        team=team,
        name=f"{team.name} customer programme",
        description="Rolls up the members' programme goals.",
        goal_type=Goal.Type.METRIC,
        created_by=lead,
    )
    for index, (member, (name, count)) in enumerate(zip(members, TASKS, strict=False)):
        tasks = goal_create(
            period=quarter,
            owner=member,
            parent=umbrella,
            name=name,
            goal_type=Goal.Type.TASK,
            task_target=count,
            weight=Decimal(2 - index),
            created_by=lead,
        )
        manual_entry_add(goal=tasks, by=member, tasks_done=count // 2 + index, note="So far")

    playbook = goal_create(
        period=quarter,
        team=team,
        name=f"{team.name} onboarding playbook",
        goal_type=Goal.Type.MILESTONE,
        created_by=lead,
        milestones=[
            {
                "name": name,
                "weight": Decimal(1 + (index == 1)),
                "due_date": min(quarter.start + timedelta(days=25 * (index + 1)), quarter.end),
            }
            for index, name in enumerate(PLAYBOOK)
        ],
    )
    for milestone in playbook.milestones.order_by("order")[:2]:
        milestone_complete(milestone=milestone, by=lead)

    onboarding = goal_create(
        period=quarter,
        team=team,
        name="Cut onboarding time (days)",
        goal_type=Goal.Type.METRIC,
        unit=Goal.Unit.DAYS,
        direction=Goal.Direction.DECREASE,
        baseline=Decimal(45),
        target=Decimal(30),
        stretch_target=Decimal(25),
        created_by=lead,
    )
    manual_entry_add(goal=onboarding, by=lead, value=Decimal(38), note="Median of new accounts")

    private_owner = members[-1]
    certification = goal_create(
        period=year,
        owner=private_owner,
        name="Earn the CS certification",
        goal_type=Goal.Type.MILESTONE,
        visibility=Goal.Visibility.PRIVATE,
        created_by=lead,
        milestones=[{"name": "Course"}, {"name": "Exam"}],
    )
    milestone_complete(milestone=certification.milestones.get(name="Course"), by=private_owner)


def seed_goals(today: date | None = None) -> int:
    """Create the demo periods and goals once, then calculate them; returns goals created.
    The standard goal templates missing from the library are added every time."""
    templates_seed()
    demo_goals = Goal.objects.filter(team__name__in=list(DEMO_TEAMS))
    if demo_goals.exists():
        # Seeded before: the demo is identified by its teams' goals, not by goal names.
        _rename_legacy_goals()
        seed_objectives(today=today)
        return 0
    today = today or timezone.localdate()
    # Forecasts calibrated on the demo's own two years of customer data from the first page.
    calibration_refresh(today=today)
    this_start = _quarter_start(today)
    last_start = shift_months(this_start, -3)
    with transaction.atomic():
        quarter = _period(
            f"Q{(this_start.month - 1) // 3 + 1} {this_start.year}",
            "quarterly",
            this_start,
            shift_months(this_start, 3) - timedelta(days=1),
        )
        last_quarter = _period(
            f"Q{(last_start.month - 1) // 3 + 1} {last_start.year}",
            "quarterly",
            last_start,
            this_start - timedelta(days=1),
        )
        year = _period(str(today.year), "annual", date(today.year, 1, 1), date(today.year, 12, 31))
        for team_name, people in DEMO_TEAMS.items():
            team = Team.objects.get(name=team_name)
            roster = {
                m.user.email: m for m in Membership.objects.filter(team=team).select_related("user")
            }
            lead = next(roster[email].user for email, _, role in people if role == "lead")
            members = [roster[email].user for email, _, role in people if role != "lead"]
            _team_goals(team, lead, members, quarter, last_quarter, year)
        ids = list(demo_goals.values_list("pk", flat=True))
        # The demo's goals were set when their periods began: their backfilled days are days
        # they existed (an achievement needs a goal to cross its target while it exists).
        for period in (quarter, last_quarter, year):
            began = timezone.make_aware(datetime.combine(period.start, time.min))
            demo_goals.filter(period=period, created_at__gt=began).update(created_at=began)
        # Set-based backfill of every calculated goal now; the per-goal tasks that the
        # services queued then find their history in place and only calculate today.
        recalc.backfill_history(ids, today=today)
    periods_roll_over(today=today)
    seed_objectives(today=today)
    return len(ids)


def seed_objectives(today: date | None = None) -> int:
    """The company objectives of the quarter running today, each with its teams' goals aligned
    (once: a demo that has them keeps them); returns the objectives created."""
    today = today or timezone.localdate()
    quarter = GoalPeriod.objects.filter(
        period_type=GoalPeriod.Type.QUARTERLY, start__lte=today, end__gte=today
    ).first()
    admin = User.objects.filter(email=DEMO_ADMIN[0]).first()
    if quarter is None or admin is None or Objective.objects.filter(period=quarter).exists():
        return 0
    created = 0
    with transaction.atomic():
        for name, description, owner_email, goal_names in OBJECTIVES:
            objective = objective_create(
                period=quarter,
                name=name,
                description=description,
                owners=list(User.objects.filter(email=owner_email)),
                created_by=admin,
            )
            created += 1
            for team in Team.objects.filter(name__in=list(DEMO_TEAMS)):
                names = [goal_name.format(team=team.name) for goal_name in goal_names]
                for goal in Goal.objects.filter(
                    period=quarter, team=team, owner__isnull=True, name__in=names
                ):
                    goal_align(
                        goal=goal,
                        objective=objective,
                        by=admin,
                        reason="Aligned when the objective was set.",
                    )
    return created
