"""The public knowledge portal (/kb/): no sign-in for public articles; customers also see their own."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from weibao.accounts import access
from weibao.core.errors import DomainError, NotFound
from weibao.knowledge import faq_services, selectors, services
from weibao.knowledge.models import Article, Category, FaqDigestSubscription
from weibao.knowledge.rendering import article_html
from weibao.knowledge.states import ArticleStatus
from weibao.search.query import Filters, search


def _article(request: HttpRequest, public_id: str) -> Article:
    try:
        return selectors.article_get_for(request.user, public_id)
    except NotFound:
        raise Http404 from None


def index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:500]
    category = request.GET.get("category", "")[:60]
    published = selectors.article_list_for(request.user, status=ArticleStatus.PUBLISHED)
    context: dict[str, object] = {"q": q, "categories": Category.objects.all()[:50], "category": category}
    if q:
        context["hits"] = search(actor=request.user, q=q, filters=Filters(kinds=("article",), status=ArticleStatus.PUBLISHED),
                                 limit=30).hits
    elif category:
        context["articles"] = published.filter(category__slug=category).order_by("-published_at")[:100]
    else:
        context["faqs"] = published.filter(is_faq=True).order_by("-view_count", "-id")[:10]
        context["latest"] = published.order_by("-published_at")[:10]
    if request.user.is_authenticated:
        context["subscribed"] = FaqDigestSubscription.objects.filter(user=request.user, active=True).exists()
    return render(request, "kb/index.html", context)


def article(request: HttpRequest, public_id: str) -> HttpResponse:
    a = _article(request, public_id)
    if not access.is_staff(request.user):
        services.article_viewed(article=a)
    return render(request, "kb/article.html", {
        "article": a, "body_html": article_html(a.body), "attachments": a.attachments.all(),
        "systems": a.systems.all() if access.is_authenticated(request.user) else [],
    })


@require_POST
def feedback(request: HttpRequest, public_id: str) -> HttpResponse:
    a = _article(request, public_id)
    helpful = request.POST.get("helpful")
    if helpful not in ("1", "0"):
        messages.error(request, _("请选择“有帮助”或“没有帮助”。"))
    else:
        try:
            services.article_feedback_add(actor=request.user, article=a, helpful=helpful == "1",
                                          comment=request.POST.get("comment", ""))
            messages.success(request, _("谢谢您的反馈。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("kb:article", public_id=a.public_id)


def attachment(request: HttpRequest, public_id: str, attachment_id: str) -> FileResponse:
    a = _article(request, public_id)
    att = a.attachments.filter(public_id=attachment_id).first()
    if att is None:
        raise Http404
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.filename)


@require_POST
@login_required
def subscribe(request: HttpRequest) -> HttpResponse:
    active = request.POST.get("active") == "1"
    faq_services.faq_subscribe(actor=request.user, active=active)
    messages.success(request, _("已订阅常见问题月报。") if active else _("已取消订阅常见问题月报。"))
    return redirect("kb:index")
