"""The demo lead logs in from the front door; every page of the demo, as a lead and as a member,
passes axe-core (no serious or critical finding); at phone width (390 px) the dashboard, the goal
page and the check-in fit the screen, the menu opens and the dashboard's filters are folded."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from goals.models import Goal
from goals_project.people.models import Team, User

from .support import PHONE, assert_accessible, assert_fits_the_screen, log_in, open_menu

pytestmark = pytest.mark.django_db(transaction=True)

LEAD = "elena.lead@goalpost.example"
MEMBER = "ana.ruiz@goalpost.example"


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    enterprise = Team.objects.get(name="Enterprise")
    team_goal = Goal.objects.filter(team=enterprise, owner=None, metric_key="nrr").first()
    return {
        "team": enterprise.pk,
        "team_goal": team_goal.pk,
        "milestone_goal": Goal.objects.filter(team=enterprise, goal_type="milestone").first().pk,
        "member": User.objects.get(email=MEMBER).pk,
    }


LEAD_PAGES = [
    "/teams/{team}/",
    "/teams/{team}/?view=tree",
    "/objectives/",
    "/me/",
    "/people/{member}/",
    "/goals/{team_goal}/",
    "/goals/{milestone_goal}/",
    "/goals/{team_goal}/cascade/",
    "/goals/{team_goal}/adjust/",
    "/goals/{team_goal}/share/",
    "/goals/{team_goal}/edit/",
    "/goals/new/",
    "/leaderboard/",
    "/health/",
    "/check-in/",
    "/attention/",
    "/periods/",
    "/recognition/notifications/",
    "/recognition/achievements/",
    "/recognition/teams/{team}/highlights/",
    "/recognition/teams/{team}/celebrations/",
    "/recognition/teams/{team}/summaries/",
    "/preferences/notifications/",
    "/profile/",
]
MEMBER_PAGES = [
    "/me/",
    "/teams/{team}/?view=tree",
    "/objectives/",
    "/goals/{team_goal}/",
    "/check-in/",
    "/recognition/notifications/",
]


def test_every_page_is_accessible_and_fits_a_phone(page: Page, live_server, demo):
    """One test (the demo takes a while to seed): every page at 1280 px, then the phone."""
    # The demo lead logs in from the front door and lands on the team dashboard.
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Log in to Goalpost")).to_be_visible()
    page.get_by_label("Email").fill(LEAD)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enterprise dashboard")).to_be_visible()
    expect(page.get_by_text("Enterprise (lead)")).to_be_visible()

    for email, pages in ((LEAD, LEAD_PAGES), (MEMBER, MEMBER_PAGES)):
        log_in(page, live_server.url, email, password="demo")
        for path in pages:
            response = page.goto(live_server.url + path.format(**demo))
            assert response.status == 200, path
            assert_accessible(page)

    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, LEAD, password="demo")
    expect(page.get_by_role("heading", name="Enterprise dashboard")).to_be_visible()
    # The navigation is folded behind the menu button, and opens.
    expect(page.get_by_role("link", name="Leaderboard")).to_be_hidden()
    open_menu(page)
    expect(page.get_by_role("link", name="Leaderboard")).to_be_visible()
    # The filters are folded too: the goals come first.
    filters = page.locator("details.filters")
    expect(filters).not_to_have_attribute("open", "")
    first_goal = page.locator("table.goal-table tbody tr").first
    assert first_goal.bounding_box()["y"] < PHONE["height"]
    filters.locator("summary").click()
    expect(page.get_by_label("Status")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page)

    page.goto(f"{live_server.url}/goals/{demo['team_goal']}/")
    expect(page.locator("#goal-chart .main-svg").first).to_be_attached()
    contributions = page.locator("#contributions .table-wrap").first
    # The wide table scrolls inside its card instead of pushing the page sideways.
    assert contributions.evaluate("e => e.scrollWidth > e.clientWidth")
    assert_fits_the_screen(page)
    assert_accessible(page)

    for path in (f"/teams/{demo['team']}/?view=tree", "/objectives/"):
        page.goto(live_server.url + path)
        expect(page.locator("#goal-tree")).to_contain_text("Grow our enterprise base")
        page.screenshot(path=f"/tmp/goalpost-objectives/demo{path.replace('/', '_')}.png")
        assert_fits_the_screen(page)
        assert_accessible(page)

    page.goto(f"{live_server.url}/check-in/")
    expect(page.get_by_role("heading", name="Weekly check-in")).to_be_visible()
    assert_fits_the_screen(page)
    open_menu(page)
    assert_accessible(page)
