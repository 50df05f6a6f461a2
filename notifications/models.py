"""In-app notifications (with the state of their email) and each user's notification choices.

Both tables predate this app (recognition kept the notifications, checkins the settings): the
models keep their tables, so moving them here moved no data.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from goals.mentions import text_for_reader
from goals.models import Goal

from . import kinds


class Delivery(models.TextChoices):
    IMMEDIATE = kinds.IMMEDIATE, "Immediately"
    DIGEST = kinds.DIGEST, "In the weekly digest only"
    OFF = kinds.OFF, "Off"


class Notification(models.Model):
    """One notification for one user. Its kind is registered by the app that sends it
    (notifications.kinds)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=kinds.kind_choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # A notification that names a goal keeps a neutral form of its texts ("a private team
    # goal") for a reader who may not see the goal (goals.mentions); empty when it names none.
    goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    neutral_title = models.CharField(max_length=200, blank=True)
    neutral_body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    # The link for a neutral reader: empty when `url` leads to the goal or its win.
    neutral_url = models.CharField(max_length=300, blank=True)
    # What the kind's own email needs (ids of the sending app's objects), set by notify().
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # Set by the conditional UPDATE that claims the email, so a retried task sends it once.
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Failed sends: each is retried with backoff; the last error is kept, and when the retries
    # are spent `email_failed_at` says so (Django admin lists them).
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)
    email_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recognition_notification"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(fields=["user", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        """The title for its reader: `goal_visible` is annotated by the reads that show it
        (notifications.selectors); without it the neutral form is shown."""
        return text_for_reader(
            self.title, self.neutral_title, goal_id=self.goal_id, visible=self._goal_visible
        )

    @property
    def shown_body(self) -> str:
        return text_for_reader(
            self.body, self.neutral_body, goal_id=self.goal_id, visible=self._goal_visible
        )

    @property
    def shown_url(self) -> str:
        return (
            text_for_reader(
                self.url, self.neutral_url, goal_id=self.goal_id, visible=self._goal_visible
            )
            if self.neutral_title
            else self.url
        )

    @property
    def _goal_visible(self) -> bool:
        return bool(getattr(self, "goal_visible", False))


class NotificationSettings(models.Model):
    """A user's notification choices: one delivery per kind (missing kinds use the kind's
    default) and whether the weekly digest is sent at all."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_settings",
    )
    weekly_digest = models.BooleanField(default=True)
    deliveries = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "checkins_notificationsettings"
        verbose_name = "notification settings"
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notification settings of {self.user}"
