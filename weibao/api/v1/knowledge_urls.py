from django.urls import path

from weibao.api.v1 import knowledge

urlpatterns = [
    path("articles", knowledge.ArticleListView.as_view(), name="article-list"),
    path("articles/<str:public_id>", knowledge.ArticleDetailView.as_view(), name="article-detail"),
    path("articles/<str:public_id>/transitions", knowledge.ArticleTransitionView.as_view(), name="article-transitions"),
    path("articles/<str:public_id>/revisions", knowledge.ArticleRevisionsView.as_view(), name="article-revisions"),
    path("articles/<str:public_id>/feedback", knowledge.ArticleFeedbackView.as_view(), name="article-feedback"),
]

from weibao.api.v1 import faq  # noqa: E402

urlpatterns += [
    path("faq/groups", faq.FaqGroupsView.as_view(), name="faq-groups"),
    path("faq/drafts", faq.FaqDraftView.as_view(), name="faq-drafts"),
    path("faq/subscription", faq.DigestSubscriptionView.as_view(), name="faq-subscription"),
    path("faq/deflection", faq.DeflectionView.as_view(), name="faq-deflection"),
    path("tickets/<str:public_id>/article", faq.ArticleFromTicketView.as_view(), name="ticket-article-draft"),
]
