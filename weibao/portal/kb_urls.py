from django.urls import path

from weibao.portal import kb_views

app_name = "kb"

urlpatterns = [
    path("", kb_views.index, name="index"),
    path("subscription", kb_views.subscribe, name="subscribe"),
    path("<str:public_id>", kb_views.article, name="article"),
    path("<str:public_id>/feedback", kb_views.feedback, name="feedback"),
    path("<str:public_id>/files/<str:attachment_id>", kb_views.attachment, name="attachment"),
]
