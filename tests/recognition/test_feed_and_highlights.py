"""The team's celebration feed (new wins animate once) and weekly contribution highlights."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from checkins.models import SupportRequest
from goals.models import ContributionSnapshot, Goal
from recognition.models import Achievement
from recognition.selectors import celebrations_for_team, contribution_highlights
from tests.builders import GoalFactory, reach

MONDAY = dt.date(2026, 11, 23)


@time_machine.travel(dt.datetime(2026, 12, 29, 9, 0, tzinfo=dt.UTC), tick=False)
def test_feed_reads_like_a_sentence_and_animates_a_new_win_once(
    client, member_goal, team, teammate
):
    reach(member_goal, Goal.Status.ACHIEVED)
    client.force_login(teammate)

    first = client.get(f"/recognition/teams/{team.pk}/celebrations/").content.decode()
    second = client.get(
        f"/recognition/teams/{team.pk}/celebrations/", HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "Mo reached the target of “QBR completion”, 2 days early" in first
    assert 'class="win is-new"' in first
    assert 'class="win is-new"' not in second
    assert "QBR completion" in second and "<html" not in second


def test_feed_is_fresh_for_each_viewer_and_hides_what_they_may_not_see(
    quarter, team, member, teammate, lead
):
    private = GoalFactory(
        period=quarter, team=team, owner=member, name="Private win", visibility="private"
    )
    reach(private, Goal.Status.ACHIEVED)
    public = GoalFactory(period=quarter, team=team, owner=member, name="Public win")
    reach(public, Goal.Status.ACHIEVED)

    assert [item.achievement.goal.name for item in celebrations_for_team(team, teammate)] == [
        "Public win"
    ]
    lead_items = celebrations_for_team(team, lead)
    assert {item.achievement.goal.name for item in lead_items} == {"Private win", "Public win"}
    assert all(item.is_new for item in lead_items)
    assert all(not item.can_celebrate for item in celebrations_for_team(team, member))


def test_feed_is_one_query(quarter, team, member, teammate, django_assert_num_queries):
    for number in range(5):
        reach(GoalFactory(period=quarter, team=team, owner=member, name=f"G{number}"), "achieved")
    with django_assert_num_queries(1):
        items = celebrations_for_team(team, teammate)
        sentences = [item.sentence for item in items]
    assert len(sentences) == 5


@pytest.mark.parametrize(("persona", "expected"), [("teammate", 200), ("other_member", 404)])
def test_team_pages_are_for_the_team(client, request, team, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    for page in ("celebrations", "highlights", "summaries"):
        assert client.get(f"/recognition/teams/{team.pk}/{page}/").status_code == expected


def test_the_dashboard_include_loads_the_feed_lazily(team):
    from django.template.loader import render_to_string

    html = render_to_string("recognition/_celebration_feed.html", {"team": team})
    assert f'hx-get="/recognition/teams/{team.pk}/celebrations/"' in html


def snapshot(goal, member, day, points):
    ContributionSnapshot.objects.create(goal=goal, member=member, as_of=day, points=Decimal(points))


@pytest.mark.sqlite_parity
def test_highlights_rank_points_gained_over_the_week_and_helpers(
    quarter, team, lead, member, teammate
):
    nrr = GoalFactory(
        period=quarter, team=team, name="Team NRR", goal_type="metric", metric_key="nrr"
    )
    snapshot(nrr, member, MONDAY - dt.timedelta(days=3), "40.0")
    snapshot(nrr, member, MONDAY + dt.timedelta(days=2), "43.5")
    snapshot(nrr, teammate, MONDAY - dt.timedelta(days=3), "50.0")
    snapshot(nrr, teammate, MONDAY + dt.timedelta(days=4), "51.0")
    snapshot(nrr, lead, MONDAY - dt.timedelta(days=1), "10.0")
    snapshot(nrr, lead, MONDAY + dt.timedelta(days=4), "9.0")
    snapshot(nrr, member, MONDAY + dt.timedelta(days=8), "60.0")  # next week: not counted
    resolved_at = timezone.make_aware(dt.datetime(2026, 11, 25, 15, 0))
    for _ in range(2):
        SupportRequest.objects.create(
            goal=nrr,
            requester=member,
            message="Help with a renewal",
            status="resolved",
            replied_by=teammate,
            resolved_by=member,
            resolved_at=resolved_at,
        )

    highlights = contribution_highlights(team, MONDAY, viewer=member)

    [goal] = highlights.goals
    assert [(m.member.name, m.points_gained) for m in goal.movers] == [
        ("Mo Member", Decimal("3.5")),
        ("Tia Mate", Decimal("1.0")),
    ]
    assert [(h.member.name, h.resolved) for h in highlights.helpers] == [("Tia Mate", 2)]


def test_highlights_page_shows_them_and_rejects_a_bad_week(client, quarter, team, member):
    nrr = GoalFactory(
        period=quarter, team=team, name="Team NRR", goal_type="metric", metric_key="nrr"
    )
    snapshot(nrr, member, MONDAY, "40.0")
    snapshot(nrr, member, MONDAY + dt.timedelta(days=1), "42.25")
    client.force_login(member)

    page = client.get(f"/recognition/teams/{team.pk}/highlights/", {"week": "2026-W48"})
    assert 'Mo Member</strong> <span class="num">+2.3 points' in page.content.decode()
    bad = client.get(f"/recognition/teams/{team.pk}/highlights/", {"week": "last week"})
    assert bad.status_code == 400
    assert "week: &#x27;last week&#x27; is not an ISO week" in bad.content.decode()


@time_machine.travel(dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_leads_digest_gets_wins_and_highlights(quarter, team, lead, member):
    from checkins.signals import collect_digest_sections

    nrr = GoalFactory(
        period=quarter, team=team, name="Team NRR", goal_type="metric", metric_key="nrr"
    )
    snapshot(nrr, member, MONDAY, "40.0")
    snapshot(nrr, member, MONDAY + dt.timedelta(days=2), "45.0")
    reach(GoalFactory(period=quarter, team=team, owner=member, name="QBRs"), "achieved")

    sections = {
        section["title"]: section["lines"]
        for _, result in collect_digest_sections.send(
            sender=None, user=lead, week_start=MONDAY + dt.timedelta(days=7), is_lead=True
        )
        for section in result
    }

    assert sections["Wins last week"] == ["Mo reached the target of “QBRs”, 35 days early"]
    assert sections["Contribution highlights"] == ["Team NRR: Mo Member +5.0 points"]
    assert Achievement.objects.count() == 1


@time_machine.travel(dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC), tick=False)
def test_on_a_quiet_monday_the_panel_shows_last_week(client, quarter, team, member):
    nrr = GoalFactory(
        period=quarter, team=team, name="Team NRR", goal_type="metric", metric_key="nrr"
    )
    snapshot(nrr, member, MONDAY, "40.0")
    snapshot(nrr, member, MONDAY + dt.timedelta(days=3), "41.0")
    client.force_login(member)

    panel = client.get(f"/recognition/teams/{team.pk}/highlights/", HTTP_HX_REQUEST="true")

    body = panel.content.decode()
    assert "week 2026-W48" in body
    assert "+1.0 points" in body


def test_celebrating_from_the_feed_updates_the_row(client, member_goal, team, teammate):
    reach(member_goal, Goal.Status.ACHIEVED)
    achievement = Achievement.objects.get(goal=member_goal)
    client.force_login(teammate)

    row = client.post(
        f"/recognition/achievements/{achievement.pk}/celebrate/?in=feed", HTTP_HX_REQUEST="true"
    ).content.decode()

    assert row.strip().startswith('<li class="win')
    assert f'id="win-{achievement.pk}"' in row
    assert "1 kudos" in row and "You celebrated" in row
