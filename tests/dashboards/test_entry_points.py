"""Where a goal is created from, what an empty team sees, and the smaller things a person trips
over: the Periods tab, the lead in her own missed list, the week picker, plurals, the icon."""

import pytest

from checkins.selectors import attention_queue
from dashboards.display import denominator_words
from goals.models import Goal
from tests.builders import GoalFactory

pytestmark = pytest.mark.django_db


def test_a_lead_starts_a_goal_from_the_dashboard_and_my_goals(client, lead, member, team, quarter):
    client.force_login(lead)
    dashboard = client.get(f"/teams/{team.pk}/").text
    new_goal = f'href="/goals/new/?team={team.pk}&amp;period={quarter.pk}"'
    assert f"{new_goal}>Create the team's first goal" in dashboard
    assert f"Enterprise has no goals in {quarter.name} yet." in dashboard
    assert "No goals match these filters" not in dashboard
    assert "Create Mo's first goal" in client.get(f"/people/{member.pk}/").text
    mine = client.get("/me/").text
    assert f"/goals/new/?team={team.pk}&amp;owner={lead.pk}&amp;period={quarter.pk}" in mine


def test_a_member_is_told_who_sets_goals_and_gets_no_new_goal_button(
    client, lead, member, team, quarter
):
    client.force_login(member)
    assert "/goals/new/" not in client.get(f"/teams/{team.pk}/").text
    mine = client.get("/me/").text
    assert "/goals/new/" not in mine
    assert "Your team lead sets individual goals" in mine


def test_the_admins_home_page_does_not_tell_them_to_ask_an_admin(client, admin_user):
    client.force_login(admin_user)
    home = client.get("/").text
    assert "An admin can add you" not in home
    assert 'href="/admin/"' in home and 'href="/periods/"' in home


def test_the_periods_tab_is_current_on_period_pages_only(client, lead, team, quarter):
    goal = GoalFactory(team=team, period=quarter, name="Calls")
    client.force_login(lead)
    periods_tab = '<a href="/periods/" aria-current="page">Periods</a>'
    assert periods_tab in client.get("/periods/").text
    assert periods_tab in client.get(f"/periods/{quarter.pk}/").text
    assert periods_tab not in client.get(f"/goals/{goal.pk}/").text


def test_a_lead_is_not_listed_in_her_own_missed_check_ins(lead, member, team, quarter):
    for person in (lead, member):
        GoalFactory(team=team, period=quarter, owner=person, name=f"{person} calls")
    missed = {entry.user for entry in attention_queue(lead).missed}
    assert missed == {member}


def test_the_highlights_week_has_a_picker_with_previous_and_next(client, lead, team):
    client.force_login(lead)
    page = client.get(f"/recognition/teams/{team.pk}/highlights/?week=2026-W45").text
    assert 'type="week"' in page and 'value="2026-W45"' in page
    assert 'href="?week=2026-W44" rel="prev"' in page
    assert 'href="?week=2026-W46" rel="next"' in page
    this_week = client.get(f"/recognition/teams/{team.pk}/highlights/?week=2026-W47").text
    assert 'rel="next"' not in this_week  # no week after the current one


def test_counted_words_agree_with_their_number():
    assert denominator_words("renewal_rate", 1) == "1 decided renewal"
    assert denominator_words("renewal_rate", 3) == "3 decided renewals"
    assert denominator_words("nps", 1) == "1 response"


def test_the_browser_finds_an_icon(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"].endswith("favicon.svg")


def test_a_goal_added_in_django_admin_is_calculated_at_once(
    admin_client, team, quarter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/goals/goal/add/",
            {
                "period": quarter.pk,
                "team": team.pk,
                "name": "Admin-made tasks",
                "goal_type": "task",
                "direction": "increase",
                "task_target": "4",
                "weight": "1",
                "visibility": "public",
                "maintain_side": "floor",
                "milestones-TOTAL_FORMS": "0",
                "milestones-INITIAL_FORMS": "0",
                "adjustments-TOTAL_FORMS": "0",
                "adjustments-INITIAL_FORMS": "0",
                "history-TOTAL_FORMS": "0",
                "history-INITIAL_FORMS": "0",
            },
        )
    goal = Goal.objects.get(name="Admin-made tasks")
    assert goal.last_calculated_at is not None
    assert goal.status != Goal.Status.NO_DATA or goal.progress is not None
