from django.contrib import admin

from weibao.customers.models import Component, Contract, Environment, PrepaidHoursEntry, System


class PrepaidInline(admin.TabularInline):
    model = PrepaidHoursEntry
    extra = 0
    readonly_fields = ("hours", "reason", "reference", "created_at")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "organisation", "start_date", "end_date", "warranty_end", "free_maintenance_end", "service_level", "prepaid_hours")
    list_filter = ("service_level", "organisation")
    search_fields = ("number", "title", "organisation__name")
    autocomplete_fields = ("organisation",)
    inlines = [PrepaidInline]


class EnvironmentInline(admin.TabularInline):
    model = Environment
    extra = 0


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "organisation", "stage", "responsible_team")
    list_filter = ("stage", "organisation", "responsible_team")
    search_fields = ("name", "code", "organisation__name")
    filter_horizontal = ("contracts",)
    inlines = [EnvironmentInline, ComponentInline]
