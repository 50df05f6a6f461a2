"""Django admin for periods, objectives, goals (with guardian's object permissions) and manual
entries.

Admins may purge a goal here (the pages archive one that has history). Target, stretch, baseline,
task count and weight are read-only on an existing goal: changing them is an adjustment, which
needs a reason and leaves an audit row, so it goes through the goal page's Adjust form.
"""

import copy

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from guardian.admin import GuardedModelAdmin

from . import lifecycle, objectives, services, tasks
from .goal_templates import template_validate
from .models import (
    Adjustment,
    AttainmentDownload,
    Goal,
    GoalPeriod,
    GoalTemplate,
    ManualEntry,
    Milestone,
    Objective,
    ProgressHistory,
)
from .services import AUDITED_FIELDS


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's field errors on the admin form's fields (the rest above the form)."""
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


class GoalAdminForm(forms.ModelForm):
    """The admin's goal form checks a goal with the same service rules as the pages and API
    (the admin builds the form's Meta from GoalAdmin)."""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        goal = construct_instance(self, copy.copy(self.instance))
        try:
            services.validate_goal(goal, creating=self.instance.pk is None)
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned


class MilestoneAdminForm(forms.ModelForm):
    """A milestone's name is one line, as the pages and API require."""

    def clean(self):
        cleaned = super().clean()
        try:
            services.milestone_name_check(cleaned.get("name") or "")
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned


class ManualEntryAdminForm(forms.ModelForm):
    """A manual entry is checked by the service the pages use (a value within the unit's
    range, a task count for a task goal...)."""

    def clean(self):
        cleaned = super().clean()
        goal = cleaned.get("goal")
        if goal is not None and not self.errors:
            try:
                services.manual_entry_validate(
                    goal=goal,
                    value=cleaned.get("value"),
                    tasks_done=cleaned.get("tasks_done"),
                    note=cleaned.get("note") or "",
                )
            except ValidationError as error:
                add_service_errors(self, error)
        return cleaned


@admin.register(GoalPeriod)
class GoalPeriodAdmin(admin.ModelAdmin):
    """A period's status moves by its actions (activate, close), never by editing the field:
    activating takes the draft goals' baselines, closing freezes the goals."""

    list_display = ["name", "period_type", "start", "end", "status", "activated_at", "closed_at"]
    list_filter = ["period_type", "status"]
    search_fields = ["name"]
    date_hierarchy = "start"
    actions = ["activate_periods", "close_periods"]

    def get_readonly_fields(self, request, obj=None):
        return ["status", "activated_at", "closed_at"] if obj is not None else []

    def _run(self, request, queryset, service, done: str) -> None:
        moved = []
        for period in queryset.order_by("start"):
            try:
                moved.append(service(period=period, by=request.user).name)
            except ValidationError as error:
                for text in error.messages:
                    self.message_user(request, f"{period.name}: {text}", messages.ERROR)
        if moved:
            self.message_user(request, f"{done}: {', '.join(moved)}.", messages.SUCCESS)

    @admin.action(description="Activate: make the draft goals live (baselines taken now)")
    def activate_periods(self, request, queryset):
        self._run(request, queryset, lifecycle.period_activate, "Activated")

    @admin.action(description="Close: freeze the goals with their final values and grades")
    def close_periods(self, request, queryset):
        self._run(request, queryset, lifecycle.period_close, "Closed")


class GoalTemplateAdminForm(forms.ModelForm):
    """Templates are checked by the same rules as the API (goals.goal_templates)."""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        template = construct_instance(self, copy.copy(self.instance))
        try:
            template_validate(template)
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned


@admin.register(GoalTemplate)
class GoalTemplateAdmin(admin.ModelAdmin):
    form = GoalTemplateAdminForm
    list_display = ["name", "goal_type", "metric_key", "direction", "target", "cascade_rule"]
    list_filter = ["goal_type", "cascade_rule"]
    search_fields = ["name", "description"]


class ObjectiveAdminForm(forms.ModelForm):
    """An objective is checked with the services' rules (a one-line name, owners of its team,
    an open period), as on the API."""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        objective = construct_instance(self, copy.copy(self.instance))
        try:
            objectives.objective_validate(
                objective=objective, owners=list(cleaned.get("owners") or [])
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    form = ObjectiveAdminForm
    list_display = ["name", "period", "level", "visibility", "archived_at"]
    list_filter = ["period", "team", "visibility"]
    search_fields = ["name", "description", "team__name"]
    list_select_related = ["period", "team"]
    autocomplete_fields = ["owners"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    @admin.display(description="level", ordering="team__name")
    def level(self, objective: Objective) -> str:
        return "Company" if objective.team_id is None else f"Team: {objective.team}"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["period", "team"]  # its goals are aligned to them
        return fields

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    form = MilestoneAdminForm
    extra = 0
    fields = ["order", "name", "weight", "due_date", "done_at"]

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.is_closed) and super().has_change_permission(
            request, obj
        )

    def has_add_permission(self, request, obj=None):
        return not (obj is not None and obj.is_closed) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.is_closed) and super().has_delete_permission(
            request, obj
        )


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
    form = GoalAdminForm
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
    raw_id_fields = ["parent", "carried_from", "objective"]
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
        "final_value",
        "final_status",
        "final_grade",
        "final_stretch_grade",
        "closed_at",
        "closing_comment",
        "closing_comment_by",
        "closing_comment_at",
        "created_by",
        "created_at",
        "updated_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += list(AUDITED_FIELDS)
        if obj is not None and obj.is_closed:
            # Frozen: corrected only on the goal's closing page, with a reason.
            fields = [f.name for f in Goal._meta.concrete_fields if f.name != "id"]
        return fields

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        moved_to = obj.objective
        if change and "objective" in form.changed_data:
            # The move goes through the service, which audits it like the pages do.
            obj.objective_id = form.initial.get("objective")
        super().save_model(request, obj, form, change)
        if change and "objective" in form.changed_data:
            services.goal_update(
                goal=obj, by=request.user, reason="Changed in the admin.", objective=moved_to
            )
        # Calculated at once (after the admin's transaction, milestones included), not at the
        # next safety-net run; a new metric goal also gets its history from the period start.
        backfill = not change and obj.goal_type == Goal.Type.METRIC and bool(obj.metric_key)
        tasks.enqueue_recalculation([obj.pk], backfill=backfill)


@admin.register(ManualEntry)
class ManualEntryAdmin(admin.ModelAdmin):
    list_display = ["goal", "value", "tasks_done", "created_by", "created_at"]
    list_filter = ["goal__period", "goal__team", "goal__status", "goal__goal_type"]
    search_fields = ["goal__name", "note", "created_by__email"]
    list_select_related = ["goal", "created_by"]
    raw_id_fields = ["goal"]
    readonly_fields = ["created_by", "created_at"]
    form = ManualEntryAdminForm

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            tasks.enqueue_recalculation([obj.goal_id])
            return
        entry = services.manual_entry_add(
            goal=obj.goal,
            by=request.user,
            value=obj.value,
            tasks_done=obj.tasks_done,
            note=obj.note,
        )
        obj.pk, obj.created_by, obj.created_at = entry.pk, entry.created_by, entry.created_at


@admin.register(AttainmentDownload)
class AttainmentDownloadAdmin(admin.ModelAdmin):
    """Who downloaded which period's attainment, when: a record, not something to edit."""

    list_display = ["downloaded_at", "user", "period", "file_format", "final", "as_of", "teams"]
    list_filter = ["file_format", "final", "period"]
    search_fields = ["user__email", "user__name", "period__name", "teams"]
    date_hierarchy = "downloaded_at"
    list_select_related = ["user", "period"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
