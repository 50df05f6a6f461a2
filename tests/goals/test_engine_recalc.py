"""Set-based recalculation: values, statuses, history, contributions, roll-ups and backfill."""

import gc
import threading
from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import recalc
from goals.comparison import goal_comparison
from goals.models import ContributionSnapshot, Goal, PendingRecalculation, ProgressHistory
from goals.services import goal_create, manual_entry_add, milestone_complete
from goals.signals import goal_status_changed
from metrics.importing import import_records
from tests.builders import D, MembershipFactory, book, new_quarter, nrr_goal

from .forecast_oracle import forecast_series

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]
TODAY = date(2026, 2, 14)


@pytest.fixture(autouse=True)
def valentines_day():
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        yield


def test_metric_goals_get_value_progress_status_and_one_history_row(lead, member, team):
    period = new_quarter()
    book(member, (1000, 1200), (1000, 1000))  # NRR 110 from Feb 1
    book(lead, (2000, 2000))  # NRR 100
    team_goal = nrr_goal(period, by=lead, team=team, baseline="100", target="120")
    mine = nrr_goal(period, by=lead, owner=member, parent=team_goal, baseline="100", target="110")

    result = recalc.recalculate_goals([team_goal.pk, mine.pk])
    assert sorted(result.changed_ids) == sorted([team_goal.pk, mine.pk])
    assert result.engine_calls == 1  # same metric, same window: one engine call
    mine.refresh_from_db()
    team_goal.refresh_from_db()
    assert (mine.current_value, mine.progress, mine.status) == (D(110), D(100), "achieved")
    assert (team_goal.current_value, team_goal.progress) == (D(105), D(25))
    # 45 of 90 days: 50% expected, 25% done is 25 points behind: at risk.
    assert (team_goal.expected_progress, team_goal.status) == (D(50), "at_risk")
    history = ProgressHistory.objects.get(goal=team_goal)
    assert (history.as_of, history.value, history.status) == (TODAY, D(105), "at_risk")

    points = {
        row.member.email: (row.points, row.share, row.individual_goal_id)
        for row in ContributionSnapshot.objects.filter(goal=team_goal)
    }
    assert points == {
        "member@example.com": (D(55), D("0.5"), mine.pk),
        "lead@example.com": (D(50), D("0.5"), None),
    }

    again = recalc.recalculate_goals([team_goal.pk, mine.pk])
    assert again.changed_ids == [] and again.history_rows == 0
    assert ProgressHistory.objects.count() == 2


def test_a_data_change_recalculates_the_owners_goals_after_commit(
    lead, member, team, django_capture_on_commit_callbacks
):
    period = new_quarter()
    (client,) = book(member, (1000, 1000))
    goal = nrr_goal(period, by=lead, owner=member, baseline="100", target="110")
    team_goal = nrr_goal(period, by=lead, team=team, baseline="100", target="110")
    recalc.recalculate_goals([goal.pk, team_goal.pk])
    with django_capture_on_commit_callbacks(execute=True):
        import_records(
            "arr",
            [
                (
                    2,
                    {
                        "customer_external_id": client.external_id,
                        "effective_date": "2026-02-10",
                        "arr": "1080",
                    },
                )
            ],
        )
    goal.refresh_from_db()
    team_goal.refresh_from_db()
    assert (goal.current_value, goal.progress, goal.status) == (D(108), D(80), "on_track")
    assert team_goal.current_value == D(108)
    assert ProgressHistory.objects.filter(goal=goal).count() == 2


def test_status_change_is_announced_after_commit(
    lead, member, team, django_capture_on_commit_callbacks
):
    goal = goal_create(
        period=new_quarter(),
        name="Calls",
        goal_type="task",
        owner=member,
        task_target=4,
        created_by=lead,
    )
    recalc.recalculate_goals([goal.pk])
    heard = []

    def listener(sender, goal, old_status, new_status, **kwargs):
        heard.append((goal.name, old_status, new_status))

    goal_status_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            manual_entry_add(goal=goal, by=member, tasks_done=4)
    finally:
        goal_status_changed.disconnect(listener)
    assert heard == [("Calls", "behind", "achieved")]


def test_team_goal_without_a_metric_rolls_up_its_childrens_weighted_progress(
    lead, member, teammate, team, django_capture_on_commit_callbacks
):
    period = new_quarter()
    with django_capture_on_commit_callbacks(execute=True):
        umbrella = goal_create(
            period=period, name="Great quarter", goal_type="metric", team=team, created_by=lead
        )
        calls = goal_create(
            period=period,
            name="Calls",
            goal_type="task",
            owner=member,
            task_target=10,
            parent=umbrella,
            created_by=lead,
            weight=3,
        )
        playbook = goal_create(
            period=period,
            name="Playbook",
            goal_type="milestone",
            owner=teammate,
            parent=umbrella,
            created_by=lead,
            milestones=[{"name": "Draft"}, {"name": "Ship", "weight": 3}],
        )
        manual_entry_add(goal=calls, by=member, tasks_done=6)
        milestone_complete(milestone=playbook.milestones.get(name="Draft"), by=teammate)
    umbrella.refresh_from_db()
    # (60% x 3 + 25% x 1) / 4
    assert umbrella.progress == D("51.25")
    assert umbrella.status == "on_track"
    playbook.refresh_from_db()
    assert (playbook.current_value, playbook.progress) == (D(1), D(25))


def test_new_goal_mid_period_gets_a_backfilled_daily_history(
    lead, member, team, django_capture_on_commit_callbacks
):
    period = new_quarter()
    book(member, (1000, 1100))  # 100 in January, 110 from Feb 1
    with django_capture_on_commit_callbacks(execute=True):
        goal = nrr_goal(period, by=lead, owner=member, baseline="100", target="120")
    history = list(ProgressHistory.objects.filter(goal=goal).order_by("as_of"))
    assert [row.as_of for row in history] == [
        date(2026, 1, 1) + timedelta(days=i) for i in range(45)
    ]
    assert {row.value for row in history if row.as_of < date(2026, 2, 1)} == {D(100)}
    assert {row.value for row in history if row.as_of >= date(2026, 2, 1)} == {D(110)}
    assert history[0].expected_progress == D("1.1111")
    goal.refresh_from_db()
    assert goal.calc_version == 45
    # One step up: NRR is a level, so it is forecast to stay at 110, with a band around it.
    assert goal.forecast_low < goal.forecast_value < goal.forecast_high
    assert goal.forecast_value == D(110)
    assert recalc.backfill_history([goal.pk]).history_rows == 0  # nothing twice


def test_forecast_fits_the_latest_row_of_each_day_with_todays_value_replacing_todays_row(
    lead, member, team
):
    period = new_quarter()
    book(member, (1000, 1150))  # NRR 115 today
    goal = nrr_goal(period, by=lead, owner=member, baseline="100", target="120")
    noise = [0, 3, -2, 4, -1, 2, -3, 1]
    stored = {
        date(2026, 1, 1) + timedelta(days=i): D(100 + i // 3 + noise[i % 8]) for i in range(44)
    }
    rows = [(day, value, "on_track") for day, value in stored.items()]
    # A day recalculated twice keeps its later row; a day whose latest row has no value is out;
    # this morning's row is replaced by the run's own value for today.
    rows += [(date(2026, 1, 5), D(90), "behind"), (date(2026, 1, 9), None, "no_data")]
    rows += [(TODAY, D(1), "behind")]
    ProgressHistory.objects.bulk_create(
        ProgressHistory(
            goal=goal,
            as_of=day,
            value=value,
            status=status,
            calc_version=version,
            recorded_at=timezone.now(),
        )
        for version, (day, value, status) in enumerate(rows, start=1)
    )
    Goal.objects.filter(pk=goal.pk).update(calc_version=len(rows))
    stored[date(2026, 1, 5)] = D(90)
    del stored[date(2026, 1, 9)]

    recalc.recalculate_goals([goal.pk])
    goal.refresh_from_db()
    expected = forecast_series(
        [*stored.items(), (TODAY, D(115))],
        period_start=period.start,
        period_end=period.end,
        target=D(120),
        metric_key="nrr",
        value_range=(D(0), None),
    )
    assert goal.current_value == D(115)
    assert expected.points == 44  # 43 stored days and today
    got = (
        goal.forecast_value,
        goal.forecast_low,
        goal.forecast_high,
        goal.forecast_target_probability,
    )
    want = (expected.value, expected.low, expected.high, expected.target_probability)
    # The database sums the stored days; floating-point order may move the fourth decimal.
    assert all(abs(a - b) <= D("0.0001") for a, b in zip(got, want, strict=True)), (got, want)
    assert expected.low < expected.value < expected.high


def test_new_team_goal_mid_period_gets_daily_contributions_that_add_up(
    lead, member, team, django_capture_on_commit_callbacks
):
    period = new_quarter()
    book(member, (1000, 1200))  # NRR 100 in January, 120 from Feb 1
    book(lead, (1000, 1000))  # NRR 100 throughout
    with django_capture_on_commit_callbacks(execute=True):
        goal = nrr_goal(period, by=lead, team=team, baseline="100", target="120")
    days = {}
    for row in ContributionSnapshot.objects.filter(goal=goal).select_related("member"):
        days.setdefault(row.as_of, {})[row.member.email] = row.points
    assert sorted(days) == [date(2026, 1, 1) + timedelta(days=i) for i in range(45)]
    team_values = dict(ProgressHistory.objects.filter(goal=goal).values_list("as_of", "value"))
    for day, points in days.items():
        assert sum(points.values()) == team_values[day]  # each day adds up to the team value
    assert days[date(2026, 1, 31)] == {"member@example.com": D(50), "lead@example.com": D(50)}
    assert days[TODAY] == {"member@example.com": D(60), "lead@example.com": D(50)}
    before = ContributionSnapshot.objects.count()
    recalc.backfill_history([goal.pk])
    assert ContributionSnapshot.objects.count() == before  # nothing twice


def test_query_count_does_not_grow_with_the_number_of_goals(lead, team):
    period = new_quarter()
    members = [MembershipFactory(team=team).user for _ in range(12)]
    for user in members:
        book(user, (1000, 1050))

    def run(users):
        team_goal = nrr_goal(period, by=lead, team=team, name=f"Team {len(users)}")
        ids = [team_goal.pk]
        for user in users:
            ids.append(nrr_goal(period, by=lead, owner=user, parent=team_goal).pk)
            ids.append(
                goal_create(
                    period=period,
                    name="Calls",
                    goal_type="task",
                    owner=user,
                    task_target=5,
                    created_by=lead,
                ).pk
            )
        with CaptureQueriesContext(connection) as queries:
            result = recalc.recalculate_goals(ids)
        assert len(result.changed_ids) == len(ids)
        return len(queries)

    assert run(members[:2]) == run(members[2:])


def test_comparison_with_previous_period_last_year_and_same_point(lead, member, team):
    new_quarter("Q4 2025", date(2025, 10, 1), date(2025, 12, 31))
    period = new_quarter()
    book(member, (1000, 900), start=date(2024, 12, 1), change=date(2025, 1, 20))
    book(member, (1000, 1300), start=date(2025, 9, 1), change=date(2025, 12, 1))
    goal = nrr_goal(period, by=lead, owner=member, baseline="100", target="110")
    comparison = goal_comparison(goal)
    assert comparison.previous_window == (date(2025, 10, 1), date(2025, 12, 31))
    # Both customers had ARR on Oct 1 (900 + 1000); on Dec 31 they stand at 900 + 1300.
    assert comparison.previous_value == D("115.7895")
    assert comparison.last_year_window == (date(2025, 1, 1), date(2025, 3, 31))
    assert comparison.last_year_value == D(90)
    assert comparison.same_point_window == (date(2025, 10, 1), date(2025, 11, 14))
    assert comparison.same_point_value == D(100)


def test_coalesced_queue_enqueues_one_run_per_burst(lead, member, team):
    period = new_quarter()
    book(member, (1000, 1100))
    goal = nrr_goal(period, by=lead, owner=member)
    ids = recalc.goals_for_owners([member.pk])
    assert ids == [goal.pk]
    assert recalc.mark_pending(ids) is True
    assert recalc.mark_pending(ids) is False  # the burst joins the scheduled run
    result = recalc.recalculate_pending()
    assert result.changed_ids == [goal.pk]
    assert not PendingRecalculation.objects.exists()
    assert recalc.mark_pending(ids) is True  # the next change schedules the next run


def test_a_goal_queued_again_during_a_run_stays_queued_and_a_failed_run_keeps_the_queue(
    lead, member, team, monkeypatch
):
    period = new_quarter()
    book(member, (1000, 1100))
    goal = nrr_goal(period, by=lead, owner=member)
    recalculate = recalc.recalculate_goals

    def data_changes_during_the_run(goal_ids, **kwargs):
        result = recalculate(goal_ids, **kwargs)
        with time_machine.travel("2026-02-14 12:00:01Z", tick=False):
            recalc.mark_pending([goal.pk])  # an import lands while the run finishes
        return result

    recalc.mark_pending([goal.pk])
    monkeypatch.setattr(recalc, "recalculate_goals", data_changes_during_the_run)
    assert recalc.recalculate_pending().changed_ids == [goal.pk]
    assert PendingRecalculation.objects.filter(goal=goal).exists()  # the next run covers it

    def worker_fails(goal_ids, **kwargs):
        raise ConnectionError("database went away")

    monkeypatch.setattr(recalc, "recalculate_goals", worker_fails)
    with pytest.raises(ConnectionError):
        recalc.recalculate_pending()
    assert PendingRecalculation.objects.filter(goal=goal).exists()  # for the retry

    monkeypatch.setattr(recalc, "recalculate_goals", recalculate)
    with time_machine.travel("2026-02-14 12:00:02Z", tick=False):
        recalc.recalculate_pending()
    assert not PendingRecalculation.objects.exists()


def test_a_run_pauses_the_garbage_collector_and_leaves_it_as_it_found_it(
    lead, member, team, monkeypatch
):
    period = new_quarter()
    book(member, (1000, 1100))
    goal = nrr_goal(period, by=lead, owner=member)
    plan_writes = recalc.run.plan_writes
    during = []

    def planning(*args, **kwargs):
        during.append(gc.isenabled())
        return plan_writes(*args, **kwargs)

    monkeypatch.setattr(recalc.run, "plan_writes", planning)
    assert recalc.recalculate_goals([goal.pk]).changed_ids == [goal.pk]
    assert during == [False] and gc.isenabled()

    def database_went_away(writes):
        raise ConnectionError("database went away")

    monkeypatch.setattr(recalc.run, "commit", database_went_away)
    with pytest.raises(ConnectionError):
        recalc.recalculate_goals([goal.pk])
    assert gc.isenabled()

    gc.disable()  # a process that runs without the collector keeps it off
    try:
        with pytest.raises(ConnectionError):
            recalc.recalculate_goals([goal.pk])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_runs_that_overlap_turn_the_collector_back_on_only_when_the_last_one_ends():
    # Two runs at once in one process (threads of a web server): the collector is the
    # process's, so it stays off until both have ended, whichever ends first.
    first, second = recalc.run.collector_paused(), recalc.run.collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()

    # The same on another thread: a run there ends while this one goes on.
    seen_there = []

    def other_run():
        with recalc.run.collector_paused():
            seen_there.append(gc.isenabled())

    with recalc.run.collector_paused():
        thread = threading.Thread(target=other_run)
        thread.start()
        thread.join()
        assert seen_there == [False] and not gc.isenabled()
    assert gc.isenabled()


def test_recalculate_command(lead, member, team):
    period = new_quarter()
    book(member, (1000, 1100))
    goal = nrr_goal(period, by=lead, owner=member)
    out = StringIO()
    call_command("recalculate", "--goal", str(goal.pk), stdout=out)
    assert out.getvalue().strip() == "Recalculated 1 goals: 1 changed, 1 history rows added."
    out = StringIO()
    call_command("recalculate", "--all", "--backfill", stdout=out)
    assert "44 history rows added" in out.getvalue()
    assert Goal.objects.get(pk=goal.pk).current_value == D(110)


def test_recalculating_every_goal_shows_its_progress(lead, member, teammate, team, monkeypatch):
    from goals_project import progress_bars

    period = new_quarter()
    book(member, (1000, 1100))
    for owner in (member, teammate):
        nrr_goal(period, by=lead, owner=owner)
    monkeypatch.setattr(progress_bars, "LINES_AFTER_SECONDS", 0)
    monkeypatch.setattr(progress_bars, "LINES_EVERY_SECONDS", 0)
    out, err = StringIO(), StringIO()
    call_command("recalculate", "--all", stdout=out, stderr=err)
    assert "Recalculating goals: 2 of 2 (100%)" in err.getvalue()
    assert out.getvalue().strip() == "Recalculated 2 goals: 2 changed, 2 history rows added."
    err = StringIO()
    call_command("recalculate", "--all", verbosity=0, stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""


def test_beat_runs_registered_goal_tasks_and_rollover_command(settings):
    from goals_project.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["goals-recalculate-active"]["schedule"] == 15 * 60
    for entry in ("goals-recalculate-active", "goals-roll-over-periods"):
        assert schedule[entry]["task"] in app.tasks
    last = new_quarter("Q4 2025", date(2025, 10, 1), date(2025, 12, 31), status="active")
    out = StringIO()
    call_command("close_periods", stdout=out)
    assert out.getvalue().splitlines() == ["Activated: none", "Completed: Q4 2025"]
    last.refresh_from_db()
    assert last.status == "completed"
