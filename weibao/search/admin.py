from django.contrib import admin

from weibao.search.models import UserWord


@admin.register(UserWord)
class UserWordAdmin(admin.ModelAdmin):
    list_display = ("word", "kind", "freq", "updated_at")
    list_filter = ("kind",)
    search_fields = ("word",)
    readonly_fields = ("created_by",)
