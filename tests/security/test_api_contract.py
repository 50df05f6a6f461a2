"""The API keeps its OpenAPI contract: schemathesis drives every operation in-process (the WSGI
app) with a staff token and with a lead token and runs every check (server errors, status codes,
content types and headers, response schemas, negative data refused, positive data accepted,
ignored auth...). A few examples per operation keep it to seconds; the full run
(`schemathesis run http://.../api/schema/ --checks all`, docs/api.md) goes much further."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings

from checkins.services import checkin_submit
from goals import services
from goals.models import GoalPeriod
from goals.objectives import objective_create
from goals_project.people.models import Membership
from goals_project.people.tokens import api_token_create
from goals_project.wsgi import application
from tests.builders import MembershipFactory, TeamFactory, UserFactory, customer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = 3


def small_organisation() -> dict[str, str]:
    """Two teams with a lead and a member each, this quarter's goals of every type (one
    private), a company objective the team goal serves, customer data, a check-in asking for
    help; returns a staff and a lead token."""
    today = timezone.localdate()
    start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    end = (start + dt.timedelta(days=95)).replace(day=1) - dt.timedelta(days=1)
    period = services.period_create(
        name="This quarter",
        period_type="quarterly",
        start=start,
        end=end,
        status=GoalPeriod.Status.ACTIVE,
    )
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    teams = {}
    for name in ("Enterprise", "SMB"):
        team = TeamFactory(name=name)
        lead = MembershipFactory(team=team, role=Membership.Role.LEAD).user
        member = MembershipFactory(team=team).user
        customer(member, {start - dt.timedelta(days=30): 1000, start: 1100})
        teams[name] = (team, lead, member)
    team, lead, member = teams["Enterprise"]
    objective = objective_create(
        period=period, name="Grow without losing logos", owners=[lead], created_by=staff
    )
    nrr = services.goal_create(
        objective=objective,
        period=period,
        team=team,
        name="Team NRR",
        goal_type="metric",
        metric_key="nrr",
        baseline=Decimal("100"),
        target=Decimal("105"),
        created_by=lead,
    )
    services.goal_create(
        period=period,
        team=team,
        owner=member,
        parent=nrr,
        name="My NRR",
        goal_type="metric",
        metric_key="nrr",
        baseline=Decimal("100"),
        target=Decimal("106"),
        created_by=lead,
    )
    tasks = services.goal_create(
        period=period,
        team=team,
        owner=member,
        name="Onboard",
        goal_type="task",
        task_target=5,
        created_by=lead,
    )
    services.goal_create(
        period=period,
        team=team,
        name="Playbook",
        goal_type="milestone",
        milestones=[{"name": "Draft"}, {"name": "Ship"}],
        visibility="private",
        created_by=lead,
    )
    checkin_submit(
        goal=tasks, user=member, confidence=3, tasks_done=2, support_message="Need a hand"
    )
    return {
        "staff": api_token_create(user=staff, name="contract", scopes=["read", "write", "import"])[
            1
        ],
        "lead": api_token_create(user=lead, name="contract", scopes=["read", "write"])[1],
    }


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back after it. The WSGI
    app's requests keep the test's connection open (as Django's test client does), so they see
    this data and their writes are rolled back with it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            yield small_organisation()
            transaction.set_rollback(True)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# The schema is read from the app itself (no database needed to build it).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    application,
    config=schemathesis.config.SchemathesisConfig.from_path(ROOT / "schemathesis.toml"),
)
ALL_CHECKS = schemathesis.checks.CHECKS.get_all()
BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.mark.django_db
@schema.parametrize()
@BOUNDED
def test_every_operation_keeps_the_contract_for_staff(case, tokens):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {tokens['staff']}"}, checks=ALL_CHECKS
    )


@pytest.mark.django_db
@schema.parametrize()
@BOUNDED
def test_every_operation_keeps_the_contract_for_a_lead(case, tokens):
    case.call_and_validate(headers={"Authorization": f"Bearer {tokens['lead']}"}, checks=ALL_CHECKS)
