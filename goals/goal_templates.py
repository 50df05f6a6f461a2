"""Goal templates: common CS goals a lead starts from (the library in goals.template_library).

One validation path for Django admin and the API (`template_validate`), with the goal rules'
own messages where a template says what a goal would (a stretch beyond the target, a value in
the metric's range); `template_initial` is what the new-goal form opens with.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from metrics.registry import get_metric

from . import services
from .models import Goal, GoalTemplate, one_line_error
from .template_library import STANDARD_TEMPLATES

# The form's choice for a metric goal measured by hand (goals.forms.MEASURED_BY_HAND).
MEASURED_BY_HAND = "manual"
TEMPLATE_FIELDS = (
    "name",
    "description",
    "goal_type",
    "metric_key",
    "direction",
    "maintain_side",
    "unit",
    "target",
    "stretch_target",
    "task_target",
    "milestones",
    "cascade_rule",
    "order",
)
RULES_FOR_TYPE = {
    Goal.Type.METRIC: {GoalTemplate.CascadeRule.SAME_TARGET, GoalTemplate.CascadeRule.TEAM_ONLY},
    Goal.Type.TASK: {GoalTemplate.CascadeRule.SPLIT_COUNT, GoalTemplate.CascadeRule.TEAM_ONLY},
    Goal.Type.MILESTONE: {
        GoalTemplate.CascadeRule.SAME_MILESTONES,
        GoalTemplate.CascadeRule.TEAM_ONLY,
    },
}


def template_validate(template: GoalTemplate) -> None:
    """Check a template's fields together; raise ValidationError naming each field at fault."""
    errors: dict[str, str] = {}
    name = (template.name or "").strip()
    if not name:
        errors["name"] = "A template needs a name."
    elif one_line_error(name, "A template's name"):
        errors["name"] = one_line_error(name, "A template's name")
    elif GoalTemplate.objects.filter(name__iexact=name).exclude(pk=template.pk).exists():
        errors["name"] = f"There is already a template named {name}."
    if len(template.description or "") > services.DESCRIPTION_MAX_LENGTH:
        errors["description"] = (
            f"Keep the description to {services.DESCRIPTION_MAX_LENGTH:,} characters."
        )
    if template.goal_type not in Goal.Type.values:
        errors["goal_type"] = (
            f"Unknown goal type {template.goal_type!r}: use metric, task or milestone."
        )
        raise ValidationError(errors)
    if template.metric_key:
        try:
            template.metric_key = get_metric(template.metric_key).key
        except KeyError as error:
            errors["metric_key"] = error.args[0]
    # The rules a goal made from it will meet, checked on the goal it describes.
    goal = Goal(
        goal_type=template.goal_type,
        metric_key=template.metric_key if "metric_key" not in errors else "",
        direction=template.direction,
        maintain_side=template.maintain_side,
        unit=template.unit,
        target=template.target,
        stretch_target=template.stretch_target,
        task_target=template.task_target,
    )
    if template.direction not in Goal.Direction.values:
        errors["direction"] = (
            f"Unknown direction {template.direction!r}: use increase, decrease or maintain."
        )
    if template.maintain_side not in Goal.Side.values:
        errors["maintain_side"] = f"Unknown side {template.maintain_side!r}: use floor or ceiling."
    if template.unit and template.unit not in Goal.Unit.values:
        errors["unit"] = (
            f"Unknown unit {template.unit!r}: use count, days, percent, currency or score."
        )
    elif template.unit and (template.goal_type != Goal.Type.METRIC or template.metric_key):
        errors["unit"] = "Only a goal measured by hand states a unit."
    if template.goal_type != Goal.Type.METRIC:
        if template.metric_key and "metric_key" not in errors:
            errors["metric_key"] = "Only a metric goal has a metric."
        if template.target is not None:
            errors["target"] = "Only a metric goal has a target value."
    if template.goal_type == Goal.Type.METRIC:
        if template.target is None:
            errors["target"] = "A metric template suggests a target."
        elif not template.metric_key and not template.unit and "metric_key" not in errors:
            errors["unit"] = "A goal measured by hand states its unit (days, count...)."
        if "metric_key" not in errors and "unit" not in errors:
            services._validate_range(goal, errors)
    if template.goal_type == Goal.Type.TASK:
        if not template.task_target or template.task_target < 1:
            errors["task_target"] = "A task template suggests a number of tasks (1 or more)."
        if template.stretch_target is not None:
            errors["stretch_target"] = "A task goal has no stretch target on its form."
    elif template.task_target is not None:
        errors["task_target"] = "Only a task template has a number of tasks."
    if template.goal_type == Goal.Type.MILESTONE:
        names = template.milestones
        if (
            not isinstance(names, list)
            or not names
            or not all(
                isinstance(n, str) and n.strip() and not one_line_error(n, "") for n in names
            )
        ):
            errors["milestones"] = "A milestone template lists its milestones: names, one a line."
        if template.stretch_target is not None:
            errors["stretch_target"] = "A milestone goal has no stretch target."
    elif template.milestones:
        errors["milestones"] = "Only a milestone template lists milestones."
    if not errors:
        services._validate_targets(goal, errors)
    if template.cascade_rule not in GoalTemplate.CascadeRule.values:
        errors["cascade_rule"] = f"Unknown cascade rule {template.cascade_rule!r}."
    elif template.cascade_rule not in RULES_FOR_TYPE[template.goal_type]:
        allowed = " or ".join(
            GoalTemplate.CascadeRule(rule).label.lower()
            for rule in sorted(RULES_FOR_TYPE[template.goal_type])
        )
        errors["cascade_rule"] = f"A {template.goal_type} goal cascades as: {allowed}."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def template_save(*, template: GoalTemplate | None = None, **fields: Any) -> GoalTemplate:
    """Create a template (no `template`) or change one; the same checks as admin's form."""
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "Templates have no such field."})
    template = template or GoalTemplate()
    for key, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if key == "milestones" and isinstance(value, list):
            value = [n.strip() if isinstance(n, str) else n for n in value]
        setattr(template, key, value)
    template.metric_key = template.metric_key or ""
    template.unit = template.unit or ""
    template_validate(template)
    template.save()
    return template


def templates_seed() -> int:
    """Add the standard library's templates that are missing (by name); returns how many."""
    existing = {name.lower() for name in GoalTemplate.objects.values_list("name", flat=True)}
    added = 0
    for order, fields in enumerate(STANDARD_TEMPLATES):
        if fields["name"].lower() not in existing:
            template_save(**fields, order=order)
            added += 1
    return added


def template_initial(template: GoalTemplate) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The new-goal form's initial values for a template, and its milestone rows."""
    initial: dict[str, Any] = {
        "name": template.name,
        "description": template.description,
        "goal_type": template.goal_type,
    }
    if template.goal_type == Goal.Type.METRIC:
        initial.update(
            metric_key=template.metric_key or MEASURED_BY_HAND,
            unit=template.unit,
            direction=template.direction,
            maintain_side=(
                template.maintain_side if template.direction == Goal.Direction.MAINTAIN else ""
            ),
            target=_plain(template.target),
            stretch_target=_plain(template.stretch_target),
        )
    elif template.goal_type == Goal.Type.TASK:
        initial["task_target"] = template.task_target
    milestones = [
        {"name": name, "weight": Decimal(1), "ORDER": order}
        for order, name in enumerate(template.milestones or [], start=1)
    ]
    return initial, milestones


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")
