"""Reads of articles on a user's path: who may read what (public / chosen customers / internal)."""

from __future__ import annotations

import difflib

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.core.errors import NotFound
from weibao.knowledge.models import Article, ArticleRevision, Audience
from weibao.knowledge.states import ArticleStatus


def article_visible_q(actor: Actor | None) -> Q | None:
    """None = no restriction (staff). Customers: published public articles and those for their organisation."""
    if access.is_staff(actor):
        return None
    published_public = Q(status=ArticleStatus.PUBLISHED, audience=Audience.PUBLIC)
    org_id = getattr(actor, "organisation_id", None) if access.is_customer(actor) else None
    if org_id:
        return published_public | Q(status=ArticleStatus.PUBLISHED, audience=Audience.ORGS, organisations__id=org_id)
    return published_public


def article_list_for(actor: Actor | None, *, status: str = "", is_faq: bool | None = None,
                     category_slug: str = "") -> QuerySet[Article]:
    qs = Article.objects.select_related("category")
    visible = article_visible_q(actor)
    if visible is not None:
        # The organisations join can repeat a row; filter by id subquery instead of distinct().
        qs = qs.filter(id__in=Article.objects.filter(visible).values("id"))
    if status:
        qs = qs.filter(status=status)
    if is_faq is not None:
        qs = qs.filter(is_faq=is_faq)
    if category_slug:
        qs = qs.filter(category__slug=category_slug)
    return qs


def article_get_for(actor: Actor | None, public_id: str) -> Article:
    article = article_list_for(actor).filter(public_id=public_id).first()
    if article is None:
        raise NotFound(_("文章不存在"))
    return article


def revision_diff(article: Article, old: int, new: int) -> list[tuple[str, str]]:
    """Line diff between two revisions as (op, line) with op in ' ', '+', '-' (difflib, whole text)."""
    revisions = {r.number: r for r in ArticleRevision.objects.filter(article=article, number__in=[old, new])}
    if old not in revisions or new not in revisions:
        raise NotFound(_("版本不存在"))
    a, b = revisions[old], revisions[new]
    left = [f"# {a.title}", *a.summary.splitlines(), "", *a.body.splitlines()]
    right = [f"# {b.title}", *b.summary.splitlines(), "", *b.body.splitlines()]
    out: list[tuple[str, str]] = []
    for line in difflib.ndiff(left, right):
        if line.startswith("? "):
            continue
        out.append((line[0], line[2:]))
    return out
