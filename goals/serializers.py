"""API representations of periods, goals, progress, history and contributions.

Serializers validate shape and types only; the business rules (overlapping periods, who may own
a goal, reasons for adjustments) live in goals.services and answer with field errors.
"""

from decimal import Decimal

from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from goals_project.people.models import Team, User

from .models import (
    VALUE,
    Adjustment,
    ContributionSnapshot,
    Goal,
    GoalPeriod,
    Milestone,
    ProgressHistory,
)

# Fields whose change is an adjustment: it needs a reason and leaves an audit row.
ADJUSTED_FIELDS = ("target", "stretch_target", "baseline", "weight")
PRIVATE_GOAL = "Private goal"
# The largest id the database stores (64-bit keys): larger numbers are refused, not overflowed.
MAX_ID = 2**63 - 1


class TextField(serializers.CharField):
    """A string, and only a string: DRF's CharField would turn 0 or 1.5 into "0" and "1.5"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class DecimalText(serializers.DecimalField):
    """A decimal sent as a string ("104.5"), as the API sends them: a JSON number would pass
    through binary floating point on many clients before it reaches us."""

    default_error_messages = {"not_text": 'Send the number as a string, e.g. "104.5".'}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class NoBlankParameters:
    """Query parameters given empty (`?type=`) are refused rather than silently ignored."""

    def validate(self, attrs):
        blank = [name for name in self.fields if self.initial_data.get(name) == ""]
        if blank:
            raise serializers.ValidationError(
                {name: ["Give a value, or leave the parameter out."] for name in blank}
            )
        return super().validate(attrs)


def value_field(**kwargs) -> serializers.DecimalField:
    return DecimalText(**VALUE, **kwargs)


class GoalPeriodSerializer(serializers.ModelSerializer):
    name = TextField(max_length=100)
    type = serializers.ChoiceField(source="period_type", choices=GoalPeriod.Type.choices)

    class Meta:
        model = GoalPeriod
        fields = ["id", "name", "type", "start", "end", "status"]
        read_only_fields = ["id"]
        # The service checks overlaps (which covers the unique start) with a clearer message.
        validators = []


class GoalPeriodUpdateSerializer(serializers.Serializer):
    """PATCH a period: every field optional. Moving the dates of a period that has goals needs a
    reason (each goal gets an adjustment row)."""

    name = TextField(max_length=100, required=False)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=GoalPeriod.Status.choices, required=False)
    reason = TextField(required=False, allow_blank=True, max_length=2000)


class MilestoneSerializer(serializers.ModelSerializer):
    done = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = ["id", "name", "weight", "due_date", "done", "done_at", "order"]

    def get_done(self, milestone: Milestone) -> bool:
        return milestone.done_at is not None


class MilestoneInputSerializer(serializers.Serializer):
    name = TextField(max_length=200)
    weight = DecimalText(max_digits=8, decimal_places=2, min_value=Decimal("0.01"), required=False)
    due_date = serializers.DateField(required=False, allow_null=True)


class UserBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name", "email"]


class GoalSerializer(serializers.ModelSerializer):
    """A goal as the viewer may see it: a parent the viewer may not see shows as a private goal,
    without its id, name or numbers."""

    type = serializers.CharField(source="goal_type")
    period_name = serializers.CharField(source="period.name")
    team_name = serializers.CharField(source="team.name")
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    owner_name = serializers.SerializerMethodField()
    parent = serializers.SerializerMethodField()
    parent_name = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display")
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
            "owner",
            "owner_name",
            "parent",
            "parent_name",
            "name",
            "description",
            "type",
            "metric_key",
            "direction",
            "maintain_side",
            "unit",
            "baseline",
            "target",
            "stretch_target",
            "task_target",
            "weight",
            "visibility",
            "show_in_leaderboard",
            "current_value",
            "progress",
            "expected_progress",
            "status",
            "status_label",
            "last_calculated_at",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        read_only_fields = fields

    def _parent_visible(self, goal: Goal) -> bool:
        if goal.parent_id is None:
            return False
        visible = getattr(goal, "parent_visible", None)
        if visible is None:
            from .access import can_view_goal

            visible = goal.parent is not None and can_view_goal(
                self.context["request"].user, goal.parent
            )
        return bool(visible)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_parent(self, goal: Goal) -> int | None:
        return goal.parent_id if self._parent_visible(goal) else None

    def get_parent_name(self, goal: Goal) -> str | None:
        if goal.parent_id is None:
            return None
        return goal.parent.name if self._parent_visible(goal) else PRIVATE_GOAL

    def get_owner_name(self, goal: Goal) -> str | None:
        return str(goal.owner) if goal.owner_id else None

    def get_url(self, goal: Goal) -> str:
        return f"/api/goals/{goal.pk}/"


class GoalDetailSerializer(GoalSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(GoalSerializer.Meta):
        fields = [*GoalSerializer.Meta.fields, "milestones"]
        read_only_fields = fields


class GoalCreateSerializer(serializers.Serializer):
    """A new goal. Leave `owner` empty for a team goal; an individual goal's owner must be on
    the team."""

    period = serializers.PrimaryKeyRelatedField(queryset=GoalPeriod.objects.all())
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    parent = id_field(required=False, allow_null=True)
    name = TextField(max_length=200)
    description = TextField(required=False, allow_blank=True, default="")
    type = serializers.ChoiceField(choices=Goal.Type.choices)
    metric_key = TextField(max_length=40, required=False, allow_blank=True, default="")
    direction = serializers.ChoiceField(
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
        help_text="A goal measured by hand (a metric goal without metric_key): what its value "
        "counts; manual entries outside the unit's range are refused.",
    )
    baseline = value_field(required=False, allow_null=True)
    target = value_field(required=False, allow_null=True)
    stretch_target = value_field(required=False, allow_null=True)
    task_target = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=100000
    )
    weight = DecimalText(max_digits=8, decimal_places=2, min_value=Decimal("0.01"), required=False)
    visibility = serializers.ChoiceField(
        choices=Goal.Visibility.choices, required=False, default=Goal.Visibility.PUBLIC
    )
    show_in_leaderboard = serializers.BooleanField(required=False, default=True)
    milestones = MilestoneInputSerializer(many=True, required=False)


class GoalUpdateSerializer(serializers.Serializer):
    """PATCH a goal. Changing target, stretch_target, baseline or weight is an adjustment and
    needs a `reason`."""

    name = TextField(max_length=200, required=False)
    description = TextField(required=False, allow_blank=True)
    direction = serializers.ChoiceField(choices=Goal.Direction.choices, required=False)
    maintain_side = serializers.ChoiceField(choices=Goal.Side.choices, required=False)
    unit = serializers.ChoiceField(choices=Goal.Unit.choices, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Goal.Visibility.choices, required=False)
    show_in_leaderboard = serializers.BooleanField(required=False)
    baseline = value_field(required=False, allow_null=True)
    target = value_field(required=False, allow_null=True)
    stretch_target = value_field(required=False, allow_null=True)
    task_target = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=100000
    )
    weight = DecimalText(max_digits=8, decimal_places=2, min_value=Decimal("0.01"), required=False)
    reason = TextField(required=False, allow_blank=False, max_length=2000)

    def validate(self, attrs):
        adjusted = [f for f in ADJUSTED_FIELDS if f in attrs]
        if adjusted and not attrs.get("reason", "").strip():
            raise serializers.ValidationError(
                {"reason": [f"A reason is required to change {', '.join(adjusted)}."]}
            )
        return attrs


class GoalFilterSerializer(NoBlankParameters, serializers.Serializer):
    """Query parameters of the goal list."""

    period = id_field(required=False)
    team = id_field(required=False)
    owner = id_field(required=False)
    type = serializers.ChoiceField(choices=Goal.Type.choices, required=False)
    status = serializers.ChoiceField(choices=Goal.Status.choices, required=False)

    def filter(self, goals):
        data = self.validated_data
        lookups = {
            "period": "period_id",
            "team": "team_id",
            "owner": "owner_id",
            "type": "goal_type",
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
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Goal
        fields = [
            "goal",
            "current_value",
            "baseline",
            "target",
            "stretch_target",
            "progress",
            "expected_progress",
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


class ManualEntryInputSerializer(serializers.Serializer):
    """Manual progress for a goal without a calculator: a value, a number of tasks done, or
    milestones ticked as done."""

    value = value_field(required=False, allow_null=True)
    tasks_done = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100000
    )
    milestones_done = serializers.ListField(child=id_field(), required=False, max_length=200)
    note = TextField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs):
        if (
            attrs.get("value") is None
            and attrs.get("tasks_done") is None
            and not attrs.get("milestones_done")
        ):
            raise serializers.ValidationError(
                {"value": ["Give a value, a number of tasks done or milestones done."]}
            )
        return attrs


class HistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressHistory
        fields = ["as_of", "value", "progress", "expected_progress", "status", "recorded_at"]
        read_only_fields = fields


class ContributionSerializer(serializers.ModelSerializer):
    goal_name = serializers.CharField(source="goal.name")
    member_name = serializers.CharField(source="member.__str__")

    class Meta:
        model = ContributionSnapshot
        fields = [
            "goal",
            "goal_name",
            "member",
            "member_name",
            "individual_goal",
            "as_of",
            "points",
            "share",
            "member_value",
            "numerator",
            "denominator",
        ]
        read_only_fields = fields


class AdjustmentSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.__str__", allow_null=True)

    class Meta:
        model = Adjustment
        fields = ["field", "old_value", "new_value", "reason", "changed_by", "changed_at"]
        read_only_fields = fields
