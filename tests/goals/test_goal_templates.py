"""Goal templates: the seeded library, admin and API writes through one validation path, and the
new-goal page pre-filled from a template."""

from datetime import date

import pytest

from goals import services
from goals.goal_templates import template_save, templates_seed
from goals.models import GoalTemplate
from tests.api_support import field_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def library(db):
    """The standard library: seeded by migration 0008, seeded again here because a browser
    test's flush (a transactional test) empties the tables migrations filled."""
    templates_seed()


LIBRARY = [
    "Net revenue retention >= 110 %",
    "Gross retention at or above 90 %",
    "Renewal rate >= 90 %",
    "NPS >= 40",
    "QBR completion 100 % of strategic accounts",
    "Onboard new customers in <= 30 days",
    "Run N executive business reviews",
    "Launch a customer advisory board",
]


def test_the_library_holds_the_eight_standard_templates_and_seeding_again_adds_none():
    assert list(GoalTemplate.objects.values_list("name", flat=True)) == LIBRARY
    grr = GoalTemplate.objects.get(name="Gross retention at or above 90 %")
    assert (grr.goal_type, grr.metric_key, grr.direction, grr.maintain_side) == (
        "metric",
        "grr",
        "maintain",
        "floor",
    )
    onboarding = GoalTemplate.objects.get(name__startswith="Onboard")
    assert (onboarding.metric_key, onboarding.unit, onboarding.direction) == (
        "",
        "days",
        "decrease",
    )
    board = GoalTemplate.objects.get(name__startswith="Launch")
    assert board.goal_type == "milestone" and len(board.milestones) == 3
    assert templates_seed() == 0


def test_admins_edit_templates_in_django_admin_with_the_services_rules(client, admin_user):
    client.force_login(admin_user)
    nps = GoalTemplate.objects.get(name="NPS >= 40")
    page = f"/admin/goals/goaltemplate/{nps.pk}/change/"
    assert client.get(page).status_code == 200
    form = {
        "name": "NPS >= 40",
        "description": "",
        "goal_type": "metric",
        "metric_key": "nps",
        "direction": "increase",
        "maintain_side": "floor",
        "unit": "",
        "target": "40",
        "stretch_target": "30",
        "task_target": "",
        "milestones": "[]",
        "cascade_rule": "same_target",
        "order": "3",
    }
    refused = client.post(page, form)
    assert "The stretch target must be above the target (40) for a goal to increase." in (
        refused.text
    )
    form.update(target="250", stretch_target="")
    out_of_range = client.post(page, form)
    assert out_of_range.status_code == 200 and "errorlist" in out_of_range.text
    assert GoalTemplate.objects.get(pk=nps.pk).target == 40
    form.update(target="45", stretch_target="55")
    assert client.post(page, form).status_code == 302
    assert GoalTemplate.objects.get(pk=nps.pk).target == 45


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"goal_type": "task", "cascade_rule": "split_count"},
            "task_target",
            "A task template suggests a number of tasks (1 or more).",
        ),
        (
            {"goal_type": "milestone", "cascade_rule": "same_milestones"},
            "milestones",
            "A milestone template lists its milestones: names, one a line.",
        ),
        (
            {
                "goal_type": "metric",
                "metric_key": "arr",
                "target": "5",
                "cascade_rule": "same_target",
            },
            "metric_key",
            None,
        ),
        (
            {"goal_type": "task", "task_target": 3, "cascade_rule": "same_target"},
            "cascade_rule",
            "A task goal cascades as: the count is split across members by their share or kept "
            "as a team goal, not cascaded.",
        ),
    ],
)
def test_bad_templates_are_refused_naming_the_field(fields, field, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        template_save(name="Bad one", **fields)
    errors = refused.value.message_dict
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert not GoalTemplate.objects.filter(name="Bad one").exists()


def test_everyone_reads_templates_and_only_admins_write_them(client, member, admin_user):
    client.force_login(member)
    listed = client.get("/api/goal-templates/")
    assert [t["name"] for t in listed.json()["results"]] == LIBRARY
    body = {
        "name": "CSAT above 90",
        "goal_type": "task",
        "task_target": 4,
        "cascade_rule": "split_count",
    }
    assert (
        client.post("/api/goal-templates/", body, content_type="application/json").status_code
        == 403
    )

    client.force_login(admin_user)
    created = client.post("/api/goal-templates/", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["task_target"] == 4
    bad = client.patch(
        f"/api/goal-templates/{created.json()['id']}/",
        {"stretch_target": "5"},
        content_type="application/json",
    )
    assert field_errors(bad) == {
        "stretch_target": ["A task goal has no stretch target on its form."]
    }
    assert client.get("/api/goal-templates/999999/").status_code == 404
    schema = client.get("/api/schema/").text
    assert "/api/goal-templates/{id}/" in schema


def test_a_lead_starts_a_goal_from_a_template_and_lands_on_a_prefilled_form(client, lead):
    services.period_create(
        name="Q1 2027", period_type="quarterly", start=date(2027, 1, 1), end=date(2027, 3, 31)
    )
    client.force_login(lead)
    page = client.get("/goals/new/")
    assert "Start from a template" in page.text
    grr = GoalTemplate.objects.get(name="Gross retention at or above 90 %")
    assert f"?template={grr.pk}" in page.text
    filled = client.get("/goals/new/", {"template": grr.pk})
    form = filled.context["form"]
    assert form["name"].value() == "Gross retention at or above 90 %"
    assert (form["metric_key"].value(), form["direction"].value()) == ("grr", "maintain")
    assert (form["target"].value(), form["stretch_target"].value()) == ("90", "95")
    assert "Pre-filled from the template" in filled.text
    board = GoalTemplate.objects.get(name="Launch a customer advisory board")
    milestones = client.get("/goals/new/", {"template": board.pk}).context["milestones"]
    assert [row["name"].value() for row in milestones] == board.milestones
    assert client.get("/goals/new/", {"template": 999999}).status_code == 404
