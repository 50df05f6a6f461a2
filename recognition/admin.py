from django import forms
from django.contrib import admin

from .badges import BADGE_CHOICES
from .models import (
    Achievement,
    AchievementCredit,
    BadgeAward,
    BadgeSetting,
    Celebration,
    Notification,
    PeriodSummary,
)


class AchievementCreditInline(admin.TabularInline):
    model = AchievementCredit
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    list_display = ["goal", "kind", "milestone", "achieved_at", "acknowledged_at"]
    list_filter = ["kind", "goal__period", "goal__team"]
    search_fields = ["goal__name", "milestone__name"]
    list_select_related = ["goal", "milestone"]
    raw_id_fields = ["goal", "milestone", "acknowledged_by"]
    inlines = [AchievementCreditInline]


@admin.register(Celebration)
class CelebrationAdmin(admin.ModelAdmin):
    list_display = ["achievement", "user", "message", "created_at"]
    list_select_related = ["achievement__goal", "user"]
    raw_id_fields = ["achievement", "user"]


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


@admin.register(BadgeAward)
class BadgeAwardAdmin(admin.ModelAdmin):
    list_display = ["user", "badge", "scope", "earned_on", "reason"]
    list_filter = ["badge"]
    search_fields = ["user__email", "user__name", "reason"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "period", "goal"]


class BadgeSettingForm(forms.ModelForm):
    badge = forms.ChoiceField(choices=BADGE_CHOICES)

    class Meta:
        model = BadgeSetting
        fields = ["badge", "enabled"]


@admin.register(BadgeSetting)
class BadgeSettingAdmin(admin.ModelAdmin):
    """Switch a badge of the catalogue off (a badge without a row here is on)."""

    form = BadgeSettingForm
    list_display = ["badge_name", "badge", "enabled"]
    list_editable = ["enabled"]

    @admin.display(description="Badge")
    def badge_name(self, setting):
        return dict(BADGE_CHOICES).get(setting.badge, setting.badge)


@admin.register(PeriodSummary)
class PeriodSummaryAdmin(admin.ModelAdmin):
    list_display = ["team", "period", "built_at", "emailed_at"]
    list_filter = ["period"]
    list_select_related = ["team", "period"]
    readonly_fields = ["data", "built_at", "emailed_at"]
    actions = ["rebuild"]

    @admin.action(description="Rebuild the selected summaries")
    def rebuild(self, request, queryset):
        from .summaries import period_summary_build

        for summary in queryset.select_related("team", "period"):
            period_summary_build(period=summary.period, team=summary.team)
        self.message_user(request, f"Rebuilt {queryset.count()} summaries.")
