"""Django admin: notifications (failed emails findable) and users' notification settings."""

from django.contrib import admin

from .models import Notification, NotificationSettings


class EmailFailedFilter(admin.SimpleListFilter):
    title = "email"
    parameter_name = "email"

    def lookups(self, request, model_admin):
        return [("failed", "Failed after its retries"), ("retrying", "Failed, being retried")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(email_failed_at__isnull=False)
        if self.value() == "retrying":
            return queryset.filter(email_failed_at__isnull=True, email_attempts__gt=0)
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Failed emails are listed with "email: failed after its retries" and their last error."""

    list_display = [
        "user",
        "kind",
        "title",
        "created_at",
        "read_at",
        "emailed_at",
        "email_failed_at",
        "email_error",
    ]
    list_filter = ["kind", EmailFailedFilter]
    search_fields = ["user__email", "title"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "goal"]
    readonly_fields = ["email_attempts", "email_error", "email_failed_at"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "weekly_digest", "updated_at"]
    list_filter = ["weekly_digest"]
    search_fields = ["user__email", "user__name"]
    raw_id_fields = ["user"]
