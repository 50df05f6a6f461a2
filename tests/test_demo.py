"""The demo (`manage.py seed_demo`), seeded once for this module on 25 November 2026 inside a
transaction rolled back after it: people, customer data, goals calculated with history,
check-ins; every test reads it (a test's own writes, such as seeding again, roll back after it).
With `pytest --dist loadgroup` the module runs on one test process (xdist group "demo")."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from checkins.demo import seed_checkins
from checkins.models import CheckIn, SupportRequest
from checkins.selectors import attention_queue
from goals.display import progress_reading
from goals.models import Goal, GoalPeriod, ManualEntry, Milestone, Objective, ProgressHistory
from goals.objectives import roll_ups
from goals_project.people.models import Membership, Team, User
from metrics.models import Customer
from tests.conftest import rolled_back

SEEDED_AT = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]


@pytest.fixture(autouse=True)
def seeding_day():
    with time_machine.travel(SEEDED_AT, tick=False):
        yield


class Terminal(io.StringIO):
    """A terminal's stderr: the command shows a progress bar on it."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """What the first `seed_demo` printed (the logins)."""
    output = io.StringIO()
    with rolled_back(django_db_blocker):
        with time_machine.travel(SEEDED_AT, tick=False):
            call_command("seed_demo", stdout=output)
        yield output.getvalue()


@pytest.mark.sqlite_parity
def test_seed_demo_builds_three_teams_and_running_it_twice_changes_nothing(demo):
    assert "elena.lead@goalpost.example" in demo and "password" in demo.lower()
    counts = (User.objects.count(), Team.objects.count(), Membership.objects.count())
    passwords = dict(User.objects.values_list("email", "password"))
    call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), Team.objects.count(), Membership.objects.count()) == counts
    assert dict(User.objects.values_list("email", "password")) == passwords
    assert set(Team.objects.values_list("name", flat=True)) == {"Enterprise", "Mid-Market", "SMB"}
    for team in Team.objects.all():
        assert team.memberships.filter(role="lead").count() == 1
        assert 4 <= team.memberships.filter(role="member").count() <= 5
    admin = User.objects.get(email="admin@goalpost.example")
    assert admin.is_staff and admin.check_password("demo")


@pytest.mark.sqlite_parity
def test_seed_demo_seeds_the_customer_data(demo):
    assert Customer.objects.filter(csm__email="ana.ruiz@goalpost.example").count() == 14


def test_demo_goals_are_calculated_with_history_and_seeded_once(demo):
    periods = {(p.name, p.period_type, p.status) for p in GoalPeriod.objects.all()}
    assert periods == {
        ("Q3 2026", "quarterly", "completed"),
        ("Q4 2026", "quarterly", "active"),
        ("2026", "annual", "active"),
    }
    goals = Goal.objects.all()
    assert goals.count() >= 20
    assert set(goals.values_list("goal_type", flat=True)) == {"metric", "task", "milestone"}
    assert set(goals.values_list("direction", flat=True)) == {"increase", "decrease", "maintain"}
    assert goals.filter(parent__isnull=False).count() >= 10
    assert goals.filter(visibility="private").count() >= 3
    assert ManualEntry.objects.exists() and Milestone.objects.filter(done_at__isnull=False).exists()
    assert not goals.filter(status="no_data").exists()
    assert {"on_track", "at_risk", "behind", "achieved"} <= set(
        goals.values_list("status", flat=True)
    )
    nrr = Goal.objects.get(name="Enterprise net revenue retention")
    # Backfilled: one point a day from October 1 to today (the 25th of November).
    assert nrr.history.count() == 56
    assert nrr.forecast_value is not None and nrr.contributions.exists()
    umbrella = Goal.objects.get(name="Enterprise customer programme")
    assert umbrella.children.count() == 2 and umbrella.progress is not None

    # Each case of a maintain goal: a breached floor, a holding one, one the forecast breaks.
    floors = {
        goal.team.name: (goal.status, progress_reading(goal).text)
        for goal in goals.filter(direction="maintain").select_related("team")
    }
    assert floors["Enterprise"][0] == "behind"
    assert floors["Enterprise"][1].endswith("pts under the 90% floor")
    assert floors["Mid-Market"] == ("on_track", "100% · holds the 85% floor")
    # SMB holds by a hair: at risk on the days the forecast's band dips under its floor.
    assert floors["SMB"][1] == "100% · holds the 80% floor"
    assert floors["SMB"][0] in ("on_track", "at_risk")
    # QBR completion follows its pace through the quarter: on track, not "behind at 7 %".
    qbrs = Goal.objects.get(name="Enterprise QBR completion")
    assert qbrs.status == "on_track" and qbrs.target <= 100
    assert 0 < qbrs.progress <= 100 and 0 < qbrs.expected_progress < 100

    # Metric goals are named with the metric's label, acronyms in capitals.
    named = set(
        goals.filter(metric_key__in=["qbr_completion", "renewal_rate", "nps"]).values_list(
            "name", flat=True
        )
    )
    assert {"Enterprise QBR completion", "Mid-Market renewal rate", "SMB NPS"} <= named

    # Two company objectives of the quarter, each served by every team's goals, rolled up.
    objectives = {
        objective.name: (objective, sorted(objective.aligned_goals.values_list("name", flat=True)))
        for objective in Objective.objects.filter(period__name="Q4 2026", team__isnull=True)
    }
    grow, aligned = objectives["Grow our enterprise base without losing logos"]
    assert aligned == [
        f"{team} net revenue retention" for team in ("Enterprise", "Mid-Market", "SMB")
    ]
    assert len(objectives["Make every new customer's first 90 days count"][1]) == 6
    admin = User.objects.get(email="admin@goalpost.example")
    roll_up = roll_ups([grow], viewer=admin)[grow.pk][0]
    assert roll_up.progress is not None and roll_up.status != "no_data" and not roll_up.hidden

    # Seeded again (a goal still bearing the name earlier demos gave it): no duplicates, no
    # new history, and the old name takes the label.
    Goal.objects.filter(name="SMB NPS").update(name="SMB nps")
    counts = (Goal.objects.count(), ProgressHistory.objects.count())
    terminal = Terminal()
    call_command("seed_demo", stdout=io.StringIO(), stderr=terminal)
    assert "Loading the demo" in terminal.getvalue() and "6/6" in terminal.getvalue()
    assert (Goal.objects.count(), ProgressHistory.objects.count()) == counts
    assert Goal.objects.filter(name="SMB NPS").count() == 1
    assert not Goal.objects.filter(name="SMB nps").exists()


def test_demo_check_ins_fill_the_leads_queue_once(demo):
    assert CheckIn.objects.count() > 0
    assert seed_checkins() == 0  # a second run adds nothing
    assert CheckIn.objects.exclude(blockers="").count() == 1
    request = SupportRequest.objects.get()
    assert (request.requester.email, request.status) == ("ana.ruiz@goalpost.example", "open")

    queue = attention_queue(User.objects.get(email="elena.lead@goalpost.example"))
    assert [r.requester.email for r in queue.support_requests] == ["ana.ruiz@goalpost.example"]
    assert len(queue.blockers) == 1
    assert ("dev.patel@goalpost.example", True) in [
        (m.user.email, m.escalated) for m in queue.missed
    ]
