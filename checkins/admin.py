"""Django admin for check-ins, support requests and weekly email records."""

from django.contrib import admin

from .models import CheckIn, DigestDelivery, SupportRequest


class SupportRequestInline(admin.TabularInline):
    model = SupportRequest
    extra = 0
    fields = ["requester", "addressee", "message", "status", "reply"]
    raw_id_fields = ["requester", "addressee"]
    show_change_link = True


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["goal", "user", "week_start", "confidence", "has_blocker", "updated_at"]
    list_filter = ["week_start", "confidence", "goal__team", "goal__period"]
    search_fields = ["goal__name", "user__email", "user__name", "note", "blockers"]
    date_hierarchy = "week_start"
    raw_id_fields = ["goal", "user", "blocker_acknowledged_by"]
    list_select_related = ["goal", "user"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [SupportRequestInline]

    @admin.display(boolean=True, description="blocker")
    def has_blocker(self, obj: CheckIn) -> bool:
        return obj.has_blocker


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = [
        "goal",
        "requester",
        "addressee",
        "status",
        "created_at",
        "resolved_at",
        "email_failed_at",
    ]
    list_filter = ["status", "goal__team", ("email_failed_at", admin.EmptyFieldListFilter)]
    search_fields = ["goal__name", "requester__email", "message", "reply"]
    raw_id_fields = ["goal", "checkin", "requester", "addressee", "replied_by", "resolved_by"]
    list_select_related = ["goal", "requester", "addressee"]
    readonly_fields = [
        "created_at",
        "acknowledged_at",
        "resolved_at",
        "email_error",
        "email_failed_at",
    ]


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    """A record of what was sent; deleting a row lets the next run send that email again."""

    list_display = ["user", "kind", "week_start", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status", "week_start"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["claimed_at", "attempts", "sent_at", "last_error", "created_at"]
