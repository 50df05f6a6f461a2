"""Goal periods, objectives, goals, milestones, manual progress, history, contributions and
adjustments."""

import unicodedata
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from goals_project.people.models import Team

VALUE = {"max_digits": 18, "decimal_places": 4}
# Periods fall inside this century: earlier or later dates are typing slips, and the first day
# of the calendar has no "same period last year".
PERIOD_EARLIEST = date(2000, 1, 1)
PERIOD_LATEST = date(2099, 12, 31)


def one_line_error(name: str, what: str) -> str | None:
    """Why `name` is not one line of text, or None. Names become email subjects and headings:
    a line break or another control character would make the email fail to send."""
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in name):
        return f"{what} is one line: no line breaks, tabs or other control characters."
    return None


class GoalPeriod(models.Model):
    class Type(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        ANNUAL = "annual", "Annual"

    class Status(models.TextChoices):
        PLANNING = "planning", "Planning"
        ACTIVE = "active", "Active"
        # Stored as "completed" (the API's and the imports' word); shown as "Closed".
        COMPLETED = "completed", "Closed"

    name = models.CharField(max_length=100)
    period_type = models.CharField("type", max_length=10, choices=Type.choices)
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNING)
    # When the period went live (its draft goals took their baselines) and when it was closed
    # (its goals' final values, statuses and grades were frozen).
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start", "period_type"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="period_end_after_start",
                violation_error_message="The end date must be after the start date.",
            ),
            models.UniqueConstraint(
                fields=["period_type", "start"], name="period_unique_type_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The rules every surface applies (admin, page form, API through the services): a
        name, an end after the start, and no overlap with another period of the same type.
        On PostgreSQL an exclusion constraint (migration 0005) also holds the last rule."""
        errors: dict[str, str] = {}
        if not (self.name or "").strip():
            errors["name"] = "A period needs a name."
        elif one_line_error(self.name.strip(), "A period's name"):
            errors["name"] = one_line_error(self.name.strip(), "A period's name")
        for field_name in ("start", "end"):
            day = getattr(self, field_name)
            if day and not PERIOD_EARLIEST <= day <= PERIOD_LATEST:
                errors[field_name] = (
                    f"{day} is out of range: periods fall between {PERIOD_EARLIEST} and "
                    f"{PERIOD_LATEST}."
                )
        if self.period_type not in self.Type.values:
            errors["period_type"] = (
                f"Unknown period type {self.period_type!r}: use monthly, quarterly or annual."
            )
        if self.start and self.end and self.end <= self.start and "end" not in errors:
            errors["end"] = "The end date must be after the start date."
        if not errors and self.start and self.end:
            overlapping = (
                GoalPeriod.objects.filter(
                    period_type=self.period_type, start__lte=self.end, end__gte=self.start
                )
                .exclude(pk=self.pk)
                .order_by("start")
                .first()
            )
            if overlapping is not None:
                errors["start"] = (
                    f"These dates overlap the {overlapping.get_period_type_display().lower()} "
                    f"period {overlapping.name} ({overlapping.start} to {overlapping.end}); "
                    "periods of one type never overlap."
                )
        if errors:
            raise ValidationError(errors)


class Goal(models.Model):
    class Type(models.TextChoices):
        METRIC = "metric", "Metric"
        TASK = "task", "Task"
        MILESTONE = "milestone", "Milestone"

    class Direction(models.TextChoices):
        INCREASE = "increase", "Increase"
        DECREASE = "decrease", "Decrease"
        MAINTAIN = "maintain", "Maintain"

    class Side(models.TextChoices):
        FLOOR = "floor", "At or above the target (a floor)"
        CEILING = "ceiling", "At or below the target (a ceiling)"

    class Unit(models.TextChoices):
        """What a goal measured by hand counts; its range bounds the entries (see RANGES)."""

        COUNT = "count", "Count"
        DAYS = "days", "Days"
        PERCENT = "percent", "Percent"
        CURRENCY = "currency", "Currency"
        SCORE = "score", "Score"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        PRIVATE = "private", "Private"

    class Status(models.TextChoices):
        EXCEEDED = "exceeded", "Exceeded"
        ACHIEVED = "achieved", "Achieved"
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        BEHIND = "behind", "Behind"
        NO_DATA = "no_data", "No data"

    class FinalStatus(models.TextChoices):
        """Where a goal ended when its period closed."""

        EXCEEDED = "exceeded", "Exceeded"
        ACHIEVED = "achieved", "Achieved"
        MISSED = "missed", "Missed"
        NO_DATA = "no_data", "No data"

    # The owner, period and carried_from look-ups use the composite indexes in Meta (their
    # leading column), so these keys get no index of their own: fewer indexes to write.
    period = models.ForeignKey(
        GoalPeriod, on_delete=models.PROTECT, related_name="goals", db_index=False
    )
    # Every goal belongs to a team; an individual goal also has an owner (a member of that team).
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="goals")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_goals",
        help_text="Empty for a team goal.",
        db_index=False,
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    # A team goal serves an objective of its period (individual goals follow their team goal).
    objective = models.ForeignKey(
        "Objective",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="aligned_goals",
    )
    # The goal of an earlier period this one was carried over from (carry-over copies once).
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
        db_index=False,
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    goal_type = models.CharField("type", max_length=10, choices=Type.choices)
    metric_key = models.CharField(max_length=40, blank=True)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INCREASE
    )
    maintain_side = models.CharField(
        "keeps",
        max_length=10,
        choices=Side.choices,
        default=Side.FLOOR,
        help_text="For a maintain goal: the side of the target the value must stay on.",
    )
    unit = models.CharField(
        max_length=10,
        choices=Unit.choices,
        blank=True,
        help_text="For a goal measured by hand: what its value counts (bounds the entries).",
    )
    baseline = models.DecimalField(**VALUE, null=True, blank=True)
    target = models.DecimalField(**VALUE, null=True, blank=True)
    stretch_target = models.DecimalField(**VALUE, null=True, blank=True)
    task_target = models.PositiveIntegerField(null=True, blank=True)
    weight = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    show_in_leaderboard = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    # Calculated state, written only by the recalculation service. None of these columns is
    # indexed and, on PostgreSQL, goals_goal leaves 30% of each page free (migration 0003),
    # so rewriting them is a heap-only (HOT) update that touches no index.
    current_value = models.DecimalField(**VALUE, null=True, blank=True)
    progress = models.DecimalField(**VALUE, null=True, blank=True)
    expected_progress = models.DecimalField(**VALUE, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NO_DATA)
    forecast_value = models.DecimalField(**VALUE, null=True, blank=True)
    forecast_low = models.DecimalField(**VALUE, null=True, blank=True)
    forecast_high = models.DecimalField(**VALUE, null=True, blank=True)
    forecast_target_probability = models.DecimalField(**VALUE, null=True, blank=True)
    forecast_stretch_probability = models.DecimalField(**VALUE, null=True, blank=True)
    last_calculated_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every recalculation write: a conditional UPDATE on it prevents lost updates.
    calc_version = models.PositiveIntegerField(default=0)

    # Frozen when the period closes (goals/closing.py); afterwards only an admin's audited
    # correction changes them. `final_grade` is the OKR grade 0..1 (the share of the way from
    # baseline to target, capped at 1); `final_stretch_grade` the same towards the stretch target.
    final_value = models.DecimalField(**VALUE, null=True, blank=True)
    final_status = models.CharField(max_length=10, choices=FinalStatus.choices, blank=True)
    final_grade = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    final_stretch_grade = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_comment = models.TextField(blank=True)
    closing_comment_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closing_comment_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["period", "team", "owner", "name"]
        permissions = [("share_goal", "Can share goal")]
        indexes = [
            models.Index(fields=["period", "team"]),
            models.Index(fields=["owner", "period"]),
            models.Index(fields=["metric_key"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="goal_weight_positive"),
            models.UniqueConstraint(
                fields=["carried_from", "period"],
                condition=Q(carried_from__isnull=False),
                name="goal_carried_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_team_goal(self) -> bool:
        return self.owner_id is None

    @property
    def is_closed(self) -> bool:
        """Frozen by its period's close: read-only but for an admin's audited correction."""
        return self.closed_at is not None


class GoalTemplate(models.Model):
    """A common CS goal to start from: the new-goal form opens pre-filled with these fields."""

    class CascadeRule(models.TextChoices):
        SAME_TARGET = "same_target", "Each member aims at the team's target"
        SPLIT_COUNT = "split_count", "The count is split across members by their share"
        SAME_MILESTONES = "same_milestones", "Everyone gets the milestones"
        TEAM_ONLY = "team_only", "Kept as a team goal, not cascaded"

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    goal_type = models.CharField("type", max_length=10, choices=Goal.Type.choices)
    metric_key = models.CharField(max_length=40, blank=True)
    direction = models.CharField(
        max_length=10, choices=Goal.Direction.choices, default=Goal.Direction.INCREASE
    )
    maintain_side = models.CharField(
        "keeps", max_length=10, choices=Goal.Side.choices, default=Goal.Side.FLOOR
    )
    unit = models.CharField(max_length=10, choices=Goal.Unit.choices, blank=True)
    target = models.DecimalField(**VALUE, null=True, blank=True)
    stretch_target = models.DecimalField("suggested stretch", **VALUE, null=True, blank=True)
    task_target = models.PositiveIntegerField(null=True, blank=True)
    milestones = models.JSONField(
        default=list, blank=True, help_text="Names of the milestones a milestone goal starts with."
    )
    cascade_rule = models.CharField(max_length=20, choices=CascadeRule.choices)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Objective(models.Model):
    """A qualitative aim for a period ("Grow our enterprise base without losing logos"), at
    company level (no team) or for one team. Team goals of the same period align to it; its
    progress is the weighted roll-up of theirs (goals.objectives)."""

    period = models.ForeignKey(GoalPeriod, on_delete=models.PROTECT, related_name="objectives")
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objectives",
        help_text="Empty for a company objective.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="owned_objectives"
    )
    visibility = models.CharField(
        max_length=10,
        choices=Goal.Visibility.choices,
        default=Goal.Visibility.PUBLIC,
        help_text="A private objective is seen by its owners, its team's leads and admins.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["period", "team", "name"]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=200)
    weight = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    due_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["goal", "order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="milestone_weight_positive")
        ]

    def __str__(self) -> str:
        return self.name


class ManualEntry(models.Model):
    """A value or a count of tasks done, entered by hand for a goal without a calculator."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="manual_entries")
    value = models.DecimalField(**VALUE, null=True, blank=True)
    tasks_done = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "manual entries"

    def __str__(self) -> str:
        return f"{self.goal_id} entry {self.created_at:%Y-%m-%d}"


class ProgressHistory(models.Model):
    # Indexed by the (goal, ...) indexes in Meta.
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="history", db_index=False)
    as_of = models.DateField(help_text="The day the value describes.")
    value = models.DecimalField(**VALUE, null=True, blank=True)
    progress = models.DecimalField(**VALUE, null=True, blank=True)
    expected_progress = models.DecimalField(**VALUE, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Goal.Status.choices)
    recorded_at = models.DateTimeField()
    # The goal's calc_version this row was written with: unique, so a race cannot double a row.
    calc_version = models.PositiveIntegerField()

    class Meta:
        ordering = ["goal", "recorded_at", "pk"]
        verbose_name_plural = "progress history"
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "calc_version"], name="history_one_row_per_version"
            )
        ]
        indexes = [
            # A goal's daily series (the latest row of each day) straight from the index: the
            # recalculation's forecast and the charts read it without visiting the table.
            models.Index(
                fields=["goal", "as_of", "-calc_version"],
                include=["value"],
                name="history_goal_day_latest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.goal_id} on {self.as_of}: {self.value}"


class ContributionSnapshot(models.Model):
    """A member's share of a team metric goal's value at one recalculation."""

    # Indexed by the unique (goal, member, as_of) constraint.
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="contributions", db_index=False
    )
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    individual_goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    as_of = models.DateField()
    points = models.DecimalField(**VALUE, null=True, blank=True)
    share = models.DecimalField(
        **VALUE, null=True, blank=True, help_text="Weight in the team, 0..1"
    )
    numerator = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    member_value = models.DecimalField(**VALUE, null=True, blank=True)

    class Meta:
        ordering = ["goal", "as_of", "-points"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "member", "as_of"], name="contribution_one_per_member_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.goal_id}: {self.points}"


class Adjustment(models.Model):
    """Audit of a change to target, stretch, baseline, weight or dates: one row per field."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="adjustments")
    field = models.CharField(max_length=40)
    old_value = models.CharField(max_length=100, blank=True)
    new_value = models.CharField(max_length=100, blank=True)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} -> {self.new_value}"


class PendingRecalculation(models.Model):
    """A goal waiting for the next coalesced recalculation run (one row per goal)."""

    goal = models.OneToOneField(
        Goal, on_delete=models.CASCADE, primary_key=True, related_name="pending_recalculation"
    )
    queued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.goal_id} queued {self.queued_at:%H:%M:%S}"


class RecalculationSchedule(models.Model):
    """When the coalesced recalculation task was enqueued and has not started yet.

    One row per queue name. A conditional UPDATE on `scheduled_at` lets only the first change of
    a burst enqueue the task; the task clears it before it claims the pending goals.
    """

    name = models.CharField(max_length=40, primary_key=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class ForecastCalibration(models.Model):
    """The org's past forecast errors for one metric, scope and tenth of the period elapsed
    (goals/forecast.py, "Calibration"): the percentiles 1..99 of (end value - central path) /
    spread, measured over the closed quarters up to `through`, and for an accumulating metric the
    share of its period-end value reached by then (its fill curve). Rebuilt when a quarter
    closes."""

    class Scope(models.TextChoices):
        TEAM = "team", "Team"
        INDIVIDUAL = "individual", "Individual"

    metric_key = models.CharField(max_length=40)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    bucket = models.PositiveSmallIntegerField(help_text="Tenth of the period elapsed, 0-9")
    drift = models.BooleanField(help_text="Whether the metric's central path follows its trend")
    quantiles = models.JSONField(help_text="Percentiles 1..99 of the standardized errors")
    fill = models.FloatField(
        null=True,
        blank=True,
        help_text="An accumulating metric's share of its period-end value reached by this tenth",
    )
    through = models.DateField(help_text="End of the latest closed period measured")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["metric_key", "scope", "bucket"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric_key", "scope", "bucket"], name="calibration_one_per_cell"
            ),
            models.CheckConstraint(condition=Q(bucket__lte=9), name="calibration_bucket_0_9"),
        ]

    def __str__(self) -> str:
        return f"{self.metric_key} {self.scope} {self.bucket}"


# django-guardian direct foreign-key permission models: object permissions on goals are joined
# in SQL instead of through generic relations (fast "goals this user may see" lists).
class GoalUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Goal, on_delete=models.CASCADE)


class GoalGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Goal, on_delete=models.CASCADE)


class AttainmentDownload(models.Model):
    """Who downloaded a period's attainment export (goals/attainment.py), when, in which form,
    for which teams, and whether it held the period's final (frozen) values."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel workbook"

    period = models.ForeignKey(GoalPeriod, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_format = models.CharField("format", max_length=4, choices=Format.choices)
    final = models.BooleanField(help_text="The closed period's frozen values (else 'as of').")
    as_of = models.DateField()
    teams = models.TextField(help_text="The teams the export held, by name.")
    downloaded_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-downloaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.period} attainment ({self.file_format}) by {self.user}"


class EarlyWarning(models.Model):
    """A goal whose forecast gave it little chance of reaching its target while its pace still
    looked fine (goals/early_warning.py): at most one per goal per week, the numbers it was
    raised on and its one-line reason."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="early_warnings")
    week_start = models.DateField(help_text="Monday of the week it was raised in")
    raised_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Goal.Status.choices)
    probability = models.DecimalField(**VALUE, help_text="Chance of reaching the target, %")
    forecast_value = models.DecimalField(**VALUE)
    target = models.DecimalField(**VALUE)
    reason = models.TextField(help_text="The one line: where the trend lands and why")

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "week_start"], name="early_warning_once_a_week")
        ]

    def __str__(self) -> str:
        return f"Early warning on {self.goal} ({self.week_start})"
