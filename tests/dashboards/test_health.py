import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from checkins.models import CheckIn
from dashboards.models import DashboardView
from dashboards.tasks import prune_dashboard_views
from goals.models import Goal
from tests.builders import TODAY, GoalFactory, MembershipFactory, calculated_goal

pytestmark = pytest.mark.django_db
LAST_MONDAY = TODAY - dt.timedelta(days=TODAY.weekday() + 7)


@pytest.fixture
def program(team, quarter, last_quarter, lead, member, teammate):
    own = calculated_goal(team, quarter, owner=member, name="Mo NRR")
    calculated_goal(team, quarter, owner=lead, name="Lena NRR")
    # Last quarter: 3 of 4 goals achieved or exceeded.
    for status in ("achieved", "exceeded", "achieved", "behind"):
        GoalFactory(team=team, period=last_quarter, status=status)
    CheckIn.objects.create(goal=own, user=member, week_start=LAST_MONDAY, confidence=3)
    CheckIn.objects.create(goal=own, user=lead, week_start=LAST_MONDAY, confidence=4)
    viewed = timezone.make_aware(dt.datetime.combine(LAST_MONDAY, dt.time(9)))
    for user in (lead, lead, member):
        DashboardView.objects.create(user=user, page="team", viewed_at=viewed)
    return own


def measure(html: str, name: str) -> str:
    match = re.search(
        r'<div class="stat">([^<]+)</div>\s*<div class="stat-label">' + re.escape(name), html
    )
    return match.group(1) if match else ""


def test_lead_reads_the_programs_success_measures(client, lead, program):
    client.force_login(lead)
    html = client.get(reverse("program_health")).content.decode()
    # Members: lead, member, teammate; two of them have a goal this quarter.
    assert measure(html, "Members with a goal this period") == "67%"
    assert "2 of 3 members" in html
    assert measure(html, "Weekly check-in completion (last week)") == "67%"
    assert measure(html, "Goal achievement rate of completed periods") == "75%"
    assert "3 of 4 goals achieved or exceeded" in html
    assert measure(html, "Dashboard views per member (last week)") == "1.0"
    assert "Below target 80%" in html and "Below target 90%" in html
    assert 'data-plotly-figure="health-chart-data"' in html


@pytest.mark.parametrize("persona", ["member", "outsider"])
def test_members_do_not_get_program_health(client, request, program, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("program_health")).status_code == 404


def test_admin_reads_all_teams(client, admin_user, program, other_member):
    client.force_login(admin_user)
    html = client.get(reverse("program_health")).content.decode()
    assert "All teams · 4 members" in html
    assert "2 of 4 members" in html


def test_query_count_does_not_grow_with_members(
    client, django_assert_num_queries, lead, team, quarter, program
):
    client.force_login(lead)

    def add(count):
        for _ in range(count):
            user = MembershipFactory(team=team).user
            goal = calculated_goal(team, quarter, owner=user, name=f"NRR {user.name}")
            CheckIn.objects.create(goal=goal, user=user, week_start=LAST_MONDAY, confidence=3)

    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("program_health"))
    add(10)
    with django_assert_num_queries(len(few)):
        client.get(reverse("program_health"))
    assert Goal.objects.count() > 10


def test_nightly_prune_drops_old_views_but_keeps_what_program_health_reads(
    client, program, lead, settings
):
    settings.DASHBOARD_VIEW_RETENTION_DAYS = 30  # shorter than the page's 8 weeks: they stay
    now = timezone.now()
    old = now - dt.timedelta(days=7 * 9 + 1)
    DashboardView.objects.create(user=lead, page="team", viewed_at=old)
    kept = DashboardView.objects.count() - 1
    assert prune_dashboard_views.delay().get() == 1
    assert DashboardView.objects.count() == kept
    assert not DashboardView.objects.filter(viewed_at=old).exists()
    client.force_login(lead)
    html = client.get(reverse("program_health")).content.decode()
    assert measure(html, "Dashboard views per member (last week)") == "1.0"
