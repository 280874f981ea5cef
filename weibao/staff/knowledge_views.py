"""Staff pages for the knowledge base: articles, review, revisions, FAQ groups, search, dictionary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weibao.accounts import access
from weibao.accounts.models import Organisation
from weibao.core import clock
from weibao.core.errors import DomainError, NotFound, TooLarge
from weibao.customers.models import System
from weibao.knowledge import faq_services, selectors, services
from weibao.knowledge.models import Article, Audience, Category
from weibao.knowledge.rendering import article_html
from weibao.knowledge.states import TRANSITIONS, ArticleStatus, allowed_transitions
from weibao.search import services as search_services
from weibao.search.models import UserWord, WordKind
from weibao.search.query import Filters, search
from weibao.staff.access import staff_required


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    summary = forms.CharField(label=gettext_lazy("摘要"), max_length=500, required=False)
    body = forms.CharField(label=gettext_lazy("正文"), widget=forms.Textarea(attrs={"rows": 16}),
                           help_text=gettext_lazy("支持 # 标题、- 列表；其余按纯文本显示。"))
    category = forms.ModelChoiceField(label=gettext_lazy("分类"), queryset=Category.objects.all(), required=False)
    tags = forms.CharField(label=gettext_lazy("标签"), max_length=300, required=False)
    systems = forms.ModelMultipleChoiceField(label=gettext_lazy("适用系统"), queryset=System.objects.select_related("organisation"),
                                             required=False)
    versions = forms.CharField(label=gettext_lazy("适用版本"), max_length=200, required=False)
    audience = forms.ChoiceField(label=gettext_lazy("可见范围"), choices=Audience.choices)
    organisations = forms.ModelMultipleChoiceField(label=gettext_lazy("可见客户"), required=False,
                                                   queryset=Organisation.objects.filter(kind="customer"))
    is_faq = forms.BooleanField(label=gettext_lazy("常见问题"), required=False)
    note = forms.CharField(label=gettext_lazy("修改说明"), max_length=300, required=False)


def _article(request: HttpRequest, public_id: str) -> Article:
    try:
        return selectors.article_get_for(request.user, public_id)
    except NotFound:
        raise Http404 from None


@staff_required
def article_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in ArticleStatus.__members__.values() else ""
    qs = selectors.article_list_for(request.user, status=status).select_related("author").order_by("-updated_at")
    return render(request, "staff/kb/list.html", {"articles": qs[:200], "status": status, "statuses": list(ArticleStatus)})


@staff_required
def review_queue(request: HttpRequest) -> HttpResponse:
    qs = selectors.article_list_for(request.user, status=ArticleStatus.IN_REVIEW).select_related("author").order_by("updated_at")
    return render(request, "staff/kb/list.html", {"articles": qs[:200], "status": ArticleStatus.IN_REVIEW,
                                                  "statuses": list(ArticleStatus), "review": True})


def _form_values(form: ArticleForm) -> dict[str, Any]:
    v = dict(form.cleaned_data)
    v.pop("note", None)
    return v


@staff_required
def article_new(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST or None, initial={"audience": Audience.INTERNAL})
    if request.method == "POST" and form.is_valid():
        try:
            a = services.article_create(actor=request.user, **_form_values(form))
            messages.success(request, _("文章草稿已创建。"))
            return redirect("staff:kb-article", public_id=a.public_id)
        except DomainError as exc:
            _form_errors(form, exc)
    return render(request, "staff/kb/form.html", {"form": form})


def _form_errors(form: ArticleForm, exc: DomainError) -> None:
    for name, errs in (exc.details or {}).items():
        for err in errs if isinstance(errs, list) else [errs]:
            form.add_error(name if name in form.fields else None, str(err))
    if not exc.details:
        form.add_error(None, exc.message)


@staff_required
def article_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    a = _article(request, public_id)
    initial = {"title": a.title, "summary": a.summary, "body": a.body, "category": a.category, "tags": a.tags,
               "systems": a.systems.all(), "versions": a.versions, "audience": a.audience,
               "organisations": a.organisations.all(), "is_faq": a.is_faq}
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        v = _form_values(form)
        try:
            services.article_update(actor=request.user, article=a, note=form.cleaned_data.get("note", ""), **v)
            messages.success(request, _("已保存。"))
            return redirect("staff:kb-article", public_id=a.public_id)
        except DomainError as exc:
            _form_errors(form, exc)
    return render(request, "staff/kb/form.html", {"form": form, "article": a})


@staff_required
def article_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    a = _article(request, public_id)
    revisions = list(a.revisions.select_related("author")[:50])
    return render(request, "staff/kb/detail.html", {
        "article": a, "body_html": article_html(a.body), "revisions": revisions,
        "transitions": [TRANSITIONS[t] for t in allowed_transitions(a, request.user)],
        "events": a.events.select_related("actor").order_by("-id")[:50], "feedback": a.feedback.select_related("user")[:50],
        "attachments": a.attachments.all(),
    })


@staff_required
def article_diff(request: HttpRequest, public_id: str) -> HttpResponse:
    a = _article(request, public_id)
    old, new = request.GET.get("old", ""), request.GET.get("new", "")
    if not (old.isdigit() and new.isdigit()):
        new = str(a.revision)
        old = str(max(1, a.revision - 1))
    try:
        diff = selectors.revision_diff(a, int(old), int(new))
    except NotFound:
        raise Http404 from None
    return render(request, "staff/kb/diff.html", {"article": a, "diff": diff, "old": old, "new": new})


@require_POST
@staff_required
def article_transition(request: HttpRequest, public_id: str) -> HttpResponse:
    a = _article(request, public_id)
    try:
        services.article_transition(actor=request.user, article=a, transition=request.POST.get("transition", ""),
                                    note=request.POST.get("note", ""))
        messages.success(request, _("状态已更新。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("staff:kb-article", public_id=a.public_id)


@require_POST
@staff_required
def article_attach(request: HttpRequest, public_id: str) -> HttpResponse:
    a = _article(request, public_id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择文件。"))
    else:
        try:
            if upload.size and upload.size > services.MAX_ATTACHMENT_BYTES:
                raise TooLarge(_("附件太大"))
            services.article_attach(actor=request.user, article=a, filename=upload.name or "file", content=upload.read(),
                                    content_type=upload.content_type or "")
            messages.success(request, _("附件已上传。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("staff:kb-article", public_id=a.public_id)


@require_POST
@staff_required
def article_from_ticket(request: HttpRequest, ticket_id: str) -> HttpResponse:
    try:
        a = faq_services.article_draft_from_ticket(actor=request.user, ticket_public_id=ticket_id)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:kb-articles")
    messages.success(request, _("已根据请求生成文章草稿。"))
    return redirect("staff:kb-article", public_id=a.public_id)


@staff_required
def faq_groups(request: HttpRequest) -> HttpResponse:
    if not access.is_manager_or_admin(request.user):
        raise Http404
    today = timezone.localdate(clock.now())
    end = parse_date(request.GET.get("to", "")[:10]) or today
    start = parse_date(request.GET.get("from", "")[:10]) or end - timedelta(days=30)
    try:
        groups = faq_services.faq_groups(actor=request.user, start=start, end=min(end, start + timedelta(days=366)))
        error = ""
    except DomainError as exc:
        groups, error = [], exc.message
    return render(request, "staff/kb/faq.html", {"groups": groups, "start": start, "end": end, "error": error})


@require_POST
@staff_required
def faq_draft(request: HttpRequest) -> HttpResponse:
    if not access.is_manager_or_admin(request.user):
        raise Http404
    try:
        a = faq_services.faq_draft_from_group(actor=request.user, ticket_public_ids=request.POST.getlist("ticket"))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:kb-faq")
    messages.success(request, _("已生成常见问题草稿。"))
    return redirect("staff:kb-article", public_id=a.public_id)


@staff_required
def search_page(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:500]
    kind = request.GET.get("type", "")
    kinds = (kind,) if kind in ("article", "ticket") else ()
    org = access.organisations_for(request.user).filter(public_id=request.GET.get("organisation", "")).first()
    hits = search(actor=request.user, q=q, limit=50, filters=Filters(
        kinds=kinds, organisation_id=org.id if org else None, status=request.GET.get("status", "")[:30])).hits if q else []
    return render(request, "staff/kb/search.html", {
        "q": q, "hits": hits, "type": kind, "organisations": access.organisations_for(request.user),
        "organisation": org, "status": request.GET.get("status", "")})


@staff_required
def dictionary(request: HttpRequest) -> HttpResponse:
    can_edit = access.is_manager_or_admin(request.user)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        try:
            if request.POST.get("delete"):
                entry = UserWord.objects.filter(id=request.POST["delete"]).first()
                if entry:
                    search_services.user_word_delete(actor=request.user, entry=entry)
            else:
                search_services.user_word_add(actor=request.user, word=request.POST.get("word", ""),
                                              kind=request.POST.get("kind", WordKind.OTHER))
            messages.success(request, _("词典已更新。含有该词的已有内容正在后台重新索引，完成后按新词切分。"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("staff:kb-dictionary")
    return render(request, "staff/kb/dictionary.html", {"words": UserWord.objects.all()[:1000], "kinds": WordKind.choices,
                                                        "can_edit": can_edit})
