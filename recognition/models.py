"""Achievements, celebrations, badges and period-end summaries.

"Exactly once" is enforced by unique constraints; the services insert with ON CONFLICT DO NOTHING
so a second or concurrent recalculation cannot double a row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from goals.models import VALUE, Goal, GoalPeriod, Milestone
from goals_project.people.models import Team


class Achievement(models.Model):
    class Kind(models.TextChoices):
        ACHIEVED = "achieved", "Target reached"
        EXCEEDED = "exceeded", "Stretch target reached"
        MILESTONE = "milestone", "Milestone completed"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="achievements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="achievements"
    )
    achieved_at = models.DateTimeField()
    value = models.DecimalField(**VALUE, null=True, blank=True, help_text="Goal value then.")
    credited = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="AchievementCredit", related_name="achievements"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set when the goal went back below what this achievement marks before its period closed
    # (a data correction): it leaves the feed and lists, and kudos on it close. Cleared when
    # the goal crosses again.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # When the people credited were last told about it (reached, withdrawn or reached again):
    # a goal flapping across its target tells them at most once a day.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-achieved_at", "-pk"]
        indexes = [models.Index(fields=["achieved_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "kind"],
                condition=Q(milestone__isnull=True),
                name="achievement_once_per_goal_kind",
            ),
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(milestone__isnull=False),
                name="achievement_once_per_milestone",
            ),
            models.CheckConstraint(
                condition=(Q(kind="milestone") & Q(milestone__isnull=False))
                | (~Q(kind="milestone") & Q(milestone__isnull=True)),
                name="achievement_milestone_iff_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.goal}"


class AchievementCredit(models.Model):
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="credits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["achievement", "user"], name="credit_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} credited on {self.achievement_id}"


class Celebration(models.Model):
    """A teammate's kudos on an achievement: one per person."""

    achievement = models.ForeignKey(
        Achievement, on_delete=models.CASCADE, related_name="celebrations"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=140, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["achievement", "user"], name="celebration_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} celebrated {self.achievement_id}"


class AchievementSeen(models.Model):
    """The first time a user saw a win in a celebration feed (later views do not animate it)."""

    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["achievement", "user"], name="seen_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.achievement_id}"


class BadgeAward(models.Model):
    """A badge earned by a person; scope tells repeatable badges apart (e.g. one per period)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badge_awards"
    )
    badge = models.CharField(max_length=40)
    scope = models.CharField(max_length=60, blank=True)
    reason = models.CharField(max_length=300)
    # The goal the reason names, and the reason for a reader who may not see it.
    goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    neutral_reason = models.CharField(max_length=300, blank=True)
    earned_on = models.DateField()
    period = models.ForeignKey(
        GoalPeriod, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    awarded_at = models.DateTimeField()

    class Meta:
        ordering = ["-earned_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "badge", "scope"], name="badge_award_once_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.badge} for {self.user_id}"


class BadgeSetting(models.Model):
    """Admins switch a badge of the catalogue off here; a badge without a row is on."""

    badge = models.CharField(max_length=40, unique=True)
    enabled = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.badge}: {'on' if self.enabled else 'off'}"


class PeriodSummary(models.Model):
    """A team's period-end summary, built from stored data only so a rebuild gives the same."""

    period = models.ForeignKey(GoalPeriod, on_delete=models.CASCADE, related_name="summaries")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="period_summaries")
    data = models.JSONField()
    built_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period__start", "team__name"]
        verbose_name_plural = "period summaries"
        constraints = [
            models.UniqueConstraint(fields=["period", "team"], name="summary_once_per_team_period")
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.period}"
