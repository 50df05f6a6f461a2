"""Forms of the goal pages. They check shape and choices; the services check the business rules
and answer with field errors, which the views put back on these forms."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from goals_project.people.models import Team, User
from metrics.registry import METRICS

from .models import VALUE, Goal, GoalPeriod

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ADJUSTABLE = ("baseline", "target", "stretch_target", "task_target", "weight")


def value_field(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, **VALUE, **kwargs)


def weight_field(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        initial=Decimal("1"),
        help_text="How much this goal counts in its parent's progress.",
        **kwargs,
    )


def metric_choices() -> list[tuple[str, str]]:
    return [("", "Choose a metric")] + [(key, m.label) for key, m in METRICS.items()]


class PeriodForm(forms.Form):
    name = forms.CharField(max_length=100)
    period_type = forms.ChoiceField(label="Type", choices=GoalPeriod.Type.choices)
    start = forms.DateField(widget=DATE_INPUT)
    end = forms.DateField(widget=DATE_INPUT)
    status = forms.ChoiceField(choices=GoalPeriod.Status.choices)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] <= cleaned["start"]:
            self.add_error("end", "The end date must be after the start date.")
        return cleaned


class GoalForm(forms.Form):
    """Create a goal. The fields shown follow the type: a metric and its target values, a count
    of tasks, or a list of milestones (a formset beside this form)."""

    period = forms.ModelChoiceField(queryset=GoalPeriod.objects.none())
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="The whole team (a team goal)",
        help_text="Leave empty for a team goal; choose a member for an individual goal.",
    )
    parent = forms.ModelChoiceField(
        queryset=Goal.objects.none(),
        required=False,
        label="Cascades from",
        empty_label="No parent goal",
        help_text="A team goal of the same period this goal contributes to.",
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    goal_type = forms.ChoiceField(label="Type", choices=Goal.Type.choices)
    metric_key = forms.ChoiceField(label="Metric", choices=metric_choices, required=False)
    direction = forms.ChoiceField(choices=Goal.Direction.choices, initial=Goal.Direction.INCREASE)
    baseline = value_field("Baseline", help_text="Where the goal starts from.")
    target = value_field("Target")
    stretch_target = value_field("Stretch target", help_text="Optional: an ambitious mark.")
    task_target = forms.IntegerField(
        label="Number of tasks", min_value=1, max_value=100000, required=False
    )
    weight = weight_field()
    visibility = forms.ChoiceField(
        choices=Goal.Visibility.choices,
        initial=Goal.Visibility.PUBLIC,
        help_text="A private goal is seen by its owner, the team's leads, admins and whom you "
        "share it with.",
    )
    show_in_leaderboard = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, periods, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods
        self.fields["team"].queryset = teams
        team_id = self.data.get("team") if self.is_bound else self.initial.get("team")
        team_id = str(getattr(team_id, "pk", team_id) or "")
        if not team_id and teams.count() == 1:
            team_id = str(teams.first().pk)
            self.initial.setdefault("team", team_id)
        if team_id.isdigit():
            self.fields["owner"].queryset = User.objects.filter(
                membership__team_id=team_id, is_active=True
            ).order_by("name", "email")
            self.fields["parent"].queryset = Goal.objects.filter(
                team_id=team_id, owner__isnull=True, archived_at__isnull=True
            ).select_related("period")

    def clean(self):
        cleaned = super().clean()
        goal_type = cleaned.get("goal_type")
        if goal_type == Goal.Type.METRIC:
            if not cleaned.get("metric_key"):
                self.add_error("metric_key", "Choose the metric this goal tracks.")
            if cleaned.get("target") is None:
                self.add_error("target", "A metric goal needs a target.")
        elif goal_type == Goal.Type.TASK and not cleaned.get("task_target"):
            self.add_error("task_target", "Say how many tasks make the goal.")
        return cleaned


class GoalEditForm(forms.Form):
    """What can change on a goal without an adjustment (no reason needed)."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    direction = forms.ChoiceField(choices=Goal.Direction.choices)
    visibility = forms.ChoiceField(choices=Goal.Visibility.choices)
    show_in_leaderboard = forms.BooleanField(required=False)


class MilestoneForm(forms.Form):
    name = forms.CharField(max_length=200)
    weight = forms.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0.01"), initial=Decimal("1")
    )
    due_date = forms.DateField(required=False, widget=DATE_INPUT)


class BaseMilestoneFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]
        if not kept:
            raise ValidationError("A milestone goal needs at least one milestone.")

    def milestones(self) -> list[dict]:
        """The kept milestones in the order chosen (ORDER field), without the formset keys."""
        kept = [f for f in self.ordered_forms if f.cleaned_data]
        return [
            {k: f.cleaned_data[k] for k in ("name", "weight", "due_date")}
            for f in kept
            if not self._should_delete_form(f)
        ]


MilestoneFormSet = forms.formset_factory(
    MilestoneForm, formset=BaseMilestoneFormSet, extra=0, can_delete=True, can_order=True
)


class AdjustForm(forms.Form):
    """Change target, stretch, baseline, task count or weight; the reason is required."""

    baseline = value_field("Baseline")
    target = value_field("Target")
    stretch_target = value_field("Stretch target")
    task_target = forms.IntegerField(
        label="Number of tasks", min_value=1, max_value=100000, required=False
    )
    weight = weight_field(required=False)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the goal changes; it is kept in the goal's adjustment history.",
        error_messages={"required": "Give a reason for the adjustment."},
    )

    def __init__(self, *args, goal: Goal, **kwargs):
        initial = {field: getattr(goal, field) for field in ADJUSTABLE}
        super().__init__(*args, initial=initial, **kwargs)
        self.goal = goal
        if goal.goal_type == Goal.Type.TASK:
            for field in ("baseline", "target", "stretch_target"):
                del self.fields[field]
        else:
            del self.fields["task_target"]

    def changes(self) -> dict:
        """The adjustable fields whose value differs from the goal's."""
        return {
            field: self.cleaned_data[field]
            for field in ADJUSTABLE
            if field in self.fields and self.cleaned_data.get(field) != getattr(self.goal, field)
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.changes():
            raise ValidationError("Nothing changes: edit at least one value.")
        return cleaned


class ManualEntryForm(forms.Form):
    value = value_field("Current value")
    tasks_done = forms.IntegerField(
        label="Tasks done so far", min_value=0, max_value=100000, required=False
    )
    note = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args, goal: Goal, **kwargs):
        super().__init__(*args, **kwargs)
        if goal.goal_type == Goal.Type.TASK:
            del self.fields["value"]
        else:
            del self.fields["tasks_done"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("value") is None and cleaned.get("tasks_done") is None and not self.errors:
            field = "tasks_done" if "tasks_done" in self.fields else "value"
            self.add_error(field, "Enter the progress to record.")
        return cleaned


class ShareForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("name"),
        required=False,
        label="A person",
    )
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, label="A team")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("user") and not cleaned.get("team"):
            raise ValidationError("Choose a person or a team to share with.")
        return cleaned


class CarryOverForm(forms.Form):
    target_period = forms.ModelChoiceField(
        queryset=GoalPeriod.objects.none(), label="Into period", empty_label=None
    )

    def __init__(self, *args, source: GoalPeriod, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_period"].queryset = GoalPeriod.objects.filter(
            period_type=source.period_type, start__gt=source.start
        ).order_by("start")
