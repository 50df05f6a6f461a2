"""Period-end summaries: the numbers, built once on completion, rebuilt identically, the page."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from goals.models import ContributionSnapshot, ProgressHistory
from notifications.models import Notification
from recognition.models import BadgeAward, PeriodSummary
from recognition.summaries import period_summary_build
from recognition.tasks import period_summaries_build_due
from tests.builders import GoalFactory, GoalPeriodFactory

Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
Q4 = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def history(goal, as_of, value, status, version):
    ProgressHistory.objects.create(
        goal=goal,
        as_of=as_of,
        value=Decimal(value),
        status=status,
        recorded_at=timezone.make_aware(dt.datetime(as_of.year, as_of.month, as_of.day, 23)),
        calc_version=version,
    )


@pytest.fixture
def periods(db):
    q3 = GoalPeriodFactory(name="Q3 2026", start=Q3[0], end=Q3[1], status="completed")
    q4 = GoalPeriodFactory(name="Q4 2026", start=Q4[0], end=Q4[1], status="active")
    return q3, q4


@pytest.fixture
def season(periods, team, lead, member, teammate):
    """Q3: 1 of 2 goals achieved. Q4: 3 of 4 (one exceeded), a private one among them."""
    q3, q4 = periods
    for name, status in (("Q3 renewals", "achieved"), ("Q3 NPS", "behind")):
        goal = GoalFactory(period=q3, team=team, name=name, status=status)
        history(goal, Q3[1], "1", status, 1)
    nrr = GoalFactory(
        period=q4,
        team=team,
        name="Team NRR",
        goal_type="metric",
        metric_key="nrr",
        target=Decimal("105"),
        stretch_target=Decimal("110"),
    )
    history(nrr, dt.date(2026, 11, 1), "103", "on_track", 1)
    history(nrr, Q4[1], "111.25", "exceeded", 2)
    qbr = GoalFactory(period=q4, team=team, owner=member, name="QBRs", target=Decimal("80"))
    history(qbr, Q4[1], "82", "achieved", 1)
    history(qbr, Q4[1] + dt.timedelta(days=5), "70", "behind", 2)  # after the end: ignored
    GoalFactory(period=q4, team=team, owner=teammate, name="Tasks", status="behind")
    private = GoalFactory(period=q4, team=team, owner=member, name="Secret", visibility="private")
    history(private, Q4[1], "9", "achieved", 1)
    for person, points in ((member, "61.5"), (teammate, "49.75"), (lead, "0")):
        ContributionSnapshot.objects.create(
            goal=nrr, member=person, as_of=Q4[1], points=Decimal(points)
        )
    BadgeAward.objects.create(
        user=member,
        badge="first_goal",
        reason="First goal achieved: “QBRs” (Q4 2026).",
        earned_on=dt.date(2026, 11, 20),
        awarded_at=timezone.now(),
    )
    return q4


@pytest.mark.sqlite_parity
def test_the_summarys_numbers(season, team):
    data = period_summary_build(period=season, team=team).data

    assert (data["goals_total"], data["goals_achieved"], data["goals_exceeded"]) == (4, 3, 1)
    assert data["achievement_rate"] == "75.0"
    assert data["previous"]["name"] == "Q3 2026"
    assert data["previous"]["achievement_rate"] == "50.0"
    assert data["previous"]["rate_change"] == "25.0"
    goals = {goal["name"]: goal for goal in data["goals"]}
    assert list(goals) == ["Team NRR", "QBRs", "Secret", "Tasks"]
    assert goals["Team NRR"]["final_value"] == "111.2500"
    assert goals["Team NRR"]["target"] == "105.0000"
    assert goals["Team NRR"]["reached_stretch"] is True
    assert goals["QBRs"]["final_value"] == "82.0000"
    assert goals["QBRs"]["status"] == "achieved"
    assert goals["Tasks"]["reached_target"] is False
    assert [(row["name"], row["points"]) for row in data["top_contributors"]] == [
        ("Mo Member", "61.5"),
        ("Tia Mate", "49.8"),
        ("Lena Lead", "0.0"),
    ]
    assert [badge["badge"] for badge in data["badges"]] == ["First goal"]


@pytest.mark.sqlite_parity
def test_rebuilding_gives_the_same_result(season, team):
    first = period_summary_build(period=season, team=team)
    rebuilt = period_summary_build(period=season, team=team)
    assert rebuilt.pk == first.pk
    assert rebuilt.data == first.data
    assert PeriodSummary.objects.count() == 1


def test_completing_a_period_builds_and_announces_once(
    season, team, lead, member, django_capture_on_commit_callbacks
):
    season.status = "completed"
    with django_capture_on_commit_callbacks(execute=True):
        season.save(update_fields=["status"])
    with django_capture_on_commit_callbacks(execute=True):
        period_summaries_build_due()
        season.save(update_fields=["status"])

    summary = PeriodSummary.objects.get(period=season, team=team)
    assert summary.emailed_at is not None
    notes = Notification.objects.filter(kind="period_summary", title__contains="Q4 2026")
    assert notes.count() == 3  # lead, member, teammate: once each
    assert notes.filter(user=member).get().title == "Enterprise: Q4 2026 summary"
    assert notes.filter(user=member).get().body == "3 of 4 goals achieved (75.0%)."
    assert sorted(message.to[0] for message in mail.outbox if "Q4" in message.subject) == [
        "lead@example.com",
        "mate@example.com",
        "member@example.com",
    ]


def test_the_daily_job_builds_missing_summaries(periods, team, member):
    q3, _ = periods
    GoalFactory(period=q3, team=team, name="Old goal", status="achieved")
    assert period_summaries_build_due() == 1
    assert period_summaries_build_due() == 0
    assert PeriodSummary.objects.get(period=q3).data["achievement_rate"] == "100.0"


def test_the_summary_page_hides_private_goals_from_teammates(client, season, team, teammate):
    period_summary_build(period=season, team=team)
    client.force_login(teammate)

    page = client.get(f"/recognition/teams/{team.pk}/periods/{season.pk}/summary/")

    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="achievement-rate">75.0%' in body
    assert 'id="rate-change">+25.0 pts' in body
    assert "Team NRR" in body and "111.3" in body
    assert "Secret" not in body
    assert "1 private goal not shown." in body
    assert "Mo Member" in body


def test_the_owner_of_a_private_goal_sees_it(client, season, team, member):
    period_summary_build(period=season, team=team)
    client.force_login(member)
    body = client.get(f"/recognition/teams/{team.pk}/periods/{season.pk}/summary/").content
    assert "Secret" in body.decode()


def test_summary_pages_for_other_teams_are_404(client, season, team, other_member):
    period_summary_build(period=season, team=team)
    client.force_login(other_member)
    assert (
        client.get(f"/recognition/teams/{team.pk}/periods/{season.pk}/summary/").status_code == 404
    )


def test_a_period_without_summary_says_so(client, season, team, member):
    client.force_login(member)
    response = client.get(f"/recognition/teams/{team.pk}/periods/{season.pk}/summary/")
    assert "it is built when the period completes" in response.content.decode()


def test_the_command_rebuilds_one_summary_and_names_bad_input(season, team):
    out = io.StringIO()
    call_command("period_summaries", "--period", str(season.pk), "--team", "enterprise", stdout=out)
    assert out.getvalue().strip() == "Enterprise · Q4 2026: 3 of 4 goals achieved (75.0%)."
    with pytest.raises(CommandError, match="--team: no team named 'Nobody'"):
        call_command("period_summaries", "--period", str(season.pk), "--team", "Nobody")
