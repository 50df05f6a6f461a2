"""Customer data (the "platform data") that the metric calculators read.

Money is Decimal end to end. Each model's natural key (the import table in DESIGN.md) is a unique
constraint, so a re-import updates rather than duplicates.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Customer(models.Model):
    external_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    csm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="customers",
        help_text="The CSM who owns the account.",
    )
    segment = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["csm"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


class ArrRecord(models.Model):
    """ARR of a customer from effective_date on, until its next record (0 once churned)."""

    # The unique constraint's index starts with customer and serves its lookups. On PostgreSQL
    # it also carries arr (migration 0006): a customer's ARR on a date is read from the index
    # alone, without visiting the table.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="arr_records", db_index=False
    )
    effective_date = models.DateField()
    arr = models.DecimalField(max_digits=14, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer", "effective_date"]
        verbose_name = "ARR record"
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "effective_date"], name="arr_one_record_per_customer_day"
            ),
            models.CheckConstraint(condition=Q(arr__gte=0), name="arr_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.effective_date}: {self.arr}"


class Renewal(models.Model):
    class Outcome(models.TextChoices):
        RENEWED = "renewed", "Renewed"
        CHURNED = "churned", "Churned"
        PENDING = "pending", "Pending"

    # The unique constraint's index starts with customer and serves its lookups.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="renewals", db_index=False
    )
    due_date = models.DateField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    arr_before = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    arr_after = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "due_date"], name="renewal_one_per_due_date"
            )
        ]
        # The renewal rate reads the renewals due in a window from this index alone (PostgreSQL
        # carries the customer in it; SQLite builds the same index without it).
        indexes = [
            models.Index(
                fields=["due_date", "outcome"], include=["customer"], name="renewal_due_outcome"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} due {self.due_date}: {self.outcome}"


class NpsResponse(models.Model):
    # The unique constraint's index starts with customer and serves its lookups.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="nps_responses", db_index=False
    )
    respondent = models.CharField(max_length=200)
    responded_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(
        blank=True, db_default="", help_text="What the respondent wrote, if anything."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["responded_at"]
        verbose_name = "NPS response"
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "respondent", "responded_at"], name="nps_one_response_per_key"
            ),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=10), name="nps_score_0_10"),
        ]
        # NPS reads the responses of a window from this index alone (PostgreSQL carries the
        # customer and score in it; SQLite builds the same index without them).
        indexes = [
            models.Index(
                fields=["responded_at"], include=["customer", "score"], name="nps_responded"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.respondent}: {self.score}"


class Qbr(models.Model):
    # The unique constraint's index starts with customer and serves its lookups.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="qbrs", db_index=False
    )
    scheduled_date = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_date"]
        verbose_name = "QBR"
        verbose_name_plural = "QBRs"
        constraints = [
            models.UniqueConstraint(fields=["customer", "scheduled_date"], name="qbr_one_per_date")
        ]
        # QBR completion asks, per active customer, whether a QBR was completed in a quarter:
        # one look into this index, without reading the table.
        indexes = [models.Index(fields=["customer", "completed_at"], name="qbr_customer_completed")]

    def __str__(self) -> str:
        return f"{self.customer_id} QBR {self.scheduled_date}"


class ImportJob(models.Model):
    """A CSV file uploaded in admin and imported by a background task (metrics/uploads.py): its
    status, and at the end its counts or its row errors. The file is kept until it has been
    imported. While it runs, the task's progress lives in the cache (the import's write is one
    transaction, which no other session could see into)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        REFUSED = "refused", "Refused: nothing was imported"
        FAILED = "failed", "Failed: nothing was imported"

    kind = models.CharField(max_length=20)
    file_name = models.CharField(max_length=255)
    data = models.BinaryField(help_text="The uploaded file, emptied once it has been imported.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    messages = models.JSONField(
        default=list, help_text="The row errors (the first 50, then how many more), or the failure"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.file_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED)
