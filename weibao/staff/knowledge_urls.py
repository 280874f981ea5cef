from django.urls import path

from weibao.staff import knowledge_views as v

urlpatterns = [
    path("search/", v.search_page, name="search"),
    path("kb/", v.article_list, name="kb-articles"),
    path("kb/review/", v.review_queue, name="kb-review"),
    path("kb/new/", v.article_new, name="kb-article-new"),
    path("kb/faq/", v.faq_groups, name="kb-faq"),
    path("kb/faq/draft/", v.faq_draft, name="kb-faq-draft"),
    path("kb/dictionary/", v.dictionary, name="kb-dictionary"),
    path("kb/from-ticket/<str:ticket_id>/", v.article_from_ticket, name="kb-from-ticket"),
    path("kb/articles/<str:public_id>", v.article_detail, name="kb-article"),
    path("kb/articles/<str:public_id>/edit/", v.article_edit, name="kb-article-edit"),
    path("kb/articles/<str:public_id>/diff/", v.article_diff, name="kb-article-diff"),
    path("kb/articles/<str:public_id>/transition/", v.article_transition, name="kb-article-transition"),
    path("kb/articles/<str:public_id>/attach/", v.article_attach, name="kb-article-attach"),
]
