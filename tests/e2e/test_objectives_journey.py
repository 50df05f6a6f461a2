"""Objectives and the goal tree in Chromium: an admin sets a company objective (from the
Objectives page, in Django admin); the lead aligns a team goal to it on the goal's form and
re-aligns another from the tree's select; the tree shows objective -> team goals -> individual
goals with the roll-ups; a member sees it without a teammate's private goal, with the note."""

import pytest
from playwright.sync_api import Page, expect

from goals.models import Adjustment, Goal, Objective
from goals.recalc import recalculate_goals
from goals.services import goal_create, manual_entry_add
from tests.builders import UserFactory

from .support import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_fits_the_screen,
    htmx_settled,
    log_in,
)

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = "/tmp/goalpost-objectives"


@pytest.fixture
def goals(cs_team):
    """Enterprise's "Executive business reviews" (4 tasks, 2 done: 50 %) cascades to Mo's EBRs
    (2 of 2) and Tia's private ones (2 of 2); "Customer advisory board" (2 of 2: 100 %)."""
    lead, (mo, tia) = cs_team.lead, cs_team.members

    def task_goal(name, count, done, **fields):
        goal = goal_create(
            period=cs_team.quarter,
            name=name,
            goal_type="task",
            task_target=count,
            created_by=lead,
            **fields,
        )
        manual_entry_add(goal=goal, by=lead, tasks_done=done)
        return goal

    team = cs_team.team
    ebrs = task_goal("Executive business reviews", 4, 2, team=team)
    task_goal("Mo's EBRs", 2, 2, owner=mo, parent=ebrs)
    task_goal("Tia's EBRs", 2, 2, owner=tia, parent=ebrs, visibility="private")
    board = task_goal("Customer advisory board", 2, 2, team=team)
    recalculate_goals(Goal.objects.values_list("pk", flat=True))
    return ebrs, board


def look(page: Page, name: str) -> None:
    """Screenshots at desktop and phone width (viewed by hand; phone width must fit)."""
    for label, size in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=f"{SCREENSHOTS}/{name}-{label}.png", full_page=True)
    assert_fits_the_screen(page)
    page.set_viewport_size(DESKTOP)


def test_objectives_from_admin_to_the_tree(page: Page, live_server, cs_team, goals):
    ebrs, board = goals
    UserFactory(email="root@example.com", name="Ada Admin", is_staff=True, is_superuser=True)
    url = live_server.url

    # An admin sets the company objective from the Objectives page (Django admin's form).
    log_in(page, url, "root@example.com")
    page.goto(f"{url}/objectives/")
    expect(page.get_by_text("No objectives or goals for")).to_be_visible()
    page.get_by_role("link", name="New objective").click()
    expect(page.get_by_label("Period")).to_have_value(str(cs_team.quarter.pk))
    page.get_by_label("Name").fill("Win executive sponsors everywhere")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    objective = Objective.objects.get(name="Win executive sponsors everywhere")
    assert objective.team is None and objective.period == cs_team.quarter

    # The lead aligns the EBR goal to it on the goal's form.
    log_in(page, url, "lena@example.com")
    page.goto(f"{url}/goals/{ebrs.pk}/edit/")
    page.get_by_label("Serves the objective").select_option(label=objective.name)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the goal.")).to_be_visible()

    # The team dashboard's tree: objective -> team goal -> individual goals.
    page.goto(f"{url}/teams/{cs_team.team.pk}/")
    page.get_by_role("link", name="Tree view").click()
    tree = page.locator("#goal-tree")
    aim = tree.locator(f'[data-objective="{objective.pk}"]')
    expect(aim.locator("summary").first).to_contain_text("50%")
    expect(aim.locator(f'[data-goal="{ebrs.pk}"]')).to_contain_text("Mo's EBRs")
    expect(aim.locator(f'[data-goal="{ebrs.pk}"]')).to_contain_text("Tia's EBRs")
    expect(tree.locator("#group-Not")).to_contain_text("Customer advisory board")
    assert_accessible(page)

    # ... and re-aligns the advisory board from the tree's select (htmx): the roll-up moves.
    page.get_by_label("Objective of Customer advisory board").select_option(label=objective.name)
    expect(tree.get_by_role("status")).to_have_text(
        f"Moved “Customer advisory board” to “{objective.name}”."
    )
    expect(aim.locator(f'[data-goal="{board.pk}"]')).to_be_visible()
    expect(aim.locator("summary").first).to_contain_text("75%")  # (50 + 100) / 2
    expect(tree.locator("#group-Not")).to_have_count(0)
    htmx_settled(page)
    assert_accessible(page)
    look(page, "team-tree-lead")
    moves = Adjustment.objects.filter(field="objective").order_by("pk")
    assert [(m.goal_id, m.new_value, m.changed_by.email) for m in moves] == [
        (ebrs.pk, objective.name, "lena@example.com"),
        (board.pk, objective.name, "lena@example.com"),
    ]
    page.goto(f"{url}/goals/{board.pk}/")
    expect(page.get_by_text("Alignment changed.")).to_be_visible()

    # Mo sees the tree without Tia's private goal, and the team goal says so.
    log_in(page, url, "mo@example.com")
    page.goto(f"{url}/teams/{cs_team.team.pk}/?view=tree")
    team_goal = page.locator(f'[data-goal="{ebrs.pk}"]')
    expect(team_goal).to_contain_text("Mo's EBRs")
    expect(team_goal).not_to_contain_text("Tia's EBRs")
    expect(team_goal.locator(".tree-children > summary")).to_contain_text(
        "1 individual goal · includes goals you cannot see"
    )
    expect(page.get_by_label("Objective of Customer advisory board")).to_have_count(0)
    assert_accessible(page)
    look(page, "team-tree-member")

    # The company page: the same tree, filters keep the ancestors of a match (greyed).
    page.goto(f"{url}/objectives/")
    expect(page.locator(f'[data-objective="{objective.pk}"] summary').first).to_contain_text("75%")
    page.get_by_label("Status").select_option(label="Achieved")
    expect(page.locator("#tree-count")).to_contain_text("(filtered")
    expect(page.locator(f'[data-goal="{ebrs.pk}"] > .tree-row')).to_have_class("tree-row ancestor")
    assert_accessible(page)
    look(page, "objectives-member-filtered")
    page.get_by_role("navigation", name="View").get_by_role("link", name="List").click()
    expect(page.locator(".goal-table")).to_contain_text("Customer advisory board")
    page.goto(f"{url}/objectives/")
    look(page, "objectives-member")
