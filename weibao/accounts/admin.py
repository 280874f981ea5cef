from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import ApiToken, Contact, Organisation, Team, TeamMembership, User


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "phone", "email", "position", "user", "language", "is_active")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "phone", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name", "code", "email_domains")
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "phone", "email", "position", "is_active")
    list_filter = ("organisation", "is_active")
    search_fields = ("name", "phone", "email")
    autocomplete_fields = ("organisation", "user")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "email", "role", "organisation", "totp_enabled", "is_active")
    list_filter = ("role", "organisation", "is_active", "totp_enabled", "mfa_required")
    search_fields = ("username", "display_name", "email", "phone")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "email", "phone", "language", "timezone")}),
        (_("角色"), {"fields": ("role", "organisation", "is_active")}),
        (_("两步验证"), {"fields": ("mfa_required", "totp_enabled")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "role", "organisation", "password1", "password2")}),
    )
    readonly_fields = ("totp_enabled",)


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lead")
    search_fields = ("name",)
    inlines = [TeamMembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope",)
    readonly_fields = ("user", "name", "prefix", "scope", "last_used_at", "key_hash")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # tokens are made by their owner, who alone sees the secret once
