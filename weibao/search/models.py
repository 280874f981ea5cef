"""The search index rows and the administrators' dictionary.

`SearchDocument` holds what a hit shows (title, the text snippets come from) and what filters and
tenancy need; the words themselves live in the backend's full-text structure (an FTS5 table on SQLite,
a `tsv` column with a GIN index on PostgreSQL), both created by migration 0001 for their database only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("公开")
    ORGS = "orgs", _("指定客户")
    STAFF = "staff", _("仅内部")


class SearchDocument(models.Model):
    kind = models.CharField(max_length=20)  # "article" | "ticket"
    ref_id = models.BigIntegerField()
    # one source object may give several documents: "main", "internal" (staff-only notes), "att:<id>"
    part = models.CharField(max_length=40, default="main")
    public_id = models.CharField(max_length=24)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    # ",3,7," — the organisations that may read a document of visibility "orgs"
    org_ids = models.CharField(max_length=1000, blank=True, default="")
    organisation_id = models.BigIntegerField(null=True, blank=True)
    system_ids = models.CharField(max_length=1000, blank=True, default="")
    status = models.CharField(max_length=30, blank=True)
    subtype = models.CharField(max_length=30, blank=True)
    label = models.CharField(max_length=40, blank=True)  # e.g. the ticket number shown next to the title
    source_created_at = models.DateTimeField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "ref_id", "part"], name="search_doc_unique")]
        indexes = [models.Index(fields=["kind", "ref_id"], name="search_doc_ref_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref_id}:{self.part}"


class WordKind(models.TextChoices):
    PRODUCT = "product", _("产品")
    SYSTEM = "system", _("系统")
    DEPARTMENT = "department", _("部门")
    OTHER = "other", _("其他")


class UserWord(models.Model):
    """A word jieba must keep whole (e.g. 政务数据共享交换平台), edited by administrators."""

    word = models.CharField(_("词"), max_length=60, unique=True)
    kind = models.CharField(_("类别"), max_length=20, choices=WordKind.choices, default=WordKind.OTHER)
    freq = models.PositiveIntegerField(_("词频"), null=True, blank=True, help_text=_("留空则自动计算"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("搜索词典词条")
        verbose_name_plural = _("搜索词典")
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


class ExtractedText(models.Model):
    """Text pulled out of an attachment, kept by content hash so a file is parsed once, not at every reindex."""

    sha256 = models.CharField(max_length=64, unique=True)
    text = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    extracted_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.sha256
