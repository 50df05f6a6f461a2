"""An ARR import makes a goal achieved; the owner sees the notification; a teammate celebrates."""

import datetime as dt

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from checkins.weeks import local_today
from goals.services import goal_create
from goals_project.people.models import Membership, Team
from tests.builders import PASSWORD, GoalPeriodFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def nrr_goal(transactional_db, tmp_path):
    team = TeamFactory(name="Enterprise")
    lead = MembershipFactory(
        team=team, role=Membership.Role.LEAD, user__email="lena@example.com", user__name="Lena Lead"
    ).user
    owner = MembershipFactory(team=team, user__email="ana@example.com", user__name="Ana Ruiz").user
    MembershipFactory(team=team, user__email="ben@example.com", user__name="Ben Okafor")
    today = local_today()
    start = today - dt.timedelta(days=30)
    period = GoalPeriodFactory(
        name="This quarter", start=start, end=today + dt.timedelta(days=60), status="active"
    )
    customers = tmp_path / "customers.csv"
    customers.write_text("external_id,name,csm_email,segment\nACME,Acme,ana@example.com,\n")
    call_command("import_data", "customers", str(customers))
    arr = tmp_path / "arr.csv"
    arr.write_text(f"customer_external_id,effective_date,arr\nACME,{start},1000\n")
    call_command("import_data", "arr", str(arr))
    goal_create(
        period=period,
        owner=owner,
        name="Grow NRR",
        goal_type="metric",
        metric_key="nrr",
        baseline="100",
        target="110",
        created_by=lead,
    )
    return tmp_path, today


def log_in(page: Page, url: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_arr_import_is_celebrated(page: Page, live_server, nrr_goal):
    folder, today = nrr_goal
    expansion = folder / "expansion.csv"
    expansion.write_text(f"customer_external_id,effective_date,arr\nACME,{today},1150\n")
    call_command("import_data", "arr", str(expansion))

    log_in(page, live_server.url, "ana@example.com")
    bell = page.get_by_role("link", name="Notifications")
    expect(bell.locator(".count")).to_have_text("2 unread")  # the win and the first badge
    bell.click()
    expect(page.get_by_role("link", name="You earned the badge “First goal”")).to_be_visible()
    page.get_by_role("link", name="You reached the target of “Grow NRR”").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana reached the target")
    expect(page.get_by_role("button", name="Celebrate")).to_have_count(0)

    log_in(page, live_server.url, "ben@example.com")
    team_id = Team.objects.get(name="Enterprise").pk
    page.goto(f"{live_server.url}/recognition/teams/{team_id}/celebrations/")
    new_win = page.locator(".win.is-new", has_text="Ana reached the target of “Grow NRR”")
    expect(new_win).to_have_css("animation-name", "win-arrive")  # the first time only
    page.reload()
    expect(page.locator(".win", has_text="Grow NRR")).to_be_visible()
    expect(page.locator(".win.is-new")).to_have_count(0)
    page.get_by_role("link", name="Ana reached the target of “Grow NRR”").click()
    page.get_by_label("Message (optional)").fill("Huge expansion, well done!")
    page.get_by_role("button", name="Celebrate").click()
    kudos = page.locator(".celebrate-box")
    expect(kudos.get_by_role("status")).to_have_text("Celebrated!")
    expect(kudos).to_contain_text("Ben Okafor: Huge expansion, well done!")
    expect(kudos).to_contain_text("You celebrated this.")

    log_in(page, live_server.url, "ana@example.com")
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{live_server.url}/recognition/teams/{team_id}/celebrations/")
    expect(page.locator(".win.is-new")).to_have_css("animation-name", "none")
    page.goto(f"{live_server.url}/recognition/notifications/")
    kudos = page.get_by_role("link", name="Ben Okafor celebrated your win on “Grow NRR”")
    expect(kudos).to_be_visible()
