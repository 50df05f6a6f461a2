import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards.models import LeaderboardSetting
from goals.models import Goal
from tests.builders import MembershipFactory, calculated_goal, contribution

pytestmark = pytest.mark.django_db


def board_of(html: str) -> list[tuple[str, str, str]]:
    """(rank with tie mark, member, score) in page order."""
    found = re.findall(
        r'<td class="rank">(\d+)(<span class="tie">\(tie\)</span>)?</td><td>([^<]+)</td>'
        r'<td class="num score">([^<]+)</td>',
        html,
    )
    return [(rank + (" tie" if tie else ""), name, score) for rank, tie, name, score in found]


@pytest.fixture
def individual_goals(team, quarter, lead, member, teammate):
    third = MembershipFactory(team=team, user__name="Rae Third").user
    calculated_goal(team, quarter, owner=member, name="Mo NRR", progress=Decimal("80.04"))
    calculated_goal(team, quarter, owner=teammate, name="Tia NRR", progress=Decimal("92.5"))
    calculated_goal(team, quarter, owner=third, name="Rae NRR", progress=Decimal("80.0"))
    calculated_goal(team, quarter, owner=lead, name="Lena NRR", progress=Decimal("50"))
    # Not comparable (another metric), opted out, and private: none of them may rank.
    calculated_goal(
        team, quarter, owner=lead, name="Lena NPS", metric_key="nps", progress=Decimal("99")
    )
    return third


def turn_on(team, ranks_by="progress", metric_key=""):
    LeaderboardSetting.objects.create(
        team=team, enabled=True, ranks_by=ranks_by, metric_key=metric_key
    )


def test_ranks_progress_on_the_same_metric_with_ties(client, member, team, individual_goals):
    turn_on(team)
    client.force_login(member)
    html = client.get(reverse("leaderboard")).content.decode()
    assert board_of(html) == [
        ("1", "Tia Mate", "92.5%"),
        ("2 tie", "Mo Member", "80.0%"),
        ("2 tie", "Rae Third", "80.0%"),
        ("4", "Lena Lead", "50.0%"),
    ]
    assert "Lena NPS" not in html


def test_progress_ranks_clamped_to_a_stated_range_and_equal_caps_tie(
    client, member, teammate, lead, team, quarter
):
    calculated_goal(team, quarter, owner=member, name="Mo NRR", progress=Decimal("806"))
    calculated_goal(team, quarter, owner=teammate, name="Tia NRR", progress=Decimal("151"))
    calculated_goal(team, quarter, owner=lead, name="Lena NRR", progress=Decimal("-2941"))
    turn_on(team)
    client.force_login(member)
    html = client.get(reverse("leaderboard")).content.decode()
    # 806 % and 151 % both count as 150 %: a target a hair above the baseline wins nothing.
    assert board_of(html) == [
        ("1 tie", "Mo Member", "150.0%+ · past target"),
        ("1 tie", "Tia Mate", "150.0%+ · past target"),
        ("3", "Lena Lead", "0.0% · below baseline"),
    ]
    assert "Progress counts from 0 % (at or below the baseline) to 150 %" in html


def test_opted_out_and_invisible_goals_never_appear(
    client, member, teammate, team, quarter, individual_goals
):
    Goal.objects.filter(name="Tia NRR").update(show_in_leaderboard=False)
    Goal.objects.filter(name="Rae NRR").update(visibility=Goal.Visibility.PRIVATE)
    turn_on(team)
    client.force_login(member)
    html = client.get(reverse("leaderboard")).content.decode()
    assert [name for _, name, _ in board_of(html)] == ["Mo Member", "Lena Lead"]


def test_lead_sees_private_goals_of_the_team(client, lead, team, individual_goals):
    Goal.objects.filter(name="Rae NRR").update(visibility=Goal.Visibility.PRIVATE)
    turn_on(team)
    client.force_login(lead)
    html = client.get(reverse("leaderboard")).content.decode()
    assert "Rae Third" in html


def test_ranks_contribution_points(client, member, teammate, lead, team, quarter):
    team_nrr = calculated_goal(team, quarter, name="Team NRR")
    contribution(team_nrr, member, points="38.1", member_value="104", denominator="1", share="0.4")
    contribution(
        team_nrr, teammate, points="45.6", member_value="103", denominator="1", share="0.4"
    )
    contribution(team_nrr, lead, points="20.0", member_value="100", denominator="1", share="0.2")
    turn_on(team, ranks_by="contribution")
    client.force_login(member)
    html = client.get(reverse("leaderboard")).content.decode()
    assert board_of(html) == [
        ("1", "Tia Mate", "45.6 pts"),
        ("2", "Mo Member", "38.1 pts"),
        ("3", "Lena Lead", "20.0 pts"),
    ]


def test_an_off_leaderboard_shows_nothing(client, member, team, individual_goals):
    client.force_login(member)
    html = client.get(reverse("leaderboard")).content.decode()
    assert "Enterprise's leaderboard is off." in html
    assert board_of(html) == []
    assert 'id="leaderboard-settings"' not in html


def test_lead_turns_it_on_and_chooses_the_ranking(client, lead, team, individual_goals):
    client.force_login(lead)
    url = reverse("leaderboard_settings", args=[team.pk])
    response = client.post(url, {"enabled": "on", "ranks_by": "progress", "metric_key": "nps"})
    assert response.status_code == 302
    setting = LeaderboardSetting.objects.get(team=team)
    assert (setting.enabled, setting.ranks_by, setting.metric_key) == (True, "progress", "nps")
    html = client.get(response.url).content.decode()
    assert board_of(html) == [("1", "Lena Lead", "99.0%")]
    bad = client.post(url, {"enabled": "on", "ranks_by": "luck"}, follow=True)
    assert "Unknown ranking" in bad.content.decode()
    assert LeaderboardSetting.objects.get(team=team).ranks_by == "progress"


def test_members_may_not_change_it_and_other_teams_are_404(
    client, member, other_member, team, individual_goals
):
    url = reverse("leaderboard_settings", args=[team.pk])
    client.force_login(member)
    assert client.post(url, {"enabled": "on", "ranks_by": "progress"}).status_code == 403
    client.force_login(other_member)
    assert client.post(url, {"enabled": "on", "ranks_by": "progress"}).status_code == 404
    assert client.get(reverse("leaderboard"), {"team": team.pk}).status_code == 404
    assert not LeaderboardSetting.objects.exists()


def test_admin_sees_all_teams_ranked_together(
    client, admin_user, team, other_team, quarter, other_member, individual_goals
):
    calculated_goal(
        other_team, quarter, owner=other_member, name="Otto NRR", progress=Decimal("85")
    )
    turn_on(team)
    turn_on(other_team)
    client.force_login(admin_user)
    html = client.get(reverse("leaderboard"), {"team": "all", "by": "progress"}).content.decode()
    names = re.findall(r"<td>([^<]+)</td><td>(Enterprise|SMB)</td>", html)
    assert names[:2] == [("Tia Mate", "Enterprise"), ("Otto Other", "SMB")]


def test_query_count_does_not_grow_with_members(
    client, django_assert_num_queries, member, team, quarter
):
    turn_on(team)
    client.force_login(member)

    def add(count):
        for _ in range(count):
            owner = MembershipFactory(team=team).user
            calculated_goal(team, quarter, owner=owner, name=f"NRR {owner.name}")

    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("leaderboard"))
    add(10)
    with django_assert_num_queries(len(few)):
        client.get(reverse("leaderboard"))
