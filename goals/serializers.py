"""API representations of periods, goals, progress, history and contributions.

Serializers validate shape and types only; the business rules (overlapping periods, who may own
a goal, reasons for adjustments) live in goals.services and answer with field errors.
"""

import re
from decimal import Decimal

from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from goals_project.api import StrictInput
from goals_project.people.models import Team, User

from .access import can_view_goal, objective_visible
from .models import (
    VALUE,
    ContributionSnapshot,
    Goal,
    GoalPeriod,
    Milestone,
    ProgressHistory,
)
from .services import DESCRIPTION_MAX_LENGTH

# Fields whose change is an adjustment: it needs a reason and leaves an audit row (API names).
ADJUSTED_FIELDS = ("target_value", "stretch_target_value", "baseline_value", "weight")
PRIVATE_GOAL = "Private goal"
PRIVATE_OBJECTIVE = "Private objective"
# The largest id the database stores (64-bit keys): larger numbers are refused, not overflowed.
MAX_ID = 2**63 - 1
# Goal names are one line (they become email subjects); descriptions have a bound.
NAME_MAX_LENGTH = 200
# A decimal given as text: ASCII digits only ("١٠٠" or "1_000" are not what a person meant).
DECIMAL_TEXT = r"^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


class TextField(serializers.CharField):
    """A string, and only a string: DRF's CharField would turn 0 or 1.5 into "0" and "1.5"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _decimal_schema(max_digits: int, decimal_places: int, min_value=None) -> dict:
    """OpenAPI (3.0) for a decimal input: a number within the column's range, or its text."""
    bound = float(Decimal(10) ** (max_digits - decimal_places))
    number = {"type": "number", "maximum": bound, "exclusiveMaximum": True}
    if min_value is None:
        number.update(minimum=-bound, exclusiveMinimum=True)
    else:
        number["minimum"] = float(min_value)
    return {
        "oneOf": [number, {"type": "string", "pattern": DECIMAL_TEXT}],
        "description": (
            f"A decimal: a JSON number (parsed exactly, never as a float) or a decimal string; "
            f"at most {max_digits} digits, {decimal_places} after the point."
        ),
    }


class DecimalInput(serializers.DecimalField):
    """A decimal sent as a JSON number (`105.5`, parsed exactly by the API's JSON parser) or as a
    string (`"105.5"`, ASCII digits). Answers always give decimals as strings."""

    default_error_messages = {"not_number": 'Send a number (105.5) or a decimal string ("105.5").'}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | Decimal):
            self.fail("not_number")
        if isinstance(data, str) and not re.match(DECIMAL_TEXT, data.strip(), re.ASCII):
            self.fail("invalid")
        return super().to_internal_value(data)


def decimal_input(*, max_digits: int, decimal_places: int, **kwargs) -> DecimalInput:
    field_class = extend_schema_field(
        _decimal_schema(max_digits, decimal_places, kwargs.get("min_value"))
    )(type("DecimalInputField", (DecimalInput,), {}))
    return field_class(max_digits=max_digits, decimal_places=decimal_places, **kwargs)


def id_field(**kwargs) -> serializers.IntegerField:
    return StrictInteger(min_value=1, max_value=MAX_ID, **kwargs)


class StrictInteger(serializers.IntegerField):
    """A JSON integer (or, in a query string, its digits); not `true`, `"1.0"` or `2.5`."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or isinstance(data, Decimal) and data != data.to_integral():
            self.fail("invalid")
        if isinstance(data, str) and not re.match(r"^-?\d+$", data.strip(), re.ASCII):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBoolean(serializers.BooleanField):
    """A JSON true or false, not "yes" or 1."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class NoBlankParameters:
    """Query parameters given empty (`?goal_type=`) are refused rather than silently ignored."""

    def validate(self, attrs):
        blank = [name for name in self.fields if self.initial_data.get(name) == ""]
        if blank:
            raise serializers.ValidationError(
                {name: ["Give a value, or leave the parameter out."] for name in blank}
            )
        return super().validate(attrs)


def value_field(**kwargs) -> DecimalInput:
    return decimal_input(**VALUE, **kwargs)


def weight_field(**kwargs) -> DecimalInput:
    return decimal_input(max_digits=8, decimal_places=2, min_value=Decimal("0.01"), **kwargs)


def name_field(**kwargs) -> TextField:
    return TextField(max_length=NAME_MAX_LENGTH, help_text="One line.", **kwargs)


class GoalPeriodSerializer(serializers.ModelSerializer):
    """A goal period as the API answers it."""

    start_date = serializers.DateField(source="start")
    end_date = serializers.DateField(source="end")

    class Meta:
        model = GoalPeriod
        fields = [
            "id",
            "name",
            "period_type",
            "start_date",
            "end_date",
            "status",
            "activated_at",
            "closed_at",
        ]
        read_only_fields = fields


class GoalPeriodInputSerializer(StrictInput):
    """A new goal period. Its status follows its dates unless given."""

    name = TextField(max_length=100)
    period_type = serializers.ChoiceField(choices=GoalPeriod.Type.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    status = serializers.ChoiceField(choices=GoalPeriod.Status.choices, required=False)

    def service_arguments(self) -> dict:
        data = dict(self.validated_data)
        data["start"], data["end"] = data.pop("start_date"), data.pop("end_date")
        return data


class GoalPeriodUpdateSerializer(StrictInput):
    """PATCH a period: every field optional. Moving the dates of a period that has goals needs a
    reason (each goal gets an adjustment row)."""

    name = TextField(max_length=100, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=GoalPeriod.Status.choices, required=False)
    reason = TextField(required=False, allow_blank=True, max_length=2000)

    def service_arguments(self) -> dict:
        data = dict(self.validated_data)
        for api_name, name in (("start_date", "start"), ("end_date", "end")):
            if api_name in data:
                data[name] = data.pop(api_name)
        return data


class MilestoneSerializer(serializers.ModelSerializer):
    done = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = ["id", "name", "weight", "due_date", "done", "done_at", "order"]

    def get_done(self, milestone: Milestone) -> bool:
        return milestone.done_at is not None


class MilestoneInputSerializer(StrictInput):
    name = name_field()
    weight = weight_field(required=False)
    due_date = serializers.DateField(required=False, allow_null=True)


class GoalSerializer(serializers.ModelSerializer):
    """A goal as the viewer may see it: a parent the viewer may not see shows as a private goal,
    without its id, name or numbers."""

    period_name = serializers.CharField(source="period.name")
    team_name = serializers.CharField(source="team.name")
    owner_type = serializers.SerializerMethodField()
    user = serializers.IntegerField(source="owner_id", allow_null=True)
    user_name = serializers.SerializerMethodField()
    parent = serializers.SerializerMethodField()
    parent_name = serializers.SerializerMethodField()
    objective = serializers.SerializerMethodField()
    objective_name = serializers.SerializerMethodField()
    metric_name = serializers.CharField(source="metric_key")
    target_direction = serializers.ChoiceField(source="direction", choices=Goal.Direction.choices)
    baseline_value = serializers.DecimalField(**VALUE, source="baseline", allow_null=True)
    target_value = serializers.DecimalField(**VALUE, source="target", allow_null=True)
    stretch_target_value = serializers.DecimalField(
        **VALUE, source="stretch_target", allow_null=True
    )
    task_count_target = serializers.IntegerField(source="task_target", allow_null=True)
    progress_percentage = serializers.DecimalField(**VALUE, source="progress", allow_null=True)
    expected_progress_percentage = serializers.DecimalField(
        **VALUE, source="expected_progress", allow_null=True
    )
    unit = serializers.ChoiceField(
        choices=Goal.Unit.choices,
        allow_blank=True,
        help_text="What a goal measured by hand counts (blank for a metric or a task goal).",
    )
    status_label = serializers.CharField(source="get_status_display")
    final_status = serializers.ChoiceField(
        choices=Goal.FinalStatus.choices,
        allow_blank=True,
        help_text="Where the goal ended when its period closed (blank until then).",
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Goal
        fields = [
            "id",
            "url",
            "period",
            "period_name",
            "team",
            "team_name",
            "owner_type",
            "user",
            "user_name",
            "parent",
            "parent_name",
            "objective",
            "objective_name",
            "name",
            "description",
            "goal_type",
            "metric_name",
            "target_direction",
            "maintain_side",
            "unit",
            "baseline_value",
            "target_value",
            "stretch_target_value",
            "task_count_target",
            "weight",
            "visibility",
            "show_in_leaderboard",
            "current_value",
            "progress_percentage",
            "expected_progress_percentage",
            "status",
            "status_label",
            "last_calculated_at",
            "created_at",
            "updated_at",
            "archived_at",
            # Frozen when the period closes (null, or "" for the status, until then).
            "closed_at",
            "final_value",
            "final_status",
            "final_grade",
            "final_stretch_grade",
            "closing_comment",
        ]
        read_only_fields = fields

    def _parent_visible(self, goal: Goal) -> bool:
        if goal.parent_id is None:
            return False
        visible = getattr(goal, "parent_visible", None)
        if visible is None:
            visible = goal.parent is not None and can_view_goal(
                self.context["request"].user, goal.parent
            )
        return bool(visible)

    @extend_schema_field(serializers.ChoiceField(choices=["team", "individual"]))
    def get_owner_type(self, goal: Goal) -> str:
        return "team" if goal.owner_id is None else "individual"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_parent(self, goal: Goal) -> int | None:
        return goal.parent_id if self._parent_visible(goal) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent_name(self, goal: Goal) -> str | None:
        if goal.parent_id is None:
            return None
        return goal.parent.name if self._parent_visible(goal) else PRIVATE_GOAL

    def _objective_visible(self, goal: Goal) -> bool:
        return objective_visible(self.context["request"].user, goal)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_objective(self, goal: Goal) -> int | None:
        """The objective the team goal serves (null without one, or when it is private to you)."""
        return goal.objective_id if self._objective_visible(goal) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_objective_name(self, goal: Goal) -> str | None:
        if goal.objective_id is None:
            return None
        return goal.objective.name if self._objective_visible(goal) else PRIVATE_OBJECTIVE

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_user_name(self, goal: Goal) -> str | None:
        return str(goal.owner) if goal.owner_id else None

    def get_url(self, goal: Goal) -> str:
        return f"/api/goals/{goal.pk}/"


class GoalDetailSerializer(GoalSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(GoalSerializer.Meta):
        fields = [*GoalSerializer.Meta.fields, "milestones"]
        read_only_fields = fields


class GoalCreateSerializer(StrictInput):
    """A new goal: a team goal (`owner_type` team, or no `user`) or an individual goal (`user`,
    a member of the team; `team` may then be left out)."""

    period = serializers.PrimaryKeyRelatedField(queryset=GoalPeriod.objects.all())
    owner_type = serializers.ChoiceField(choices=["team", "individual"], required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    parent = id_field(required=False, allow_null=True)
    objective = id_field(
        required=False,
        allow_null=True,
        help_text="A team goal's objective: the company's or its team's, of the same period.",
    )
    name = name_field()
    description = TextField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_LENGTH
    )
    goal_type = serializers.ChoiceField(choices=Goal.Type.choices)
    metric_name = TextField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The metric a metric goal tracks: nrr, grr, renewal_rate, nps, qbr_completion.",
    )
    target_direction = serializers.ChoiceField(
        choices=Goal.Direction.choices, required=False, default=Goal.Direction.INCREASE
    )
    maintain_side = serializers.ChoiceField(
        choices=Goal.Side.choices,
        required=False,
        help_text="A maintain goal's side: floor (at or above the target) or ceiling (at or "
        "below). Default: the metric's better direction.",
    )
    unit = serializers.ChoiceField(
        choices=Goal.Unit.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="A goal measured by hand (a metric goal without metric_name): what its value "
        "counts; manual entries outside the unit's range are refused.",
    )
    baseline_value = value_field(required=False, allow_null=True)
    target_value = value_field(required=False, allow_null=True)
    stretch_target_value = value_field(required=False, allow_null=True)
    task_count_target = StrictInteger(
        required=False, allow_null=True, min_value=1, max_value=100000
    )
    weight = weight_field(required=False)
    visibility = serializers.ChoiceField(
        choices=Goal.Visibility.choices, required=False, default=Goal.Visibility.PUBLIC
    )
    show_in_leaderboard = StrictBoolean(required=False, default=True)
    milestones = MilestoneInputSerializer(many=True, required=False, max_length=200)

    def validate(self, attrs):
        user = attrs.get("user")
        owner_type = attrs.get("owner_type")
        if owner_type == "individual" and user is None:
            raise serializers.ValidationError({"user": ["An individual goal needs its user."]})
        if owner_type == "team" and user is not None:
            raise serializers.ValidationError(
                {"user": ["A team goal has no user: leave it out, or say owner_type individual."]}
            )
        if attrs.get("team") is None and user is None:
            raise serializers.ValidationError({"team": ["This field is required."]})
        return attrs

    def service_arguments(self) -> dict:
        """The validated body as goals.services.goal_create's arguments (parent excepted)."""
        data = dict(self.validated_data)
        data.pop("owner_type", None)
        renamed = {
            "user": "owner",
            "metric_name": "metric_key",
            "target_direction": "direction",
            "baseline_value": "baseline",
            "target_value": "target",
            "stretch_target_value": "stretch_target",
            "task_count_target": "task_target",
        }
        return {renamed.get(key, key): value for key, value in data.items()}


class GoalUpdateSerializer(StrictInput):
    """PATCH a goal. Changing target_value, stretch_target_value, baseline_value or weight is an
    adjustment and needs a `reason`."""

    name = name_field(required=False)
    description = TextField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    objective = id_field(
        required=False,
        allow_null=True,
        help_text="Re-align a team goal (null: to no objective); the move is audited.",
    )
    target_direction = serializers.ChoiceField(choices=Goal.Direction.choices, required=False)
    maintain_side = serializers.ChoiceField(choices=Goal.Side.choices, required=False)
    unit = serializers.ChoiceField(choices=Goal.Unit.choices, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Goal.Visibility.choices, required=False)
    show_in_leaderboard = StrictBoolean(required=False)
    baseline_value = value_field(required=False, allow_null=True)
    target_value = value_field(required=False, allow_null=True)
    stretch_target_value = value_field(required=False, allow_null=True)
    task_count_target = StrictInteger(
        required=False, allow_null=True, min_value=1, max_value=100000
    )
    weight = weight_field(required=False)
    reason = TextField(required=False, allow_blank=False, max_length=2000)

    def validate(self, attrs):
        adjusted = [f for f in ADJUSTED_FIELDS if f in attrs]
        if adjusted and not attrs.get("reason", "").strip():
            raise serializers.ValidationError(
                {"reason": [f"A reason is required to change {', '.join(adjusted)}."]}
            )
        return attrs

    def service_arguments(self) -> dict:
        data = dict(self.validated_data)
        renamed = {
            "target_direction": "direction",
            "baseline_value": "baseline",
            "target_value": "target",
            "stretch_target_value": "stretch_target",
            "task_count_target": "task_target",
        }
        return {renamed.get(key, key): value for key, value in data.items()}


class GoalFilterSerializer(NoBlankParameters, serializers.Serializer):
    """Query parameters of the goal list."""

    period = id_field(required=False)
    team = id_field(required=False)
    user = id_field(required=False, help_text="The owner of individual goals.")
    owner_type = serializers.ChoiceField(choices=["team", "individual"], required=False)
    goal_type = serializers.ChoiceField(choices=Goal.Type.choices, required=False)
    status = serializers.ChoiceField(choices=Goal.Status.choices, required=False)

    def filter(self, goals):
        data = dict(self.validated_data)
        owner_type = data.pop("owner_type", None)
        if owner_type is not None:
            goals = goals.filter(owner__isnull=owner_type == "team")
        lookups = {
            "period": "period_id",
            "team": "team_id",
            "user": "owner_id",
            "goal_type": "goal_type",
            "status": "status",
        }
        return goals.filter(Q(**{lookups[key]: value for key, value in data.items()}))


class HistoryFilterSerializer(NoBlankParameters, serializers.Serializer):
    from_ = serializers.DateField(required=False, help_text="First day (inclusive), ISO date.")
    to = serializers.DateField(required=False, help_text="Last day (inclusive), ISO date.")

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword: the field is declared as from_ and exposed as `from`.
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": ["`to` must not be before `from`."]})
        return attrs


class ProgressSerializer(serializers.ModelSerializer):
    goal = serializers.IntegerField(source="pk")
    baseline_value = serializers.DecimalField(**VALUE, source="baseline", allow_null=True)
    target_value = serializers.DecimalField(**VALUE, source="target", allow_null=True)
    stretch_target_value = serializers.DecimalField(
        **VALUE, source="stretch_target", allow_null=True
    )
    progress_percentage = serializers.DecimalField(**VALUE, source="progress", allow_null=True)
    expected_progress_percentage = serializers.DecimalField(
        **VALUE, source="expected_progress", allow_null=True
    )
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Goal
        fields = [
            "goal",
            "current_value",
            "baseline_value",
            "target_value",
            "stretch_target_value",
            "progress_percentage",
            "expected_progress_percentage",
            "status",
            "status_label",
            "forecast_value",
            "forecast_low",
            "forecast_high",
            "forecast_target_probability",
            "forecast_stretch_probability",
            "last_calculated_at",
        ]
        read_only_fields = fields


class ManualEntryInputSerializer(StrictInput):
    """Manual progress for a goal without a calculator: its current value, a number of tasks
    done, or milestones ticked as done."""

    current_value = value_field(required=False, allow_null=True)
    tasks_done = StrictInteger(required=False, allow_null=True, min_value=0, max_value=100000)
    milestones_done = serializers.ListField(child=id_field(), required=False, max_length=200)
    note = TextField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs):
        if (
            attrs.get("current_value") is None
            and attrs.get("tasks_done") is None
            and not attrs.get("milestones_done")
        ):
            raise serializers.ValidationError(
                {"current_value": ["Give a value, a number of tasks done or milestones done."]}
            )
        return attrs


class HistorySerializer(serializers.ModelSerializer):
    progress_percentage = serializers.DecimalField(**VALUE, source="progress", allow_null=True)
    expected_progress_percentage = serializers.DecimalField(
        **VALUE, source="expected_progress", allow_null=True
    )

    class Meta:
        model = ProgressHistory
        fields = [
            "as_of",
            "value",
            "progress_percentage",
            "expected_progress_percentage",
            "status",
            "recorded_at",
        ]
        read_only_fields = fields


class ContributionSerializer(serializers.ModelSerializer):
    """A member's share of a team metric goal. `individual_goal` is the member's own goal under
    it, given only when the viewer may see that goal."""

    goal_name = serializers.CharField(source="goal.name")
    user = serializers.IntegerField(source="member_id")
    user_name = serializers.CharField(source="member.__str__")
    individual_goal = serializers.SerializerMethodField()
    user_value = serializers.DecimalField(**VALUE, source="member_value", allow_null=True)

    class Meta:
        model = ContributionSnapshot
        fields = [
            "goal",
            "goal_name",
            "user",
            "user_name",
            "individual_goal",
            "as_of",
            "points",
            "share",
            "user_value",
            "numerator",
            "denominator",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_individual_goal(self, snapshot: ContributionSnapshot) -> int | None:
        visible = self.context.get("visible_goal_ids", set())
        return snapshot.individual_goal_id if snapshot.individual_goal_id in visible else None
