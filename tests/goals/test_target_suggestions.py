"""Targets suggested from the owner's own history, on known synthetic histories and through the
metric engine, on the new-goal form."""

from datetime import date
from decimal import Decimal

import pytest

from goals.models import GoalPeriod
from goals.services import period_create
from goals.suggestions import choices_from_history, past_windows, suggestion_for
from metrics.registry import get_metric
from tests.builders import renewals

pytestmark = pytest.mark.django_db

D = Decimal


def picks(values, **kwargs):
    base, changes, choices = choices_from_history(
        [None if v is None else D(str(v)) for v in values], metric=get_metric("nrr"), **kwargs
    )
    return base, {c.key: (str(c.change), c.reached, c.out_of, c.probability) for c in choices}


def test_a_steady_two_points_a_quarter_gets_typical_plus_two_with_a_high_probability():
    base, choices = picks([100, 102, 104, 106, 108, 110, 112, 114])
    assert base == D("114")
    change, reached, out_of, probability = choices["typical"]
    assert (change, reached, out_of) == ("2.0", 7, 7)
    assert probability >= D("0.85")
    assert choices["hold"][0] == "0.0" and choices["hold"][3] >= D("0.85")


def test_a_noisy_history_reads_median_and_upper_quartile_with_honest_chances():
    # Changes: +4, -2, +1, +3, -1, +2, +5 (median +2, upper quartile +3.5).
    base, choices = picks([100, 104, 102, 103, 106, 105, 107, 112])
    assert choices["typical"][:3] == ("2.0", 4, 7)
    assert choices["typical"][3] == D("0.56")  # (4 + 1) / (7 + 2)
    assert choices["ambitious"][:3] == ("3.5", 2, 7)
    assert choices["hold"][:3] == ("0.0", 5, 7)


def test_a_goal_to_decrease_reads_the_lower_quartile_as_ambitious():
    _, choices = picks([50, 48, 47, 44, 43, 40], direction="decrease")
    assert choices["typical"][0] == "-2.0"
    assert choices["ambitious"][0] == "-3.0"
    assert choices["ambitious"][1] == 2  # two past changes were at least 3 down


def test_too_little_history_gives_no_choice_and_the_reason():
    base, choices = picks([None, None, None, None, None, 101, 103, 104])
    assert choices == {}
    assert base == D("104")


def test_the_engine_reads_each_past_quarter_of_the_owner_once_per_window(
    member, team, django_assert_max_num_queries
):
    # Renewal rate 70 %, 72 %, ... 84 % over the eight quarters before Q1 2027.
    period = period_create(
        name="Q1 2027", period_type="quarterly", start=date(2027, 1, 1), end=date(2027, 3, 31)
    )
    windows = past_windows(period)
    assert windows[0] == (date(2025, 1, 1), date(2025, 3, 31))
    assert windows[-1] == (date(2026, 10, 1), date(2026, 12, 31))
    for index, (start, _end) in enumerate(windows):
        renewed = 35 + index
        renewals(member, ["renewed"] * renewed + ["churned"] * (50 - renewed), start)
    with django_assert_max_num_queries(8 * 2):
        suggestion = suggestion_for(
            metric_key="renewal_rate", period=period, team_id=team.pk, owner_id=member.pk
        )
    assert suggestion.values == [
        D(v) for v in ("70.0", "72.0", "74.0", "76.0", "78.0", "80.0", "82.0", "84.0")
    ]
    typical = next(c for c in suggestion.choices if c.key == "typical")
    assert (typical.target, typical.change_text, typical.reached) == (D("86.0"), "+2.0", 7)
    assert typical.percent == 89
    team_view = suggestion_for(
        metric_key="renewal_rate", period=period, team_id=team.pk, owner_id=None
    )
    assert team_view.values == suggestion.values  # the member holds the team's whole book


def test_the_new_goal_form_shows_choices_that_fill_the_target_or_says_there_is_no_data(
    client, lead, member, team
):
    period = period_create(
        name="Q1 2027", period_type="quarterly", start=date(2027, 1, 1), end=date(2027, 3, 31)
    )
    for index, (start, _end) in enumerate(past_windows(period)):
        renewed = 35 + index
        renewals(member, ["renewed"] * renewed + ["churned"] * (50 - renewed), start)
    client.force_login(lead)
    query = {"period": period.pk, "team": team.pk, "owner": member.pk}
    page = client.post(
        "/goals/new/fields/",
        {**query, "goal_type": "metric", "metric_key": "renewal_rate", "direction": "increase"},
    )
    assert "From 8 past periods of" in page.text
    assert 'data-fill-field="target" data-fill-value="86.0" data-choice="typical"' in page.text
    assert "about 89 % likely · reached by 7 of 7 past changes" in page.text
    assert 'id="suggestion-chart-data"' in page.text

    assert GoalPeriod.objects.count() == 1
    nps = client.post(
        "/goals/new/fields/",
        {**query, "goal_type": "metric", "metric_key": "nps", "direction": "increase"},
    )
    assert "No suggestion: there is no NPS data for this owner in the last 8 periods." in nps.text


def test_the_cascade_page_suggests_each_members_targets_from_their_history(
    client, lead, member, team, django_assert_max_num_queries
):
    from goals.services import goal_create

    period = period_create(
        name="Q1 2027", period_type="quarterly", start=date(2027, 1, 1), end=date(2027, 3, 31)
    )
    for index, (start, _end) in enumerate(past_windows(period)):
        renewed = 35 + index
        renewals(member, ["renewed"] * renewed + ["churned"] * (50 - renewed), start)
    parent = goal_create(
        period=period,
        team=team,
        name="Renewals",
        goal_type="metric",
        metric_key="renewal_rate",
        target="90",
        created_by=lead,
    )
    client.force_login(lead)
    page = client.get(f"/goals/{parent.pk}/cascade/")
    assert (
        f'data-fill-field="m{member.pk}_target" data-fill-value="86.0" data-choice="typical"'
        in page.text
    )
    assert 'id="cascade-history-data"' in page.text
    assert "No suggestion: there is no Renewal rate data for this owner" in page.text  # the lead
