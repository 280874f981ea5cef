"""Writes on articles: create, edit (a new revision), the one transition service, feedback, attachments."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.accounts.models import Organisation, User
from weibao.core import clock
from weibao.core.errors import NotFound, PermissionDenied, TooLarge, TransitionNotAllowed, ValidationFailed
from weibao.core.outbox import outbox_put
from weibao.customers.models import System
from weibao.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleEvent,
    ArticleFeedback,
    ArticleRevision,
    Audience,
    Category,
)
from weibao.knowledge.states import TRANSITIONS, ArticleStatus, allowed_transitions

TOPIC = "article.event"
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
_TEXT_FIELDS = ("title", "summary", "body")
_PLAIN_FIELDS = ("category", "tags", "versions", "audience", "is_faq")


def _event(*, article: Article, actor: Actor | None, kind: str, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, data: dict[str, Any] | None = None) -> ArticleEvent:
    event = ArticleEvent.objects.create(
        article=article, actor=actor if isinstance(actor, User) else None, kind=kind, before=before or {},
        after=after or {}, data=data or {}, created_at=clock.now(),
    )
    outbox_put(topic=TOPIC, key=str(event.id), payload={"event_id": event.id, "article_id": article.id, "kind": kind})
    return event


def _validate(*, title: str, body: str, audience: str, organisations: Iterable[Organisation]) -> None:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("标题不能为空。")]
    if len(title) > 200:
        errors["title"] = [_("标题不能超过 200 个字符。")]
    if not body.strip():
        errors["body"] = [_("正文不能为空。")]
    if audience not in Audience.values:
        errors["audience"] = [_("可选值：%(values)s。") % {"values": ", ".join(Audience.values)}]
    elif audience == Audience.ORGS and not list(organisations):
        errors["organisations"] = [_("可见范围为指定客户时，至少选择一个客户。")]
    if errors:
        raise ValidationFailed(_("文章内容不完整"), details=errors)


@transaction.atomic
def article_create(*, actor: Actor | None, title: str, body: str, summary: str = "", category: Category | None = None,
                   tags: str = "", systems: Iterable[System] = (), versions: str = "", audience: str = Audience.INTERNAL,
                   organisations: Iterable[Organisation] = (), is_faq: bool = False,
                   source_ticket_id: int | None = None) -> Article:
    access.require(access.is_staff(actor), _("只有内部人员可以编写知识文章。"))
    organisations, systems = list(organisations), list(systems)
    _validate(title=title, body=body, audience=audience, organisations=organisations)
    author = actor if isinstance(actor, User) else None
    article = Article.objects.create(
        title=title.strip(), summary=summary.strip(), body=body, category=category, tags=tags, versions=versions,
        audience=audience, is_faq=is_faq, source_ticket_id=source_ticket_id, author=author,
    )
    article.systems.set(systems)
    article.organisations.set(organisations if audience == Audience.ORGS else [])
    ArticleRevision.objects.create(article=article, number=1, title=article.title, summary=article.summary,
                                   body=body, author=author, note="创建")
    _event(article=article, actor=actor, kind="created", after={"title": article.title, "audience": audience})
    return article


@transaction.atomic
def article_update(*, actor: Actor | None, article: Article, note: str = "", systems: Iterable[System] | None = None,
                   organisations: Iterable[Organisation] | None = None, **fields: Any) -> Article:
    """Edit; a change of title, summary or body makes a new revision (the diff is between revisions)."""
    access.require(access.is_staff(actor), _("只有内部人员可以修改知识文章。"))
    unknown = set(fields) - set(_TEXT_FIELDS) - set(_PLAIN_FIELDS)
    if unknown:
        raise ValidationFailed(_("不能修改这些字段"), details={k: [_("不可修改。")] for k in sorted(unknown)})
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status == ArticleStatus.ARCHIVED:
        raise TransitionNotAllowed(_("已归档的文章不能修改，请先恢复为草稿。"), details={"allowed": allowed_transitions(article, actor)})
    orgs = list(organisations) if organisations is not None else list(article.organisations.all())
    merged = {f: fields.get(f, getattr(article, f)) for f in (*_TEXT_FIELDS, "audience")}
    _validate(title=merged["title"], body=merged["body"], audience=merged["audience"], organisations=orgs)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in fields.items():
        old = getattr(article, name)
        if old != value:
            before[name] = str(old) if name == "category" else old
            after[name] = str(value) if name == "category" else value
            setattr(article, name, value)
    if systems is not None:
        article.systems.set(list(systems))
        after["systems"] = sorted(s.id for s in article.systems.all())
    if organisations is not None or "audience" in fields:
        article.organisations.set(orgs if article.audience == Audience.ORGS else [])
        after["organisations"] = sorted(o.id for o in article.organisations.all())
    if any(f in after for f in _TEXT_FIELDS):
        article.revision += 1
        ArticleRevision.objects.create(article=article, number=article.revision, title=article.title,
                                       summary=article.summary, body=article.body,
                                       author=actor if isinstance(actor, User) else None, note=note[:300])
    if not after:
        return article
    article.save()
    _event(article=article, actor=actor, kind="updated", before={k: v for k, v in before.items() if k != "body"},
           after={k: v for k, v in after.items() if k != "body"}, data={"revision": article.revision})
    return article


@transaction.atomic
def article_transition(*, actor: Actor | None, article: Article, transition: str, note: str = "") -> Article:
    """The only way an article's status changes: guard checked on the locked, fresh row."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    spec = TRANSITIONS.get(transition)
    allowed = allowed_transitions(article, actor)
    if spec is None or article.status not in spec.sources:
        raise TransitionNotAllowed(_("当前状态（%(status)s）不能执行“%(transition)s”。") % {"status": article.status, "transition": transition}, details={"allowed": allowed})
    if not spec.guard(actor, article):
        raise PermissionDenied(_("您没有执行此操作的权限。"), details={"allowed": allowed})
    before = article.status
    article.status = spec.target
    if spec.target == ArticleStatus.PUBLISHED:
        article.published_at = clock.now()
    article.save(update_fields=["status", "published_at", "updated_at"])
    _event(article=article, actor=actor, kind="transitioned", before={"status": before}, after={"status": article.status},
           data={"transition": transition, "note": note[:500]})
    return article


def article_viewed(*, article: Article) -> None:
    # A counter, not history: an UPDATE with F() so concurrent views are not lost.
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def article_feedback_add(*, actor: Actor | None, article: Article, helpful: bool, comment: str = "") -> ArticleFeedback:
    if len(comment) > 2000:
        raise ValidationFailed(_("意见太长"), details={"comment": [_("不能超过 2000 个字符。")]})
    feedback = ArticleFeedback.objects.create(
        article=article, user=actor if isinstance(actor, User) and actor.is_authenticated else None, helpful=bool(helpful), comment=comment.strip()
    )
    counter = "helpful_count" if helpful else "unhelpful_count"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return feedback


@transaction.atomic
def article_attach(*, actor: Actor | None, article: Article, filename: str, content: bytes,
                   content_type: str = "") -> ArticleAttachment:
    access.require(access.is_staff(actor), _("只有内部人员可以上传附件。"))
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise TooLarge(_("附件太大"), details={"max_bytes": MAX_ATTACHMENT_BYTES})
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "file"
    digest = hashlib.sha256(content).hexdigest()
    attachment = ArticleAttachment(article=article, filename=name, content_type=content_type[:100], size=len(content),
                                   sha256=digest, uploaded_by=actor if isinstance(actor, User) else None)
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    _event(article=article, actor=actor, kind="attachment_added", data={"attachment": attachment.public_id, "filename": name})
    return attachment


def category_create(*, actor: Actor | None, name: str, slug: str, parent: Category | None = None) -> Category:
    access.require(access.is_staff(actor), _("只有内部人员可以管理分类。"))
    if Category.objects.filter(slug=slug).exists():
        raise ValidationFailed(_("分类代码已存在"), details={"slug": [_("已存在。")]})
    return Category.objects.create(name=name, slug=slug, parent=parent)


def organisations_by_public_id(ids: Iterable[str]) -> list[Organisation]:
    ids = list(dict.fromkeys(ids))
    found = list(Organisation.objects.filter(public_id__in=ids))
    if len(found) != len(ids):
        raise NotFound(_("客户不存在"))
    return found
