"""The demo's customer data: believable numbers for the current quarter, created once."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from goals_project.people.demo import seed_people
from goals_project.people.models import Team, User
from metrics.demo import seed_customer_data
from metrics.models import ArrRecord, Customer, NpsResponse, Qbr, Renewal
from metrics.registry import evaluate
from tests.conftest import rolled_back

from .test_import import snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]

TODAY = datetime(2026, 11, 26, 12, tzinfo=UTC)
BELIEVABLE = {
    "nrr": (95, 115),
    "grr": (85, 100),
    "renewal_rate": (80, 95),
    "nps": (20, 60),
    "qbr_completion": (50, 90),
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo's people and customer data, seeded once for the module (rolled back after it)."""
    with rolled_back(django_db_blocker):
        with time_machine.travel(TODAY, tick=False):
            seed_people()
            seed_customer_data()
        yield


def test_every_demo_csm_and_lead_has_a_book_with_history(demo):
    assert 280 <= Customer.objects.count() <= 320
    csms = User.objects.filter(membership__isnull=False)
    assert csms.count() == 16
    assert not csms.exclude(customers__isnull=False).exists()
    assert ArrRecord.objects.count() > 4 * Customer.objects.count()
    assert ArrRecord.objects.filter(arr=0).exists()  # churns
    assert ArrRecord.objects.earliest("effective_date").effective_date <= date(2024, 12, 1)
    assert Renewal.objects.filter(outcome="pending").exists()
    assert NpsResponse.objects.count() > 1000 and Qbr.objects.count() > 1000
    assert not Qbr.objects.filter(completed_at__gt=TODAY).exists()


@pytest.mark.parametrize("key", sorted(BELIEVABLE))
def test_the_current_quarter_has_believable_values(demo, key):
    teams = list(Team.objects.values_list("pk", flat=True))
    results = evaluate(key, start=date(2026, 10, 1), end=date(2026, 11, 26), team_ids=teams)
    low, high = BELIEVABLE[key]
    for team_id in teams:
        assert low <= results.teams[team_id].value <= high, (key, team_id)


def test_seeding_again_changes_nothing(demo):
    before = snapshot()
    with time_machine.travel(datetime(2026, 12, 20, tzinfo=UTC)):
        assert seed_customer_data() == 0
    assert snapshot() == before
