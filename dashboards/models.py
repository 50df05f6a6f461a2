"""Per-team leaderboard settings and a cheap log of dashboard views (for program health)."""

from django.conf import settings
from django.db import models

from goals_project.people.models import Team


class LeaderboardSetting(models.Model):
    """A team lead's choice: whether the team has a leaderboard and what it ranks."""

    class RanksBy(models.TextChoices):
        PROGRESS = "progress", "Progress on comparable individual goals"
        CONTRIBUTION = "contribution", "Contribution points to team goals"

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="leaderboard_setting")
    enabled = models.BooleanField(default=False)
    ranks_by = models.CharField(max_length=12, choices=RanksBy.choices, default=RanksBy.PROGRESS)
    metric_key = models.CharField(
        max_length=40,
        blank=True,
        help_text="The metric whose goals are compared; empty means the team's most common one.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"{self.team} leaderboard ({state}, {self.ranks_by})"


class DashboardView(models.Model):
    """One row per page view of a dashboard page: a single insert, read weekly by /health/."""

    class Page(models.TextChoices):
        TEAM = "team", "Team dashboard"
        INDIVIDUAL = "individual", "Individual view"
        GOAL = "goal", "Goal detail"
        LEADERBOARD = "leaderboard", "Leaderboard"
        HEALTH = "health", "Program health"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.CharField(max_length=12, choices=Page.choices)
    viewed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-viewed_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.page} {self.viewed_at:%Y-%m-%d %H:%M}"
