import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards.models import DashboardView
from goals.models import Goal
from tests.builders import (
    Q4_START,
    TODAY,
    GoalFactory,
    MembershipFactory,
    add_history,
    calculated_goal,
)

pytestmark = pytest.mark.django_db


def rows_of(html: str) -> list[tuple[str, str]]:
    """(goal name, status) of each goal row, in page order."""
    return re.findall(
        r'data-status="(\w+)">\s*<td class="goal-name"><a href="[^"]+">([^<]+)</a>', html
    )


@pytest.fixture
def team_goals(team, quarter, lead, member, teammate):
    team_nrr = calculated_goal(
        team,
        quarter,
        name="Team NRR",
        forecast_value=Decimal("104.9"),
        forecast_low=Decimal("102.1"),
        forecast_high=Decimal("107.3"),
        forecast_target_probability=Decimal("72"),
    )
    add_history(
        team_nrr,
        [(Q4_START + dt.timedelta(days=d), f"{100 + d * Decimal('0.08'):.2f}") for d in range(47)],
    )
    mine = calculated_goal(
        team,
        quarter,
        owner=member,
        name="Mo NRR",
        current_value=Decimal("104.2"),
        progress=Decimal("30"),
        status=Goal.Status.AT_RISK,
    )
    secret = calculated_goal(
        team,
        quarter,
        owner=teammate,
        name="Tia secret",
        visibility=Goal.Visibility.PRIVATE,
        current_value=Decimal("95"),
        progress=Decimal("5"),
        status=Goal.Status.BEHIND,
    )
    onboarding = GoalFactory(
        team=team,
        period=quarter,
        name="Run onboarding",
        task_target=10,
        current_value=Decimal("10"),
        progress=Decimal("100"),
        status=Goal.Status.ACHIEVED,
    )
    return {"team_nrr": team_nrr, "mine": mine, "secret": secret, "onboarding": onboarding}


def test_lead_reads_values_statuses_forecast_and_summary(client, lead, team, team_goals):
    client.force_login(lead)
    response = client.get(reverse("team_dashboard", args=[team.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    # Worst first: behind, at risk, on track, achieved.
    assert rows_of(html) == [
        ("behind", "Tia secret"),
        ("at_risk", "Mo NRR"),
        ("on_track", "Team NRR"),
        ("achieved", "Run onboarding"),
    ]
    assert "103.7%" in html and "105.0%" in html and "stretch 108.0%" in html
    assert "Lands at 104.9% (80%: 102.1–107.3)" in html
    assert "72% chance of target" in html
    # The goals without a forecast say why, instead of printing a zero-width band.
    assert html.count("too little movement to forecast") == 3
    # 47 days of history: a week ago (9 Nov, day 39) the value was 103.12; now 103.7.
    assert "+0.6 pts since last week" in html
    assert re.search(
        r'<div class="stat">2 of 4</div>\s*<div class="stat-label">on track or better \(50%\)', html
    )
    for words in ("Behind", "At risk", "On track", "Achieved"):
        assert f">{words}</span>" in html
    assert '<svg class="sparkline"' in html
    assert DashboardView.objects.filter(user=lead, page="team").count() == 1


def test_member_does_not_see_a_teammates_private_goal(client, member, team, team_goals):
    client.force_login(member)
    html = client.get(reverse("team_dashboard", args=[team.pk])).content.decode()
    assert [name for _, name in rows_of(html)] == ["Mo NRR", "Team NRR", "Run onboarding"]
    assert "Tia secret" not in html
    assert re.search(r'<div class="stat">2 of 3</div>', html)


@pytest.mark.parametrize("persona", ["other_member", "outsider"])
def test_other_teams_dashboard_is_a_404(client, request, team, team_goals, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("team_dashboard", args=[team.pk])).status_code == 404


def test_admin_sees_any_team_and_anonymous_is_sent_to_login(client, admin_user, team, team_goals):
    url = reverse("team_dashboard", args=[team.pk])
    assert client.get(url).status_code == 302
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_htmx_filter_returns_only_the_matching_rows_partial(client, lead, team, team_goals):
    client.force_login(lead)
    response = client.get(
        reverse("team_dashboard", args=[team.pk]),
        {"status": "at_risk"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="live"')
    assert rows_of(html) == [("at_risk", "Mo NRR")]
    assert "1 of 4 goals shown (filtered)" in html
    # Polls and filters do not count as page views.
    assert not DashboardView.objects.exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"owner": "team"}, ["Team NRR", "Run onboarding"]),
        ({"type": "task"}, ["Run onboarding"]),
        ({"metric": "nrr", "sort": "name"}, ["Mo NRR", "Team NRR", "Tia secret"]),
        ({"sort": "-progress"}, ["Run onboarding", "Team NRR", "Mo NRR", "Tia secret"]),
    ],
)
def test_filters_and_sorting(client, lead, team, team_goals, query, expected):
    client.force_login(lead)
    html = client.get(reverse("team_dashboard", args=[team.pk]), query).content.decode()
    assert [name for _, name in rows_of(html)] == expected


def test_owner_filter_by_member(client, lead, member, team, team_goals):
    client.force_login(lead)
    html = client.get(reverse("team_dashboard", args=[team.pk]), {"owner": member.pk}).content
    assert [name for _, name in rows_of(html.decode())] == ["Mo NRR"]


def test_period_switcher_shows_the_chosen_period(client, lead, team, team_goals, last_quarter):
    calculated_goal(team, last_quarter, name="Q3 NRR", status=Goal.Status.ACHIEVED)
    client.force_login(lead)
    url = reverse("team_dashboard", args=[team.pk])
    assert "Q3 NRR" not in client.get(url).content.decode()
    html = client.get(url, {"period": last_quarter.pk}).content.decode()
    assert [name for _, name in rows_of(html)] == ["Q3 NRR"]
    assert client.get(url, {"period": 999999}).status_code == 404


def test_query_count_does_not_grow_with_goals_or_members(
    client, django_assert_num_queries, lead, team, quarter
):
    client.force_login(lead)
    url = reverse("team_dashboard", args=[team.pk])

    def add_goals(count):
        for _ in range(count):
            owner = MembershipFactory(team=team).user
            goal = calculated_goal(team, quarter, owner=owner, name=f"NRR of {owner.name}")
            add_history(goal, [(TODAY - dt.timedelta(days=d), "101") for d in range(10)])

    add_goals(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_goals(10)
    with django_assert_num_queries(len(few)):
        assert client.get(url).status_code == 200


def test_query_count_is_fixed(client, django_assert_num_queries, lead, team, team_goals):
    client.force_login(lead)
    url = reverse("team_dashboard", args=[team.pk])
    # session, the user (with their membership and the team the navigation bar names), team,
    # periods, goals, history, view log insert
    with django_assert_num_queries(7):
        client.get(url)


def test_a_lead_opens_each_members_page_from_the_rows(client, lead, member, team, team_goals):
    person_url = reverse("person_dashboard", args=[member.pk])
    client.force_login(lead)
    assert f'href="{person_url}"' in client.get(reverse("team_dashboard", args=[team.pk])).text
    client.force_login(member)
    assert f'href="{person_url}"' not in client.get(reverse("team_dashboard", args=[team.pk])).text


def test_teams_link_leads_to_a_team_dashboard(client, admin_user, member, team, other_team):
    client.force_login(admin_user)
    response = client.get(reverse("team_index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("team_dashboard", args=[team.pk])
    assert "Enterprise dashboard" in response.text and ">SMB</a>" in response.text
    client.force_login(member)
    assert client.get(reverse("team_index")).url == reverse("team_dashboard", args=[team.pk])


def test_the_page_polls_its_numbers_and_a_poll_shows_a_recalculation(
    client, lead, team, team_goals
):
    client.force_login(lead)
    url = reverse("team_dashboard", args=[team.pk])
    page = client.get(url).content.decode()
    assert re.search(
        r'<div id="live" hx-get="/teams/\d+/" hx-trigger="every 10s, goalpost:visible" '
        r'hx-include="#dashboard-filters"',
        page,
    )
    Goal.objects.filter(pk=team_goals["team_nrr"].pk).update(
        current_value=Decimal("104.4"), status=Goal.Status.ACHIEVED
    )
    poll = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "104.4%" in poll
    assert ("achieved", "Team NRR") in rows_of(poll)
