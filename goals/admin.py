"""Django admin for periods, goals (with guardian's object permissions) and manual entries.

Admins may purge a goal here (the pages archive one that has history). Target, stretch, baseline,
task count and weight are read-only on an existing goal: changing them is an adjustment, which
needs a reason and leaves an audit row, so it goes through the goal page's Adjust form.
"""

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import Adjustment, Goal, GoalPeriod, ManualEntry, Milestone, ProgressHistory
from .serializers import ADJUSTED_FIELDS


@admin.register(GoalPeriod)
class GoalPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "period_type", "start", "end", "status"]
    list_filter = ["period_type", "status"]
    search_fields = ["name"]
    date_hierarchy = "start"


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["order", "name", "weight", "due_date", "done_at"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProgressHistoryInline(ReadOnlyInline):
    model = ProgressHistory
    fields = ["as_of", "value", "progress", "expected_progress", "status", "recorded_at"]
    readonly_fields = fields
    ordering = ["-recorded_at"]


class AdjustmentInline(ReadOnlyInline):
    model = Adjustment
    fields = ["changed_at", "changed_by", "field", "old_value", "new_value", "reason"]
    readonly_fields = fields


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", "Active goals"), ("yes", "Archived goals")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


@admin.register(Goal)
class GoalAdmin(GuardedModelAdmin):
    list_display = [
        "name",
        "period",
        "team",
        "owner",
        "goal_type",
        "visibility",
        "status",
        "progress",
        "archived_at",
    ]
    list_filter = ["period", "team", "status", "goal_type", "visibility", ArchivedFilter]
    search_fields = ["name", "owner__email", "owner__name", "team__name"]
    list_select_related = ["period", "team", "owner"]
    autocomplete_fields = ["owner"]
    raw_id_fields = ["parent", "carried_from"]
    inlines = [MilestoneInline, AdjustmentInline, ProgressHistoryInline]
    readonly_fields = [
        "current_value",
        "progress",
        "expected_progress",
        "status",
        "forecast_value",
        "forecast_low",
        "forecast_high",
        "forecast_target_probability",
        "forecast_stretch_probability",
        "last_calculated_at",
        "calc_version",
        "created_by",
        "created_at",
        "updated_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += [*ADJUSTED_FIELDS, "period"]
        return fields

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ManualEntry)
class ManualEntryAdmin(admin.ModelAdmin):
    list_display = ["goal", "value", "tasks_done", "created_by", "created_at"]
    list_filter = ["goal__period", "goal__team", "goal__status", "goal__goal_type"]
    search_fields = ["goal__name", "note", "created_by__email"]
    list_select_related = ["goal", "created_by"]
    raw_id_fields = ["goal"]
    readonly_fields = ["created_by", "created_at"]
