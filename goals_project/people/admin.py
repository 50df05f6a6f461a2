from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count

from .models import Membership, Team, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class UserMembershipInline(admin.StackedInline):
    model = Membership
    extra = 0
    max_num = 1
    can_delete = True


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    ordering = ["email"]
    list_display = ["email", "name", "team_name", "role", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "membership__team", "membership__role"]
    search_fields = ["email", "name", "membership__team__name"]
    list_select_related = ["membership__team"]
    inlines = [UserMembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),
    )

    @admin.display(description="Team", ordering="membership__team__name")
    def team_name(self, user):
        membership = getattr(user, "membership", None)
        return membership.team.name if membership else "—"

    @admin.display(description="Role", ordering="membership__role")
    def role(self, user):
        membership = getattr(user, "membership", None)
        return membership.get_role_display() if membership else "—"


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name", "memberships__user__email"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(members=Count("memberships"))

    @admin.display(description="Members", ordering="members")
    def member_count(self, team):
        return team.members


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "joined_at"]
    list_filter = ["team", "role"]
    search_fields = ["user__email", "user__name", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]
