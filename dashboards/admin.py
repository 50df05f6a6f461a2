from django.contrib import admin

from .models import DashboardView, LeaderboardSetting


@admin.register(LeaderboardSetting)
class LeaderboardSettingAdmin(admin.ModelAdmin):
    list_display = ["team", "enabled", "ranks_by", "metric_key", "updated_at"]
    list_filter = ["enabled", "ranks_by"]


@admin.register(DashboardView)
class DashboardViewAdmin(admin.ModelAdmin):
    list_display = ["user", "page", "viewed_at"]
    list_filter = ["page"]
    date_hierarchy = "viewed_at"
    raw_id_fields = ["user"]
