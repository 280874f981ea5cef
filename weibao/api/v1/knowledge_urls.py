from django.urls import path

from weibao.api.v1 import knowledge

urlpatterns = [
    path("articles", knowledge.ArticleListView.as_view(), name="article-list"),
    path("articles/<str:public_id>", knowledge.ArticleDetailView.as_view(), name="article-detail"),
    path("articles/<str:public_id>/transitions", knowledge.ArticleTransitionView.as_view(), name="article-transitions"),
    path("articles/<str:public_id>/revisions", knowledge.ArticleRevisionsView.as_view(), name="article-revisions"),
    path("articles/<str:public_id>/feedback", knowledge.ArticleFeedbackView.as_view(), name="article-feedback"),
]
