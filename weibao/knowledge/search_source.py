"""Articles as search documents, and keeping them current from article events."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from weibao.core.outbox import outbox_handler
from weibao.knowledge.models import Article, ArticleAttachment, Audience
from weibao.knowledge.states import ArticleStatus
from weibao.search.extract import attachment_text
from weibao.search.index import DocSpec, index_object, register_source
from weibao.search.models import Visibility

KIND = "article"


def _visibility(article: Article) -> tuple[str, list[int]]:
    if article.status != ArticleStatus.PUBLISHED or article.audience == Audience.INTERNAL:
        return Visibility.STAFF, []
    if article.audience == Audience.PUBLIC:
        return Visibility.PUBLIC, []
    return Visibility.ORGS, [o.id for o in article.organisations.all()]


class ArticleSource:
    kind = KIND

    def count(self) -> int:
        return Article.objects.count()

    def id_batches(self, batch_size: int) -> Iterator[list[int]]:
        last = 0
        while True:
            ids = list(Article.objects.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:batch_size])
            if not ids:
                return
            yield ids
            last = ids[-1]

    def documents(self, ids: Sequence[int]) -> dict[int, list[DocSpec]]:
        articles = Article.objects.filter(id__in=ids).select_related("category").prefetch_related("organisations", "systems")
        attachments: dict[int, list[ArticleAttachment]] = {}
        for att in ArticleAttachment.objects.filter(article_id__in=ids).order_by("id"):
            attachments.setdefault(att.article_id, []).append(att)
        out: dict[int, list[DocSpec]] = {}
        for a in articles:
            visibility, orgs = _visibility(a)
            common: dict[str, Any] = {
                "kind": KIND, "ref_id": a.id, "public_id": a.public_id, "created_at": a.published_at or a.created_at,
                "visibility": visibility, "org_ids": orgs, "system_ids": [s.id for s in a.systems.all()],
                "status": a.status, "subtype": "faq" if a.is_faq else (a.category.slug if a.category else ""),
            }
            extra = " ".join([a.tags, a.versions, a.category.name if a.category else ""])
            docs = [DocSpec(**common, title=a.title, body=f"{a.summary}\n{a.body}", extra_words=extra)]
            for att in attachments.get(a.id, []):
                text = attachment_text(sha256=att.sha256, filename=att.filename, content_type=att.content_type,
                                       open_file=att.file.open)
                if text.strip():
                    docs.append(DocSpec(**common, part=f"att:{att.id}", title=f"{a.title} · {att.filename}", body=text))
            out[a.id] = docs
        return out


def on_article_event(payload: dict[str, Any]) -> None:
    index_object(KIND, int(payload["article_id"]))


def register() -> None:
    register_source(ArticleSource())
    outbox_handler("article.event")(on_article_event)
