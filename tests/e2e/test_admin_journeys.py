"""An admin in Django admin: creates a period (and is refused an overlapping one), adds a person
to a team, uploads a CSV of ARR and sees the goal move."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from checkins.weeks import local_today
from goals.models import GoalPeriod
from goals.services import goal_create
from goals_project.people.models import Membership
from tests.builders import UserFactory

from .support import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(transactional_db):
    return UserFactory(email="root@example.com", name="Ada Admin", is_staff=True, is_superuser=True)


def open_admin(page: Page, model_plural: str) -> None:
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name=model_plural, exact=True).click()


def test_admin_creates_a_period_and_is_refused_an_overlapping_one(
    page: Page, live_server, cs_team, admin
):
    log_in(page, live_server.url, "root@example.com")
    # The admin's home page points to what an admin does (not "ask an admin").
    page.goto(f"{live_server.url}/")
    expect(page.get_by_text("An admin can add you")).to_have_count(0)
    expect(page.get_by_role("link", name="Goal periods")).to_be_visible()
    assert_accessible(page)

    following = cs_team.next_quarter.end + dt.timedelta(days=1)
    open_admin(page, "Goal periods")
    page.get_by_role("link", name="Add goal period").click()

    def fill_period(name: str, start: dt.date, end: dt.date) -> None:
        page.get_by_label("Name").fill(name)
        page.get_by_label("Type").select_option(label="Quarterly")
        page.get_by_label("Start").fill(start.isoformat())
        page.get_by_label("End").fill(end.isoformat())
        page.get_by_role("button", name="Save", exact=True).click()

    fill_period("Q after next", following, following + dt.timedelta(days=89))
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert GoalPeriod.objects.filter(name="Q after next").exists()

    page.get_by_role("link", name="Add goal period").click()
    overlap_start = cs_team.quarter.start + dt.timedelta(days=31)
    fill_period("Overlapping", overlap_start, overlap_start + dt.timedelta(days=91))
    expect(page.locator(".errorlist")).to_contain_text(
        f"These dates overlap the quarterly period {cs_team.quarter.name}"
    )
    assert not GoalPeriod.objects.filter(name="Overlapping").exists()


def test_admin_adds_a_person_to_a_team(page: Page, live_server, cs_team, admin):
    UserFactory(email="noor@example.com", name="Noor New")
    log_in(page, live_server.url, "root@example.com")
    open_admin(page, "Users")
    page.get_by_role("link", name="noor@example.com").click()
    page.get_by_role("button", name="Add another Membership").click()
    inline = page.locator("#membership-0")  # the row just added (not the hidden template)
    inline.get_by_label("Team").select_option(label="Enterprise")
    inline.get_by_label("Role").select_option(label="Member")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("“Noor New” was changed successfully")
    membership = Membership.objects.get(user__email="noor@example.com")
    assert membership.team == cs_team.team

    # The lead now finds Noor among the people a goal can be for.
    log_in(page, live_server.url, "lena@example.com")
    page.get_by_role("link", name="Create the team's first goal").click()
    expect(page.get_by_label("Owner").locator("option", has_text="Noor New")).to_have_count(1)


def test_admin_uploads_arr_and_the_goal_moves(page: Page, live_server, cs_team, admin, tmp_path):
    mo = cs_team.members[0]
    goal_create(
        period=cs_team.quarter,
        owner=mo,
        name="Mo NRR",
        goal_type="metric",
        metric_key="nrr",
        baseline=Decimal(100),
        target=Decimal(120),
        created_by=cs_team.lead,
    )
    log_in(page, live_server.url, "mo@example.com")
    page.get_by_role("link", name="Mo NRR").first.click()
    before = page.locator("#goal-current").inner_text()

    customer = mo.customers.order_by("pk").first()
    upload = tmp_path / "arr.csv"
    upload.write_text(
        f"customer_external_id,effective_date,arr\n{customer.external_id},{local_today()},400000\n"
    )
    log_in(page, live_server.url, "root@example.com")
    open_admin(page, "ARR records")
    page.get_by_role("link", name="Import arr CSV").click()
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Import arr").click()
    # Without a worker the import runs at once; its page says what it did.
    expect(page.locator("#import-outcome")).to_contain_text("1 created, 0 updated, 0 unchanged")

    log_in(page, live_server.url, "mo@example.com")
    page.get_by_role("link", name="Mo NRR").first.click()
    expect(page.locator("#goal-current")).not_to_have_text(before)
