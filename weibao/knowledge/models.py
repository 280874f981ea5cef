"""Knowledge articles: categories, revisions, review events, attachments, feedback, FAQ digests, deflection."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import Organisation
from weibao.core.models import PublicIdModel, TimeStamped
from weibao.customers.models import System
from weibao.knowledge.states import ArticleStatus


class Category(TimeStamped):
    name = models.CharField(_("名称"), max_length=100)
    slug = models.SlugField(_("代码"), max_length=60, unique=True)
    parent = models.ForeignKey("self", verbose_name=_("上级分类"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("知识分类")
        verbose_name_plural = _("知识分类")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Audience(models.TextChoices):
    PUBLIC = "public", _("公开")
    ORGS = "orgs", _("指定客户")
    INTERNAL = "internal", _("仅内部")


class Article(PublicIdModel):
    title = models.CharField(_("标题"), max_length=200)
    summary = models.CharField(_("摘要"), max_length=500, blank=True)
    body = models.TextField(_("正文"))
    category = models.ForeignKey(Category, verbose_name=_("分类"), null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    tags = models.CharField(_("标签"), max_length=300, blank=True, help_text=_("逗号分隔"))
    systems = models.ManyToManyField(System, verbose_name=_("适用系统"), blank=True, related_name="articles")
    versions = models.CharField(_("适用版本"), max_length=200, blank=True)
    audience = models.CharField(_("可见范围"), max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    organisations = models.ManyToManyField(Organisation, verbose_name=_("可见客户"), blank=True, related_name="articles")
    status = models.CharField(_("状态"), max_length=20, default=ArticleStatus.DRAFT, editable=False,
                              choices=[(s.value, s.value) for s in ArticleStatus])
    is_faq = models.BooleanField(_("常见问题"), default=False)
    source_ticket_id = models.BigIntegerField(_("来源请求"), null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("作者"), null=True, on_delete=models.SET_NULL, related_name="+")
    revision = models.PositiveIntegerField(_("版本号"), default=1, editable=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False)
    view_count = models.PositiveIntegerField(_("浏览次数"), default=0, editable=False)
    helpful_count = models.PositiveIntegerField(default=0, editable=False)
    unhelpful_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("知识文章")
        verbose_name_plural = _("知识文章")
        indexes = [models.Index(fields=["status", "audience", "-published_at"], name="article_portal_idx")]

    def __str__(self) -> str:
        return self.title

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.replace("，", ",").split(",") if t.strip()]


class ArticleRevision(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="article_revision_unique")]


class ArticleEvent(models.Model):
    """Append-only history of an article; each row also goes to the outbox (topic article.event)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["article", "id"]


def article_attachment_path(instance: ArticleAttachment, filename: str) -> str:
    return f"knowledge/{instance.article.public_id}/{instance.sha256[:16]}/{filename}"


class ArticleAttachment(PublicIdModel):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=article_attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")


class ArticleFeedback(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]


class SuggestionSession(models.Model):
    """One request being written on the portal: which suggestions were opened, and whether it was sent.

    Opened and never sent (after a grace period) counts as deflected: the customer found the answer.
    """

    token = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    query = models.CharField(max_length=500, blank=True)
    opened = models.JSONField(default=list)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["first_opened_at"], name="suggestion_opened_idx")]


class FaqDigestSubscription(TimeStamped):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="faq_digest")
    active = models.BooleanField(default=True)


class FaqDigest(models.Model):
    """One per month: the articles it carried and to how many people it went (idempotent by period)."""

    period = models.DateField(unique=True, help_text="first day of the month covered")
    article_ids = models.JSONField(default=list)
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
