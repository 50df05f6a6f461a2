from django import forms
from django.contrib import admin

from .badges import BADGE_CHOICES
from .models import (
    Achievement,
    AchievementCredit,
    BadgeAward,
    BadgeSetting,
    Celebration,
    PeriodSummary,
)
from .summaries import period_summary_build


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
        for summary in queryset.select_related("team", "period"):
            period_summary_build(period=summary.period, team=summary.team)
        self.message_user(request, f"Rebuilt {queryset.count()} summaries.")
