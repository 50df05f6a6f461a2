"""The dashboard's poll and the dashboard API answer 304 Not Modified while nothing the viewer
sees changed since the version their If-None-Match names (the ETag of an earlier answer), and
the new numbers as soon as a recalculation, an edit or a share changes them."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals import recalc
from goals.models import Goal
from goals.permissions import goal_share
from goals.services import goal_update
from tests.builders import calculated_goal

pytestmark = pytest.mark.django_db

POLL = {"HX-Request": "true"}


def poll(client, team, etag=None, **query):
    headers = {**POLL, **({"If-None-Match": etag} if etag else {})}
    return client.get(reverse("team_dashboard", args=[team.pk]), query, headers=headers)


def api(client, team, etag=None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get("/api/goals/dashboard/team", {"team": team.pk}, headers=headers)


def test_an_idle_teams_poll_is_not_modified(client, lead, team, book):
    client.force_login(lead)
    first = poll(client, team)
    assert first.status_code == 200 and "Team NRR" in first.text
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "HX-Request" in first.headers["Vary"]

    with CaptureQueriesContext(connection) as answered:
        again = poll(client, team, etag)
    assert again.status_code == 304
    assert again.content == b"" and again.headers["ETag"] == etag
    with CaptureQueriesContext(connection) as rendered:
        assert poll(client, team).status_code == 200
    # The 304 reads the session, the viewer, the team, the periods and one aggregate.
    assert len(answered) <= 6 < len(rendered)


def test_a_recalculation_that_changes_a_goal_answers_with_the_new_numbers(client, lead, team, book):
    client.force_login(lead)
    etag = poll(client, team).headers["ETag"]
    assert "103.7%" in poll(client, team).text
    # No customer data behind the bench goals: recalculated, they have no value any more.
    recalc.recalculate_goals([book["team_nrr"].pk])
    changed = poll(client, team, etag)
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "103.7%" not in changed.text
    assert poll(client, team, changed.headers["ETag"]).status_code == 304
    # A recalculation that finds nothing new writes nothing: still not modified.
    recalc.recalculate_goals([book["team_nrr"].pk])
    assert poll(client, team, changed.headers["ETag"]).status_code == 304


def later(minutes: int):
    """A few minutes after the dashboard tests' frozen noon (edits are stamped when made)."""
    return time_machine.travel(dt.datetime(2026, 11, 16, 12, minutes, tzinfo=dt.UTC), tick=False)


def test_an_edit_a_new_goal_and_a_share_are_new_versions(
    client, lead, member, teammate, team, book
):
    client.force_login(lead)
    etag = poll(client, team).headers["ETag"]
    with later(1):
        goal_update(goal=book["team_nrr"], by=lead, name="Team NRR to 106%")
        renamed = poll(client, team, etag)
    assert renamed.status_code == 200 and "Team NRR to 106%" in renamed.text

    etag = renamed.headers["ETag"]
    with later(2):
        calculated_goal(
            team, book["team_nrr"].period, owner=teammate, name="Tia private", visibility="private"
        )
        added = poll(client, team, etag)
    assert added.status_code == 200 and "Tia private" in added.text

    # Mo does not see Tia's private goal until she shares it with him.
    client.force_login(member)
    with later(3):
        mine = poll(client, team)
        assert "Tia private" not in mine.text
    with later(4):
        goal_share(goal=Goal.objects.get(name="Tia private"), users=[member])
        shared = poll(client, team, mine.headers["ETag"])
    assert shared.status_code == 200 and "Tia private" in shared.text


def test_each_viewer_filter_and_day_has_its_own_version(client, lead, member, team, book):
    client.force_login(lead)
    lead_etag = poll(client, team).headers["ETag"]
    at_risk = poll(client, team, lead_etag, status="at_risk")
    assert at_risk.status_code == 200 and at_risk.headers["ETag"] != lead_etag
    client.force_login(member)
    assert poll(client, team, lead_etag).status_code == 200  # not the lead's copy
    client.force_login(lead)
    with time_machine.travel(dt.datetime(2026, 11, 17, 12, 0, tzinfo=dt.UTC), tick=False):
        # A new day: the week's change is counted from another day.
        assert poll(client, team, lead_etag).status_code == 200


def test_the_full_page_is_never_a_304(client, lead, team, book):
    client.force_login(lead)
    etag = poll(client, team).headers["ETag"]
    page = client.get(reverse("team_dashboard", args=[team.pk]), headers={"If-None-Match": etag})
    assert page.status_code == 200 and "ETag" not in page.headers


def test_the_dashboard_api_is_not_modified_until_a_goal_changes(client, lead, team, book):
    client.force_login(lead)
    first = api(client, team)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag != poll(client, team).headers["ETag"]  # JSON and HTML are different copies
    again = api(client, team, etag)
    assert again.status_code == 304 and again.content == b""
    recalc.recalculate_goals([book["team_nrr"].pk])
    changed = api(client, team, etag)
    assert changed.status_code == 200
    team_nrr = next(row for row in changed.json()["goals"] if row["name"] == "Team NRR")
    assert team_nrr["current_value"] is None and team_nrr["status"] == "no_data"
