"""Weekly check-ins, support requests and the record of weekly emails."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from goals.models import VALUE, Goal

NOTE_MAX_LENGTH = 2000


class CheckIn(models.Model):
    """One person's weekly word on one goal. One row per (goal, user, ISO week): editing within
    the week updates it; the week is counted in the project's time zone."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="checkins")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    week_start = models.DateField(help_text="Monday of the ISO week, in the project's time zone.")
    note = models.TextField("progress note", blank=True)
    confidence = models.PositiveSmallIntegerField(help_text="1 (unlikely) to 5 (certain).")
    blockers = models.TextField(blank=True)
    # What was entered for a manual goal with this check-in (the goal's own value comes from
    # goals' manual entries, which the check-in service writes through the goals services).
    value = models.DecimalField(**VALUE, null=True, blank=True)
    tasks_done = models.PositiveIntegerField(null=True, blank=True)
    blocker_acknowledged_at = models.DateTimeField(null=True, blank=True)
    blocker_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week_start", "-updated_at", "-pk"]
        verbose_name = "check-in"
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "user", "week_start"],
                name="checkin_one_per_goal_user_week",
                violation_error_message="There is already a check-in for this goal this week.",
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=1, confidence__lte=5),
                name="checkin_confidence_1_to_5",
                violation_error_message="Confidence must be between 1 and 5.",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "week_start"]),
            models.Index(fields=["week_start", "goal"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.goal} (week of {self.week_start})"

    @property
    def has_blocker(self) -> bool:
        return bool(self.blockers.strip())


class SupportRequest(models.Model):
    """A request for help on a goal, addressed to the goal team's leads or to a chosen teammate."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="support_requests")
    checkin = models.ForeignKey(
        CheckIn,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_requests",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_requests_made"
    )
    addressee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_requests_received",
        help_text="Empty: addressed to the leads of the goal's team.",
    )
    message = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    reply = models.TextField(blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # An email about the request that failed after its retries (admins see it in the list).
    email_error = models.TextField(blank=True)
    email_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "acknowledged", "resolved"]),
                name="support_request_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "goal"])]

    def __str__(self) -> str:
        return f"Help on {self.goal} from {self.requester} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED


class DigestDelivery(models.Model):
    """One weekly email (digest or reminder) to one user: claimed before sending so a re-run or
    a second worker never sends it twice, and a claim left by a crashed worker can be retried."""

    class Kind(models.TextChoices):
        DIGEST = "digest", "Weekly digest"
        REMINDER = "reminder", "Check-in reminder"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries"
    )
    week_start = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DIGEST)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-week_start", "kind", "user_id"]
        verbose_name_plural = "digest deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "week_start", "kind"], name="digest_one_per_user_week_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}, week of {self.week_start}"
