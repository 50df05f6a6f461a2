import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checkins.models import CheckIn
from goals.models import Adjustment, Goal
from tests.builders import (
    Q4_START,
    TODAY,
    MembershipFactory,
    add_history,
    calculated_goal,
    contribution,
)

pytestmark = pytest.mark.django_db


def figure(html: str, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert match, f"no figure {element_id}"
    return json.loads(match.group(1))


@pytest.fixture
def team_nrr(team, quarter, last_quarter, lead, member, teammate):
    goal = calculated_goal(
        team,
        quarter,
        name="Team NRR",
        current_value=Decimal("103.7"),
        forecast_value=Decimal("104.9"),
        forecast_low=Decimal("102.1"),
        forecast_high=Decimal("107.3"),
        forecast_target_probability=Decimal("72"),
    )
    add_history(goal, [(Q4_START + dt.timedelta(days=d), "101.5") for d in range(47)])
    previous = calculated_goal(team, last_quarter, name="Team NRR", current_value=Decimal("102"))
    add_history(previous, [(last_quarter.start + dt.timedelta(days=d), "100.5") for d in range(92)])
    Adjustment.objects.create(
        goal=goal,
        field="target",
        old_value="104",
        new_value="105",
        reason="Board ask",
        changed_by=lead,
    )
    CheckIn.objects.create(
        goal=goal,
        user=member,
        week_start=TODAY - dt.timedelta(days=TODAY.weekday()),
        confidence=4,
        note="Two renewals signed",
    )
    mine = calculated_goal(team, quarter, owner=member, name="Mo NRR")
    theirs = calculated_goal(
        team, quarter, owner=teammate, name="Tia NRR", visibility=Goal.Visibility.PRIVATE
    )
    contribution(
        goal,
        member,
        points="38.1",
        member_value="104.2",
        denominator="1200000",
        share="0.3656",
        individual=mine,
    )
    contribution(
        goal,
        teammate,
        points="45.0",
        member_value="103.5",
        denominator="1500000",
        share="0.4348",
        individual=theirs,
    )
    contribution(
        goal, lead, points="20.6", member_value="103.2", denominator="690000", share="0.1996"
    )
    return goal


def test_chart_has_history_targets_pace_forecast_overlay_and_markers(client, lead, team_nrr):
    client.force_login(lead)
    html = client.get(reverse("goals:goal_detail", args=[team_nrr.pk])).content.decode()
    chart = figure(html, f"goal-chart-{team_nrr.pk}")
    traces = {trace["name"]: trace for trace in chart["data"]}
    assert set(traces) == {
        "Value",
        "Target",
        "Stretch",
        "Expected pace",
        "Forecast",
        "Forecast 80% band",
        "Q3 2026 (same day)",
        "Adjustments",
        "Check-ins",
    }
    assert len(traces["Value"]["x"]) == 47
    assert traces["Target"]["y"] == [105.0, 105.0]
    assert traces["Stretch"]["y"] == [108.0, 108.0]
    assert traces["Expected pace"]["y"] == [100.0, 105.0]
    assert traces["Forecast"]["x"] == ["2026-11-16", "2026-12-31"]
    assert traces["Forecast"]["y"] == [101.5, 104.9]
    band = traces["Forecast 80% band"]
    steps = len(band["x"]) // 2
    assert band["x"][steps - 1] == band["x"][steps] == "2026-12-31"
    assert sorted(band["y"][steps - 1 : steps + 1]) == [102.1, 107.3]
    # Last quarter is drawn at the same elapsed day: 1 July lands on 1 October.
    assert traces["Q3 2026 (same day)"]["x"][0] == "2026-10-01"
    assert "Board ask" in traces["Adjustments"]["hovertext"][0]
    assert "Two renewals signed" in traces["Check-ins"]["hovertext"][0]
    assert 'data-plotly-figure="goal-chart-' in html
    assert "/static/plotly/plotly.min.js" in html


def test_goal_page_says_what_the_band_means_in_plain_words(client, lead, team_nrr):
    client.force_login(lead)
    html = client.get(reverse("goals:goal_detail", args=[team_nrr.pk])).content.decode()
    sentence = re.search(r'<p id="forecast-sentence">(.*?)</p>', html).group(1)
    assert sentence == (
        "Forecast: lands at 104.9% on 31 Dec. 8 in 10 quarters like this end between 102.1% "
        "and 107.3%. 72% chance of reaching the target."
    )
    # A calibrated chance that rounds to 0 is not "0%": that is kept for the impossible.
    Goal.objects.filter(pk=team_nrr.pk).update(forecast_stretch_probability=Decimal("0.5"))
    html = client.get(reverse("goals:goal_detail", args=[team_nrr.pk])).content.decode()
    assert "72% chance of reaching the target, under 1% of the stretch." in html


def test_a_goal_without_a_forecast_says_there_is_too_little_movement(client, lead, team_nrr):
    Goal.objects.filter(pk=team_nrr.pk).update(
        forecast_value=None,
        forecast_low=None,
        forecast_high=None,
        forecast_target_probability=None,
    )
    client.force_login(lead)
    html = client.get(reverse("goals:goal_detail", args=[team_nrr.pk])).content.decode()
    assert '<p id="forecast-sentence">Forecast: too little movement to forecast yet.</p>' in html
    traces = {trace["name"] for trace in figure(html, f"goal-chart-{team_nrr.pk}")["data"]}
    assert not traces & {"Forecast", "Forecast 80% band"}


def test_contributions_add_up_to_the_team_value(client, lead, team_nrr):
    client.force_login(lead)
    html = client.get(reverse("goals:goal_detail", args=[team_nrr.pk])).content.decode()
    points = re.findall(r'<td class="num points">([^<]+)</td>', html)
    assert points == ["45.0", "38.1", "20.6"]
    assert sum(Decimal(p) for p in points) == Decimal("103.7")
    assert re.search(r'id="contributions-total"><strong>103.7</strong></td><td>103.7%', html)
    assert "$1.2M starting ARR" in html
    waterfall = figure(html, "contributions-chart-data")["data"][0]
    assert waterfall["x"] == ["Tia Mate", "Mo Member", "Lena Lead", "Team"]
    assert waterfall["measure"][-1] == "total"


def test_a_member_sees_links_only_to_goals_they_may_see(client, member, team_nrr):
    client.force_login(member)
    html = client.get(reverse("goals:goal_detail", args=[team_nrr.pk])).content.decode()
    assert ">Mo NRR</a>" in html
    assert "Tia NRR" not in html
    # The team total still counts everyone's book: it is computed from data.
    assert re.search(r'id="contributions-total"><strong>103.7</strong>', html)


def test_comparison_rows_are_shown(client, lead, team_nrr):
    client.force_login(lead)
    html = client.get(reverse("goals:goal_detail", args=[team_nrr.pk])).content.decode()
    assert "Previous period (1 Jul – 30 Sep 2026)" in html
    assert "Same period last year (1 Oct – 31 Dec 2025)" in html
    assert "Previous period at the same point (1 Jul – 16 Aug 2026)" in html


def test_goal_detail_query_count_does_not_grow(
    client, django_assert_num_queries, lead, team, team_nrr
):
    client.force_login(lead)
    url = reverse("goals:goal_detail", args=[team_nrr.pk])
    client.get(url)  # the comparison is cached after the first view; compare warm pages
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for index in range(8):
        person = MembershipFactory(team=team).user
        contribution(
            team_nrr,
            person,
            points="0",
            member_value="100",
            denominator="1",
            share="0",
            individual=calculated_goal(team, team_nrr.period, owner=person, name=f"NRR {index}"),
        )
        Adjustment.objects.create(
            goal=team_nrr,
            field="stretch_target",
            old_value="1",
            new_value="2",
            reason=f"Reason {index}",
            changed_by=lead,
        )
    with django_assert_num_queries(len(few)):
        assert client.get(url).status_code == 200


def test_last_periods_line_leaves_out_a_goal_the_reader_may_not_see(
    client, lead, member, team_nrr, last_quarter
):
    Goal.objects.filter(period=last_quarter, name="Team NRR").update(
        visibility=Goal.Visibility.PRIVATE
    )
    url = reverse("goals:goal_detail", args=[team_nrr.pk])

    def traces_for(user) -> set[str]:
        client.force_login(user)
        html = client.get(url).content.decode()
        return {trace["name"] for trace in figure(html, f"goal-chart-{team_nrr.pk}")["data"]}

    assert "Q3 2026 (same day)" in traces_for(lead)  # the team's lead sees last quarter's goal
    assert "Q3 2026 (same day)" not in traces_for(member)
