"""One rule for who reads a support request, and no private goal id in the contribution
endpoints: what the dedicated endpoints refuse never shows up through another one."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from checkins.models import SupportRequest
from checkins.services import checkin_submit
from goals.models import ContributionSnapshot, Goal
from goals_project.people.tokens import api_token_create
from tests.builders import GoalFactory

pytestmark = pytest.mark.django_db

WEDNESDAY = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def bearer(user):
    _, secret = api_token_create(user=user, name="t", scopes=["read", "write"])
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_teammate_reads_neither_the_help_asked_nor_its_reply(
    client, quarter, team, lead, member, teammate
):
    goal = GoalFactory(period=quarter, team=team, owner=member, name="Onboard Acme")  # public
    checkin, _ = checkin_submit(
        goal=goal, user=member, confidence=2, support_message="Acme's CFO is hostile"
    )
    asked = SupportRequest.objects.get()
    asked.reply, asked.status = "I'll call him Friday", SupportRequest.Status.ACKNOWLEDGED
    asked.save()

    # The support-request endpoints refuse the teammate...
    assert client.get(f"/api/support-requests/{asked.pk}/", **bearer(teammate)).status_code == 404
    listing = client.get(f"/api/goals/{goal.pk}/support-requests/", **bearer(teammate)).json()
    assert listing["results"] == []
    # ...and so do the goal's check-ins (API) and the goal page, which the teammate may read.
    checkins = client.get(f"/api/goals/{goal.pk}/check-ins/", **bearer(teammate)).json()
    assert [row["id"] for row in checkins["results"]] == [checkin.pk]
    assert checkins["results"][0]["support_requests"] == []
    client.force_login(teammate)
    page = client.get(f"/goals/{goal.pk}/").content.decode()
    assert "Onboard Acme" in page
    assert "Help asked" not in page and "I'll call him Friday" not in page
    assert "I&#x27;ll call him Friday" not in page

    # The lead, whom it was asked of, reads it everywhere.
    checkins = client.get(f"/api/goals/{goal.pk}/check-ins/", **bearer(lead)).json()
    [seen] = checkins["results"][0]["support_requests"]
    assert (seen["message"], seen["reply"]) == ("Acme's CFO is hostile", "I'll call him Friday")
    client.force_login(lead)
    assert "call him Friday" in client.get(f"/goals/{goal.pk}/").content.decode()


def test_contributions_never_name_a_private_individual_goal_to_whom_may_not_see_it(
    client, quarter, team, lead, member, teammate
):
    def nrr_goal(name, owner=None, **fields):
        return GoalFactory(
            period=quarter,
            team=team,
            owner=owner,
            name=name,
            goal_type="metric",
            metric_key="nrr",
            task_target=None,
            target=105,
            baseline=100,
            **fields,
        )

    team_goal = nrr_goal("Team NRR")
    private = nrr_goal("Mo's NRR", member, parent=team_goal, visibility=Goal.Visibility.PRIVATE)
    public = nrr_goal("Tia's NRR", teammate, parent=team_goal)
    for person, own in ((member, private), (teammate, public)):
        ContributionSnapshot.objects.create(
            goal=team_goal,
            member=person,
            individual_goal=own,
            as_of=dt.date(2026, 11, 20),
            points=Decimal("50"),
            share=Decimal("0.5"),
            member_value=Decimal("100"),
        )

    def individual_goals(viewer, url):
        rows = client.get(url, **bearer(viewer)).json()["results"]
        return {row["user_name"]: row["individual_goal"] for row in rows}

    url = f"/api/goals/{team_goal.pk}/contributions/"
    assert individual_goals(teammate, url) == {"Mo Member": None, "Tia Mate": public.pk}
    assert individual_goals(lead, url) == {"Mo Member": private.pk, "Tia Mate": public.pk}
    assert individual_goals(member, url) == {"Mo Member": private.pk, "Tia Mate": public.pk}
    mine = f"/api/users/{member.pk}/contributions/"
    assert individual_goals(teammate, mine) == {"Mo Member": None}
