"""Forms of the goal pages. They check shape and choices; the services check the business rules
and answer with field errors, which the views put back on these forms."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse_lazy

from goals_project.people.access import parse_id
from goals_project.people.models import Team, User
from metrics.registry import METRICS

from .cascade import AIM_LABELS
from .models import VALUE, Goal, GoalPeriod, Objective
from .services import DESCRIPTION_MAX_LENGTH

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ADJUSTABLE = ("baseline", "target", "stretch_target", "weight", "period")


def value_field(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, **VALUE, **kwargs)


def weight_field(**kwargs) -> forms.DecimalField:
    kwargs.setdefault("initial", Decimal("1"))
    kwargs.setdefault("help_text", "How much this goal counts in its parent's progress.")
    return forms.DecimalField(max_digits=8, decimal_places=2, min_value=Decimal("0.01"), **kwargs)


def plain(value: Decimal | None) -> str | None:
    """A stored value as a person would type it: 105, not 105.0000."""
    if value is None:
        return None
    return format(value.normalize(), "f")


# The metric choice of a goal whose value is entered by hand (it states a unit instead).
MEASURED_BY_HAND = "manual"


def metric_choices() -> list[tuple[str, str]]:
    return (
        [("", "Choose a metric")]
        + [(key, m.label) for key, m in METRICS.items()]
        + [(MEASURED_BY_HAND, "None: the value is entered by hand")]
    )


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


class ClosingCommentForm(forms.Form):
    closing_comment = forms.CharField(
        label="Closing comment",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
        help_text="What happened, what we learned.",
    )


class CorrectionForm(forms.Form):
    """An admin's correction of a closed goal's final value."""

    final_value = value_field("Corrected final value")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the final value changes; kept in the goal's adjustment history.",
        error_messages={"required": "Give a reason for correcting a closed goal."},
    )


class GoalForm(forms.Form):
    """Create a goal. The fields shown follow the type: a metric and its target values, a count
    of tasks, or a list of milestones (a formset beside this form)."""

    period = forms.ModelChoiceField(queryset=GoalPeriod.objects.none(), empty_label=None)
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
    objective = forms.ModelChoiceField(
        queryset=Objective.objects.none(),
        required=False,
        label="Serves the objective",
        empty_label="No objective",
        help_text="A team goal serves a company objective or one of its team's, of its period.",
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
    )
    goal_type = forms.ChoiceField(label="Type", choices=Goal.Type.choices)
    metric_key = forms.ChoiceField(label="Metric", choices=metric_choices, required=False)
    direction = forms.ChoiceField(choices=Goal.Direction.choices, initial=Goal.Direction.INCREASE)
    maintain_side = forms.ChoiceField(
        label="A maintain goal keeps",
        choices=[("", "The metric's better side"), *Goal.Side.choices],
        required=False,
    )
    unit = forms.ChoiceField(
        label="Unit (measured by hand)",
        choices=[("", "No unit"), *Goal.Unit.choices],
        required=False,
        help_text="What the value counts; entries outside its range are refused.",
    )
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

    # Choosing one of these redraws the form's fields (htmx): owners follow the team, the
    # metric panel follows the metric, owner and period, the fields follow the type.
    REDRAWN_BY = ("period", "team", "owner", "goal_type", "metric_key")
    # The fields only one type shows. The form keeps only the chosen type's, so a browser never
    # has to send a field it was not shown (and no error can land on a field nobody sees).
    TYPE_FIELDS = {
        Goal.Type.METRIC: (
            "metric_key",
            "unit",
            "direction",
            "maintain_side",
            "baseline",
            "target",
            "stretch_target",
        ),
        Goal.Type.TASK: ("task_target",),
        Goal.Type.MILESTONE: (),
    }

    def __init__(self, *args, periods, teams, objectives=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.REDRAWN_BY:
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": reverse_lazy("goals:goal_form_fields"),
                    "hx-trigger": "change",
                    "hx-target": "#goal-fields",
                    "hx-swap": "outerHTML",
                    "hx-include": "closest form",
                }
            )
        self.fields["period"].queryset = periods
        self.fields["team"].queryset = teams
        self.goal_type = str(self["goal_type"].value() or Goal.Type.METRIC)
        for goal_type, names in self.TYPE_FIELDS.items():
            if goal_type != self.goal_type:
                for name in names:
                    self.fields.pop(name, None)
        team_id = self.data.get("team") if self.is_bound else self.initial.get("team")
        team_id = str(getattr(team_id, "pk", team_id) or "")
        if not team_id and teams.count() == 1:
            team_id = str(teams.first().pk)
            self.initial.setdefault("team", team_id)
        # Members and parent goals only of a team the user may manage: a team id typed into
        # the query string or the htmx request lists nothing of another team.
        team_pk = parse_id(team_id)
        if team_pk is not None and teams.filter(pk=team_pk).exists():
            self.fields["owner"].queryset = User.objects.filter(
                membership__team_id=team_pk, is_active=True
            ).order_by("name", "email")
            parents = Goal.objects.filter(
                team_id=team_pk, owner__isnull=True, archived_at__isnull=True
            ).select_related("period")
            period_pk = parse_id(self["period"].value())
            if period_pk is not None:
                parents = parents.filter(period_id=period_pk)
                if objectives is not None:
                    self.fields["objective"].queryset = objectives.filter(
                        Q(team__isnull=True) | Q(team_id=team_pk), period_id=period_pk
                    ).order_by("team", "name")
            self.fields["parent"].queryset = parents
        # Only a team goal serves an objective (an individual goal serves its team goal).
        if self["owner"].value() or not self.fields["objective"].queryset.exists():
            self.fields.pop("objective")

    def clean(self):
        cleaned = super().clean()
        goal_type = cleaned.get("goal_type")
        if goal_type != Goal.Type.METRIC:
            cleaned.update(metric_key="", direction=Goal.Direction.INCREASE, maintain_side="")
        by_hand = cleaned.get("metric_key") == MEASURED_BY_HAND
        if by_hand:
            cleaned["metric_key"] = ""
        else:
            cleaned["unit"] = ""  # a metric's values are in its own unit
        if goal_type == Goal.Type.METRIC:
            if not by_hand and not cleaned.get("metric_key"):
                self.add_error(
                    "metric_key",
                    "Choose the metric this goal tracks (or that its value is entered by hand).",
                )
            if cleaned.get("target") is None:
                self.add_error("target", "A metric goal needs a target.")
        elif goal_type == Goal.Type.TASK and not cleaned.get("task_target"):
            self.add_error("task_target", "Say how many tasks make the goal.")
        return cleaned


class GoalEditForm(forms.Form):
    """What can change on a goal without an adjustment (no reason needed)."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
    )
    direction = forms.ChoiceField(choices=Goal.Direction.choices)
    maintain_side = forms.ChoiceField(label="A maintain goal keeps", choices=Goal.Side.choices)
    task_target = forms.IntegerField(
        label="Number of tasks", min_value=1, max_value=100000, required=False
    )
    visibility = forms.ChoiceField(choices=Goal.Visibility.choices)
    show_in_leaderboard = forms.BooleanField(required=False)
    objective = forms.ModelChoiceField(
        queryset=Objective.objects.none(),
        required=False,
        label="Serves the objective",
        empty_label="No objective",
        help_text="Moving the goal to another objective is recorded with its adjustments.",
    )

    def __init__(self, *args, goal: Goal, objectives=None, **kwargs):
        fields = ("name", "description", "direction", "maintain_side", "task_target", "visibility")
        initial = {f: getattr(goal, f) for f in (*fields, "show_in_leaderboard", "objective")}
        super().__init__(*args, initial=initial, **kwargs)
        self.goal = goal
        if goal.owner_id is None and objectives is not None:
            self.fields["objective"].queryset = objectives.filter(
                Q(team__isnull=True) | Q(team_id=goal.team_id), period_id=goal.period_id
            ).order_by("team", "name")
        else:
            del self.fields["objective"]
        if goal.goal_type != Goal.Type.TASK:
            del self.fields["task_target"]
        else:
            self.fields["task_target"].required = True
        if goal.goal_type != Goal.Type.METRIC:
            del self.fields["direction"], self.fields["maintain_side"]

    def changes(self) -> dict:
        return {
            field: value
            for field, value in self.cleaned_data.items()
            if value != getattr(self.goal, field)
        }


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
    """Change target, stretch, baseline, weight or period; the reason is required."""

    baseline = value_field("Baseline")
    target = value_field("Target")
    stretch_target = value_field("Stretch target")
    weight = weight_field()
    period = forms.ModelChoiceField(
        queryset=GoalPeriod.objects.none(),
        empty_label=None,
        help_text="Moving a goal to another period changes its dates.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the goal changes; it is kept in the goal's adjustment history.",
        error_messages={"required": "Give a reason for the adjustment."},
    )

    def __init__(self, *args, goal: Goal, **kwargs):
        initial = {field: getattr(goal, field) for field in ADJUSTABLE}
        initial.update({f: plain(initial[f]) for f in ("baseline", "target", "stretch_target")})
        super().__init__(*args, initial=initial, **kwargs)
        self.goal = goal
        self.fields["period"].queryset = GoalPeriod.objects.filter(
            Q(pk=goal.period_id)
            | Q(period_type=goal.period.period_type, status__in=["planning", "active"])
        ).order_by("start")
        if goal.goal_type != Goal.Type.METRIC:
            for field in ("baseline", "target", "stretch_target"):
                del self.fields[field]

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


class CascadeForm(forms.Form):
    """One row per member: include?, name, aim (increase to / keep at or above...), baseline,
    target, stretch, tasks, weight. A row the suggestion cannot fill in (no data) starts
    unticked."""

    ROW_FIELDS = ("name", "aim", "baseline", "target", "stretch_target", "task_target", "weight")

    def __init__(self, *args, parent: Goal, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent = parent
        self.rows = rows
        is_task = parent.goal_type == Goal.Type.TASK
        is_metric = parent.goal_type == Goal.Type.METRIC
        for row in rows:
            p = f"m{row.member.pk}_"
            self.fields[p + "include"] = forms.BooleanField(
                required=False, initial=row.suggested, label=str(row.member)
            )
            self.fields[p + "name"] = forms.CharField(
                max_length=200, required=False, initial=f"{parent.name} — {row.member}"
            )
            if is_metric:
                # Not required: a row posted without it takes the team goal's own aim.
                self.fields[p + "aim"] = forms.ChoiceField(
                    label="Goal", choices=list(AIM_LABELS.items()), initial=row.aim, required=False
                )
                self.fields[p + "baseline"] = value_field("Baseline", initial=plain(row.baseline))
                self.fields[p + "target"] = value_field("Target", initial=plain(row.target))
                self.fields[p + "stretch_target"] = value_field(
                    "Stretch", initial=plain(row.stretch_target)
                )
            if is_task:
                self.fields[p + "task_target"] = forms.IntegerField(
                    min_value=1, max_value=100000, required=False, initial=row.task_target
                )
            self.fields[p + "weight"] = weight_field(required=False, initial=row.weight)

    def table(self):
        """Rows for the template: the member's suggestion and their bound fields."""
        for row in self.rows:
            p = f"m{row.member.pk}_"
            yield (
                row,
                {
                    name: self[p + name]
                    for name in ("include", *self.ROW_FIELDS)
                    if p + name in self.fields
                },
            )

    def chosen_rows(self) -> list[dict]:
        chosen = []
        for row in self.rows:
            p = f"m{row.member.pk}_"
            if not self.cleaned_data.get(p + "include"):
                continue
            values = {
                name: self.cleaned_data.get(p + name)
                for name in self.ROW_FIELDS
                if p + name in self.fields
            }
            values["name"] = values.get("name") or f"{self.parent.name} — {row.member}"
            chosen.append({"member": row.member, **values})
        return chosen


class CarryOverForm(forms.Form):
    target_period = forms.ModelChoiceField(
        queryset=GoalPeriod.objects.none(), label="Into period", empty_label=None
    )

    def __init__(self, *args, source: GoalPeriod, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_period"].queryset = GoalPeriod.objects.filter(
            period_type=source.period_type, start__gt=source.start
        ).order_by("start")
