from django.contrib import admin

from weibao.knowledge.models import Article, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent", "order")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Read-mostly: edits and status changes go through the staff pages (services keep revisions and events)."""

    list_display = ("title", "status", "audience", "is_faq", "view_count", "published_at")
    list_filter = ("status", "audience", "is_faq", "category")
    search_fields = ("title",)
    readonly_fields = [f.name for f in Article._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
