import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checkins.models import CheckIn
from goals.models import Goal
from tests.builders import TODAY, MembershipFactory, add_history, calculated_goal, contribution

pytestmark = pytest.mark.django_db


def test_my_page_explains_my_contribution_in_words_and_numbers(client, member, book):
    client.force_login(member)
    html = client.get(reverse("my_dashboard")).content.decode()
    assert (
        "Your book: NRR 104.2% on $1.2M starting ARR = 38.1 points of the team&#x27;s 103.7%"
        in html
    )
    assert 'href="/goals/' in html and "Mo NRR" in html and ">At risk</span>" in html
    assert 'data-plotly-figure="trend-chart-data"' in html
    assert "Team NRR" in html


def test_checkin_streak_counts_consecutive_weeks(client, member, book):
    this_monday = TODAY - dt.timedelta(days=TODAY.weekday())
    for weeks_back in (0, 1, 2, 4):
        CheckIn.objects.create(
            goal=book["mine"],
            user=member,
            week_start=this_monday - dt.timedelta(weeks=weeks_back),
            confidence=4,
        )
    client.force_login(member)
    html = client.get(reverse("my_dashboard")).content.decode()
    assert re.search(r'id="checkin-streak">3 weeks<', html)


def test_lead_sees_a_members_page_in_the_third_person(client, lead, member, book):
    client.force_login(lead)
    response = client.get(reverse("person_dashboard", args=[member.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mo Member&#x27;s book: NRR 104.2% on $1.2M starting ARR = 38.1 points" in html


@pytest.mark.parametrize("persona", ["teammate", "other_member", "outsider"])
def test_only_leads_and_admins_open_someone_elses_page(client, request, member, book, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("person_dashboard", args=[member.pk])).status_code == 404


def test_admin_opens_anyones_page(client, admin_user, member, book):
    client.force_login(admin_user)
    response = client.get(reverse("person_dashboard", args=[member.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    # The member's page, read by the admin: their goals and their contribution in words.
    assert "Mo Member" in html
    assert "Mo NRR" in html and ">At risk</span>" in html
    assert "NRR 104.2% on $1.2M starting ARR = 38.1 points of the team&#x27;s 103.7%" in html


def test_lead_does_not_see_a_member_of_another_team(client, lead, other_member, book):
    client.force_login(lead)
    assert client.get(reverse("person_dashboard", args=[other_member.pk])).status_code == 404


def test_private_team_goal_contribution_is_hidden_from_a_member(
    client, team, quarter, member, teammate, book
):
    hidden = calculated_goal(
        team, quarter, name="Secret GRR", metric_key="grr", visibility=Goal.Visibility.PRIVATE
    )
    contribution(hidden, member, points="50", member_value="99", denominator="10", share="0.5")
    client.force_login(member)
    html = client.get(reverse("my_dashboard")).content.decode()
    # The random CSP nonce could spell anything: only the page's own text counts.
    html = re.sub(r'nonce="[^"]*"', "", html)
    assert "Secret GRR" not in html and "GRR" not in html


def test_query_count_does_not_grow_with_goals(
    client, django_assert_num_queries, team, quarter, member
):
    client.force_login(member)
    url = reverse("my_dashboard")

    def add(count):
        for index in range(count):
            team_goal = calculated_goal(team, quarter, name=f"Team goal {index}-{count}")
            own = calculated_goal(team, quarter, owner=member, name=f"Own goal {index}-{count}")
            add_history(own, [(TODAY - dt.timedelta(days=d), "101") for d in range(4)])
            contribution(
                team_goal,
                member,
                points="10",
                member_value="101",
                denominator="5",
                share="0.1",
                individual=own,
            )
            contribution(
                team_goal,
                MembershipFactory(team=team).user,
                points="90",
                member_value="100",
                denominator="45",
                share="0.9",
            )

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(8)
    with django_assert_num_queries(len(few)):
        assert client.get(url).status_code == 200
