"""FAQ from requests: the groups of a period, drafting articles from requests, the monthly digest.

Requests come from the tickets app through Django's app registry (`apps.get_model`), so knowledge
works, and its tests run, whether or not the tickets app is installed with models.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.core import clock
from weibao.core.errors import NotFound, ValidationFailed
from weibao.knowledge import services
from weibao.knowledge.faq import Question, group_questions
from weibao.knowledge.models import Article, Audience, FaqDigest, FaqDigestSubscription
from weibao.knowledge.selectors import article_list_for
from weibao.knowledge.states import ArticleStatus
from weibao.search.query import Filters, search

log = logging.getLogger(__name__)
MAX_TICKETS = 20_000
SOLVED = ("resolved", "closed")
TICKET_MODEL = "tickets.Ticket"


def _ticket_model() -> Any:
    try:
        return apps.get_model(TICKET_MODEL)
    except LookupError:
        raise NotFound(_("请求模块不可用")) from None


@dataclass
class FaqGroupView:
    size: int
    terms: list[str]
    representative: dict[str, Any]
    tickets: list[dict[str, Any]]
    covered_by: dict[str, Any] | None


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def faq_groups(*, actor: Actor | None, start: date, end: date, organisation_id: int | None = None,
               limit: int = 20, min_size: int = 2) -> list[FaqGroupView]:
    """The largest groups of similar requests created in [start, end], each with whether an article covers it."""
    access.require(access.is_manager_or_admin(actor), _("只有服务管理人员可以查看常见问题分组。"))
    if end < start:
        raise ValidationFailed(_("日期范围不正确"), details={"to": [_("结束日期不能早于开始日期。")]})
    try:
        ticket_model = _ticket_model()
    except NotFound:  # no requests app: no requests to group
        return []
    qs = ticket_model.objects.filter(created_at__gte=day_start(start), created_at__lt=day_start(end + timedelta(days=1)))
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    rows = list(qs.exclude(status="merged").order_by("-id")
                .values("id", "public_id", "number", "subject", "description", "status")[:MAX_TICKETS])
    by_id = {r["id"]: r for r in rows}
    groups = group_questions([Question(r["id"], r["subject"], r["description"] or "") for r in rows], min_size=min_size)
    out = []
    for g in groups[:max(1, min(limit, 100))]:
        members = [by_id[i] for i in g.members]
        covered = None
        hits = search(actor=actor, q=" ".join(g.terms[:3]), filters=Filters(kinds=("article",), status=ArticleStatus.PUBLISHED),
                      limit=1).hits
        if hits and hits[0].matched_all:
            covered = {"id": hits[0].public_id, "title": hits[0].title}
        rep = by_id[g.representative]
        out.append(FaqGroupView(
            size=g.size, terms=g.terms, covered_by=covered,
            representative={"id": rep["public_id"], "number": rep["number"], "subject": rep["subject"]},
            tickets=[{"id": m["public_id"], "number": m["number"], "subject": m["subject"], "status": m["status"]}
                     for m in members[:50]],
        ))
    return out


def _solution_text(ticket: Any) -> str:
    parts = [p for p in (getattr(ticket, "resolution_root_cause", ""), getattr(ticket, "resolution_text", "")) if p]
    return "\n\n".join(parts)


@transaction.atomic
def article_draft_from_ticket(*, actor: Actor | None, ticket_public_id: str) -> Article:
    """A draft article from a resolved request: its question and its resolution (internal until reviewed)."""
    access.require(access.is_staff(actor), _("只有内部人员可以编写知识文章。"))
    ticket = _ticket_model().objects.filter(public_id=ticket_public_id).first()
    if ticket is None:
        raise NotFound(_("请求不存在"))
    if str(ticket.status) not in SOLVED:
        raise ValidationFailed(_("只有已解决或已关闭的请求可以生成文章。"), details={"status": [str(ticket.status)]})
    body = f"## 问题\n\n{ticket.description}\n\n## 解决方法\n\n{_solution_text(ticket) or '（待补充）'}\n"
    systems = [ticket.system] if getattr(ticket, "system_id", None) else []
    return services.article_create(actor=actor, title=ticket.subject[:200], body=body, audience=Audience.INTERNAL,
                                   systems=systems, source_ticket_id=ticket.id, summary=f"来源：{ticket.number}")


@transaction.atomic
def faq_draft_from_group(*, actor: Actor | None, ticket_public_ids: list[str]) -> Article:
    """One click from a group: an FAQ draft (public once published) listing the question and known answers."""
    access.require(access.is_manager_or_admin(actor), _("只有服务管理人员可以从分组生成常见问题。"))
    ids = list(dict.fromkeys(ticket_public_ids))[:200]
    if not ids:
        raise ValidationFailed(_("请选择请求"), details={"tickets": [_("至少一个请求。")]})
    tickets = list(_ticket_model().objects.filter(public_id__in=ids).order_by("id"))
    if len(tickets) != len(ids):
        raise NotFound(_("请求不存在"))
    lead = tickets[0]
    answers = [(t, _solution_text(t)) for t in tickets if str(t.status) in SOLVED and _solution_text(t)]
    lines = [f"## 问题\n\n{lead.description}\n", "## 解答\n"]
    lines += [f"{text}\n" for _t, text in answers[:3]] or ["（待补充）\n"]
    lines.append("## 相关请求\n")
    lines += [f"- {t.number}：{t.subject}" for t in tickets[:30]]
    return services.article_create(actor=actor, title=lead.subject[:200], body="\n".join(lines), audience=Audience.PUBLIC,
                                   is_faq=True, summary=f"由 {len(tickets)} 个相似请求整理")


def faq_subscribe(*, actor: Actor | None, active: bool = True) -> FaqDigestSubscription:
    access.require(access.is_authenticated(actor), _("请先登录。"))
    sub, _created = FaqDigestSubscription.objects.update_or_create(user=actor, defaults={"active": active})  # type: ignore[misc]
    return sub


def faq_digest_articles(*, actor: Actor | None, period: date, most_viewed: int = 5) -> tuple[list[Article], list[Article]]:
    """(new FAQs published in the month of `period`, the most-viewed FAQs) that `actor` may read."""
    first = period.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    faqs = article_list_for(actor, status=ArticleStatus.PUBLISHED, is_faq=True)
    new = list(faqs.filter(published_at__gte=day_start(first), published_at__lt=day_start(nxt)).order_by("-published_at")[:20])
    top = list(faqs.exclude(id__in=[a.id for a in new]).order_by("-view_count", "-id")[:most_viewed])
    return new, top


def faq_digest_send(*, period: date | None = None) -> FaqDigest:
    """Mail the digest of a month (default: last month) to active subscribers; a month is sent once."""
    today = timezone.localdate(clock.now())
    period = (period or (today.replace(day=1) - timedelta(days=1))).replace(day=1)
    with transaction.atomic():
        digest, _created = FaqDigest.objects.select_for_update().get_or_create(period=period)
        if digest.sent_at is not None:
            return digest
        sent = 0
        ids: set[int] = set()
        subs = FaqDigestSubscription.objects.filter(active=True, user__is_active=True).select_related("user")
        for sub in subs:
            user = sub.user
            if not user.email:
                continue
            new, top = faq_digest_articles(actor=user, period=period)
            if not new and not top:
                continue
            ids.update(a.id for a in [*new, *top])
            with translation.override(user.language or settings.LANGUAGE_CODE):
                context = {"user": user, "period": period, "new": new, "top": top, "base_url": settings.BASE_URL}
                subject = render_to_string("knowledge/digest_subject.txt", context).strip()
                text = render_to_string("knowledge/digest.txt", context)
                html = render_to_string("knowledge/digest.html", context)
            message = EmailMultiAlternatives(subject, text, to=[user.email])
            message.attach_alternative(html, "text/html")
            message.send()
            sent += 1
        digest.article_ids = sorted(ids)
        digest.recipients = sent
        digest.sent_at = clock.now()
        digest.save()
    return digest

