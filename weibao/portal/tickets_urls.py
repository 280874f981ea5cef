from django.urls import path

from weibao.portal import mail_link_views, survey_views
from weibao.portal import ticket_views as views

urlpatterns = [
    path("tickets/", views.ticket_list, name="ticket-list"),
    path("tickets/new/", views.ticket_create, name="ticket-create"),
    path("tickets/<str:public_id>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<str:public_id>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<str:public_id>/decision/", views.ticket_decision, name="ticket-decision"),
    path("tickets/<str:public_id>/rate/", views.ticket_rate, name="ticket-rate"),
    path("tickets/<str:public_id>/attachments/<str:attachment_id>/", views.ticket_attachment, name="ticket-attachment"),
    path("survey/<str:token>/", survey_views.survey, name="survey"),
    path("mail/decision/<str:token>/", mail_link_views.mail_decision, name="mail-decision"),
]
