"""A lead reads the team dashboard, narrows it to at-risk goals, opens one and sees its chart and
contributions; a member lands on their own goals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from goals.models import ContributionSnapshot, Goal, ProgressHistory
from goals_project.people.models import Membership
from tests.builders import PASSWORD, GoalFactory, GoalPeriodFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quarter_of_goals(transactional_db):
    today = timezone.localdate()
    start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    period = GoalPeriodFactory(
        name="This quarter", start=start, end=start + dt.timedelta(days=91), status="active"
    )
    team = TeamFactory(name="Enterprise")
    lead = MembershipFactory(
        team=team, role=Membership.Role.LEAD, user__email="lead@example.com", user__name="Lena Lead"
    ).user
    member = MembershipFactory(
        team=team, user__email="member@example.com", user__name="Mo Member"
    ).user

    def metric(name, owner=None, **values):
        return GoalFactory(
            team=team,
            period=period,
            owner=owner,
            name=name,
            goal_type=Goal.Type.METRIC,
            metric_key="nrr",
            task_target=None,
            baseline=Decimal("100"),
            target=Decimal("105"),
            stretch_target=Decimal("108"),
            last_calculated_at=timezone.now(),
            **values,
        )

    team_nrr = metric(
        "Team NRR",
        current_value=Decimal("101.2"),
        progress=Decimal("24"),
        expected_progress=Decimal("55"),
        status=Goal.Status.AT_RISK,
        forecast_value=Decimal("103.1"),
        forecast_low=Decimal("101.9"),
        forecast_high=Decimal("104.3"),
        forecast_target_probability=Decimal("18"),
    )
    own = metric(
        "Mo NRR",
        owner=member,
        current_value=Decimal("104.2"),
        progress=Decimal("84"),
        expected_progress=Decimal("55"),
        status=Goal.Status.ON_TRACK,
    )
    ProgressHistory.objects.bulk_create(
        ProgressHistory(
            goal=team_nrr,
            as_of=today - dt.timedelta(days=back),
            value=Decimal("101.2") - Decimal(back) / 20,
            progress=Decimal(24),
            status="at_risk",
            recorded_at=timezone.now(),
            calc_version=back + 1,
        )
        for back in range(min(20, (today - start).days + 1))
    )
    for person, points, value in ((member, "52.1", "104.2"), (lead, "49.1", "98.2")):
        ContributionSnapshot.objects.create(
            goal=team_nrr,
            member=person,
            as_of=today,
            points=Decimal(points),
            member_value=Decimal(value),
            denominator=Decimal("1000000"),
            share=Decimal("0.5"),
            individual_goal=own if person == member else None,
        )
    return team_nrr


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_lead_filters_to_at_risk_opens_a_goal_and_reads_chart_and_contributions(
    page: Page, live_server, quarter_of_goals
):
    console_errors = []
    page.on("console", lambda message: console_errors.append(message))
    log_in(page, live_server, "lead@example.com")
    expect(page.get_by_role("heading", name="Enterprise dashboard")).to_be_visible()
    rows = page.locator("table.goal-table tbody tr")
    expect(rows).to_have_count(2)
    # htmx binds the filters once the page has loaded; a busy machine may take a while.
    page.wait_for_load_state("load")
    page.get_by_label("Status").select_option("at_risk")
    expect(page.locator("#goal-count")).to_contain_text(
        "1 of 2 goals shown (filtered)", timeout=15_000
    )
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("At risk")
    assert "status=at_risk" in page.url
    rows.first.get_by_role("link", name="Team NRR").click()
    expect(page.get_by_role("heading", name="Progress over the period")).to_be_visible()
    expect(page.locator("#goal-chart .main-svg").first).to_be_attached()
    contributions = page.locator("table.contributions-table")
    expect(contributions).to_contain_text("Mo Member")
    expect(page.locator("#contributions-total")).to_have_text("101.2")
    expect(page.get_by_role("link", name="Mo NRR")).to_be_visible()
    # Plotly runs under the Content Security Policy without a single violation.
    assert [m.text for m in console_errors if "Content Security Policy" in m.text] == []


def test_member_lands_on_their_own_goals(page: Page, live_server, quarter_of_goals):
    log_in(page, live_server, "member@example.com")
    expect(page.get_by_role("heading", name="My goals", exact=True)).to_be_visible()
    expect(page.locator(".contribution").first).to_contain_text(
        "Your book: NRR 104.2% on $1.0M starting ARR = 52.1 points of the team's 101.2%"
    )


# Headless Chromium never hides its tab: the test hides and shows it the way a browser would.
SET_TAB_HIDDEN = """(hidden) => {
    const state = hidden ? "hidden" : "visible";
    Object.defineProperty(document, "hidden", {value: hidden, configurable: true});
    Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_dashboard_polling_pauses_in_a_hidden_tab_and_catches_up_when_shown(
    page: Page, live_server, quarter_of_goals, settings
):
    settings.DASHBOARD_POLL_SECONDS = 1
    log_in(page, live_server, "lead@example.com")
    expect(page.get_by_role("heading", name="Enterprise dashboard")).to_be_visible()
    page.wait_for_load_state("load")
    dashboard = page.url.split("?")[0]

    def is_poll(request) -> bool:
        return request.url.startswith(dashboard) and bool(request.headers.get("hx-request"))

    polls = []
    page.on("request", lambda request: polls.append(request) if is_poll(request) else None)
    page.wait_for_timeout(2_500)
    assert len(polls) >= 2  # visible: a refresh every second

    page.evaluate(SET_TAB_HIDDEN, True)
    page.wait_for_timeout(500)  # a request already under way may still finish
    polls.clear()
    page.wait_for_timeout(3_000)
    assert polls == []  # hidden: nothing sent

    with page.expect_request(is_poll, timeout=2_000):  # shown: refreshed at once
        page.evaluate(SET_TAB_HIDDEN, False)
    expect(page.locator("#goal-count")).to_contain_text("numbers refresh every 1 seconds")
